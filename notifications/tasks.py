"""Thin Celery wrappers around the delivery services; they take ids only.

With no broker configured (CELERY_TASK_ALWAYS_EAGER) the same calls run
in-process. Either way the delivery rows, not the broker, say what is owed.
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from . import services

logger = logging.getLogger(__name__)


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
        return services.delivery_attempt(delivery_id)
    except services.DeliveryRetry as retry:
        raise self.retry(countdown=retry.countdown) from None


def _retry_later(delivery_id: int, countdown: int) -> None:
    try:
        deliver.apply_async((delivery_id,), countdown=countdown)
    except services.BROKER_ERRORS:
        logger.warning(
            "broker unavailable; delivery %s waits for the sweep",
            delivery_id,
            exc_info=True,
        )


@shared_task(acks_late=True, soft_time_limit=300, time_limit=330)
def deliver_batch(delivery_ids: list[int]) -> None:
    """Each delivery in its own transaction; one failure never fails the rest."""
    with services.Outbox() as outbox:
        for index, delivery_id in enumerate(delivery_ids):
            try:
                services.delivery_attempt(delivery_id, outbox=outbox)
            except services.DeliveryRetry as retry:
                _retry_later(delivery_id, retry.countdown)
            except SoftTimeLimitExceeded:
                # The interrupted delivery rolled back; it and the rest go on
                # in a fresh task rather than waiting for the sweep.
                services.queue_deliveries(delivery_ids[index:])
                return
            except Exception:
                # Not a send failure (those are recorded): the row is still
                # queued and the sweep will try it again.
                logger.exception("delivery %s could not be attempted", delivery_id)
