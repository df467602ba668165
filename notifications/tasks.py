"""Thin Celery wrappers around the delivery engine; they take ids only.

With no broker configured (CELERY_TASK_ALWAYS_EAGER) the same calls run
in-process. Either way the delivery rows, not the broker, say what is owed.
Publishing lives here (``queue_deliveries``), so ``notify`` imports this
module and this module imports only the engine: no cycle.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_ready
from django.utils import timezone

from . import delivery

logger = logging.getLogger(__name__)

# Delivery ids per deliver_batch task: large enough that a big notice costs a
# few dozen broker messages, small enough that a killed worker strands little.
BATCH_SIZE = 200


@shared_task(
    bind=True,
    acks_late=True,
    # The delivery row counts attempts and decides when to give up
    # (XST_DELIVERY_MAX_ATTEMPTS); Celery's own count restarts whenever the
    # sweep republishes, so it must not stop retries first.
    max_retries=None,
    soft_time_limit=60,
    time_limit=90,
)
def deliver(self, delivery_id: int) -> str:
    try:
        return delivery.delivery_attempt(delivery_id)
    except delivery.DeliveryRetry as retry:
        raise self.retry(countdown=retry.countdown) from None


def _retry_later(delivery_id: int, countdown: int) -> None:
    try:
        deliver.apply_async((delivery_id,), countdown=countdown)
    except delivery.BROKER_ERRORS:
        logger.warning(
            "broker unavailable; delivery %s waits for the sweep",
            delivery_id,
            exc_info=True,
        )


@shared_task(acks_late=True, soft_time_limit=300, time_limit=330)
def deliver_batch(delivery_ids: list[int]) -> None:
    """Each delivery in its own transactions; one failure never fails the rest."""
    with delivery.Outbox() as outbox:
        for index, delivery_id in enumerate(delivery_ids):
            try:
                delivery.delivery_attempt(delivery_id, outbox=outbox)
            except delivery.DeliveryRetry as retry:
                _retry_later(delivery_id, retry.countdown)
            except SoftTimeLimitExceeded:
                # The rest go on in a fresh task rather than waiting for the
                # sweep; an interrupted send keeps its claim for the sweep.
                queue_deliveries(delivery_ids[index:])
                return
            except Exception:
                # Not a send failure (those are recorded): the row is still
                # queued or claimed, and the sweep will settle it.
                logger.exception("delivery %s could not be attempted", delivery_id)


def queue_deliveries(delivery_ids: Sequence[int]) -> int:
    """Publish deliver_batch tasks; return how many ids reached the broker.

    A broker error stops publishing and is only logged: the deliveries stay
    queued in the database and requeue_stale sends them later, so the change
    that caused the notice is never undone by an outage.
    """
    published = 0
    for chunk in delivery.chunks(list(delivery_ids), BATCH_SIZE):
        try:
            deliver_batch.delay(list(chunk))
        except delivery.BROKER_ERRORS:
            logger.warning(
                "broker unavailable; %d deliveries stay queued for the sweep",
                len(delivery_ids) - published,
                exc_info=True,
            )
            break
        published += len(chunk)
    return published


def requeue_stale(
    *, now: datetime | None = None, older_than: timedelta | None = None
) -> int:
    """The sweep: settle dead workers' claims, republish what is still owed.

    ``older_than`` defaults to ``XST_DELIVERY_SWEEP_DELAY``. Returns how many
    deliveries were published again.
    """
    now = now or timezone.now()
    resend = delivery.resolve_stale_claims(now=now)
    ids = sorted(
        set(resend) | set(delivery.stale_queued_ids(now=now, older_than=older_than))
    )
    if not ids:
        return 0
    published = queue_deliveries(ids)
    logger.info("requeued %d of %d stale deliveries", published, len(ids))
    return published


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def sweep_after_restart() -> int:
    """The sweep with the short delay: what a stopped worker stranded."""
    return requeue_stale(older_than=delivery.claim_timeout())


@worker_ready.connect(dispatch_uid="notifications.tasks.sweep_on_worker_ready")
def sweep_on_worker_ready(sender=None, **kwargs) -> None:
    """A worker that starts queues the sweep at once, not after the usual delay.

    A worker that was killed stranded the rows it had claimed or prefetched;
    waiting for the periodic sweep (and the broker's visibility timeout)
    would hold them for many minutes. Rows younger than the claim timeout
    may still belong to a live worker elsewhere and are left alone.
    """
    try:
        sweep_after_restart.delay()
    except delivery.BROKER_ERRORS:
        logger.warning("broker unavailable; no sweep after worker start")
