"""The delivery engine: each email or SMS claimed, sent and recorded; sweep; digest.

A delivery moves queued → sending → sent (or back to queued for a retry, or
failed). The claim ("sending", with ``claimed_at``) is committed in its own
transaction *before* the message is handed to the channel, and the outcome in
another one after. A worker that dies between the two leaves the row
"sending"; once the claim is older than ``XST_DELIVERY_CLAIM_TIMEOUT`` the
sweep resolves it explicitly: a channel whose gateway de-duplicates by the
message id (``XST_DEDUPLICATING_CHANNELS``, SMS by default) is sent again with
the same id; any other (email) is marked "unknown, check" for the clerk.
README.md (通知) states what this guarantees per channel.

The database, not the broker, is the record of what is still owed: the sweep
(``tasks.requeue_stale``) republishes what a broker outage or a killed worker
left queued. This module publishes nothing itself.
"""

import logging
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import kombu.exceptions
import redis.exceptions
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .channels.email import (
    EmailChannel,
    digest_email,
    message_id_header,
    notification_email,
)
from .channels.sms import SmsBackend, digest_text, notification_text, sms_backend
from .ics import notification_ics
from .models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
)

logger = logging.getLogger(__name__)

# The inbox is the row itself and paper is printed by a clerk: only these two
# channels are ever sent by a task.
SENT_BY_TASK = (Channel.EMAIL, Channel.SMS)
# Keeps every IN (...) list well under SQLite's limit on query variables.
_IN_CHUNK = 5000
_MAX_BACKOFF_SECONDS = 3600
# "Is it due yet?" is asked of the database clock, which the sweep's stamp
# also uses, so a worker host whose clock is off can delay a delivery but never
# strand it. Celery times a retry by the worker's clock: allow a little drift.
_CLOCK_SKEW = timedelta(seconds=2)
_ERROR_MAX_LENGTH = 2000

# What publishing raises when the broker is unreachable. The rows stay queued
# in the database and the sweep republishes them.
BROKER_ERRORS = (
    kombu.exceptions.OperationalError,
    redis.exceptions.RedisError,
    OSError,
)

_DIGEST_NAMESPACE = uuid.UUID("6f1d5c8e-3b9a-4c57-9a52-2f0e7d9b4c11")


class DeliveryRetry(Exception):
    """The attempt failed and is recorded; try again after ``countdown`` seconds."""

    def __init__(self, delivery_id: int, countdown: int) -> None:
        super().__init__(f"delivery {delivery_id}: retry in {countdown}s")
        self.delivery_id = delivery_id
        self.countdown = countdown


def max_attempts() -> int:
    return settings.XST_DELIVERY_MAX_ATTEMPTS


def retry_countdown(attempt: int) -> int:
    """Seconds to wait after the attempt-th failure: base, 2×base, 4×base…"""
    base = settings.XST_DELIVERY_RETRY_BASE
    return min(base * 2 ** (attempt - 1), _MAX_BACKOFF_SECONDS)


def sweep_delay() -> timedelta:
    """How long a queued delivery may wait before the sweep republishes it."""
    return timedelta(seconds=settings.XST_DELIVERY_SWEEP_DELAY)


def claim_timeout() -> timedelta:
    """Longer than any one send may take: an older claim belongs to a dead worker."""
    return timedelta(seconds=settings.XST_DELIVERY_CLAIM_TIMEOUT)


def deduplicating_channels() -> frozenset[str]:
    """Channels whose gateway drops a second message with the same message id."""
    return frozenset(settings.XST_DEDUPLICATING_CHANNELS)


def chunks(values: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def rows_in(queryset: models.QuerySet, field: str, values: Sequence) -> Iterator:
    for chunk in chunks(values, _IN_CHUNK):
        yield from queryset.filter(**{f"{field}__in": chunk})


class Outbox:
    """Channel connections and notices shared by one run of deliveries.

    A batch of two hundred emails then opens one SMTP session, loads the SMS
    backend, the notice and its .ics once.
    """

    def __init__(self) -> None:
        self._email = EmailChannel()
        self._sms: SmsBackend | None = None
        self._notifications: dict[int, Notification] = {}
        self._ics: dict[int, bytes | None] = {}

    def __enter__(self) -> "Outbox":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._email.close()

    @property
    def sms(self) -> SmsBackend:
        if self._sms is None:
            self._sms = sms_backend()
        return self._sms

    def notification(self, notification_id: int) -> Notification:
        """The notice, loaded once per run: a batch is mostly one notice."""
        if notification_id not in self._notifications:
            self._notifications[notification_id] = Notification.objects.get(
                pk=notification_id
            )
        return self._notifications[notification_id]

    def _ics_for(self, notification: Notification) -> bytes | None:
        if notification.pk not in self._ics:
            self._ics[notification.pk] = (
                notification_ics(notification) if notification.event_start else None
            )
        return self._ics[notification.pk]

    def send(self, delivery: Delivery) -> None:
        notification = delivery.notification
        # Recipients read the site language, not that of whichever clerk's
        # request happened to send the notice in-process.
        with translation.override(settings.LANGUAGE_CODE):
            if delivery.channel == Channel.EMAIL:
                self._email.send(
                    notification_email(
                        notification,
                        to=delivery.address,
                        message_id=message_id_header(delivery.uuid),
                        ics=self._ics_for(notification),
                    )
                )
            elif delivery.channel == Channel.SMS:
                self.sms.send(
                    phone=delivery.address,
                    text=notification_text(notification),
                    message_id=str(delivery.uuid),
                )
            else:
                raise ValueError(f"{delivery.channel} is not sent by a task")

    def send_digest(
        self,
        channel: str,
        *,
        address: str,
        notifications: Sequence[Notification],
        digest_id: uuid.UUID,
    ) -> None:
        with translation.override(settings.LANGUAGE_CODE):
            if channel == Channel.EMAIL:
                message = digest_email(
                    notifications, to=address, message_id=message_id_header(digest_id)
                )
                self._email.send(message)
            else:
                self.sms.send(
                    phone=address,
                    text=digest_text(notifications),
                    message_id=str(digest_id),
                )


# -- one delivery: claim, send, record


def _error_text(exc: BaseException | str) -> str:
    text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return text[:_ERROR_MAX_LENGTH]


def _claim(delivery_id: int, outbox: Outbox) -> Delivery | str:
    """Mark the delivery "sending" and commit; its status if it is not owed now."""
    with transaction.atomic():
        try:
            delivery = (
                Delivery.objects.select_for_update(of=("self",))
                .annotate(db_now=Now())
                .get(pk=delivery_id)
            )
        except Delivery.DoesNotExist:
            return "missing"
        if (
            delivery.status != DeliveryStatus.QUEUED
            or delivery.channel not in SENT_BY_TASK
        ):
            return delivery.status
        # Too early: a scheduled retry owns this attempt; a duplicate that
        # arrives during the backoff must not shorten it.
        if delivery.next_attempt_at and (
            delivery.next_attempt_at > delivery.db_now + _CLOCK_SKEW
        ):
            return delivery.status
        delivery.status = DeliveryStatus.SENDING
        delivery.claimed_at = timezone.now()
        delivery.attempts += 1
        delivery.save(update_fields=["status", "claimed_at", "attempts"])
    delivery.notification = outbox.notification(delivery.notification_id)
    return delivery


def _record_success(delivery: Delivery) -> None:
    now = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, at=now, ok=True
        )
        # Sent is a fact even if the sweep already gave the claim up: it then
        # finds the row sent and sends nothing more.
        Delivery.objects.filter(pk=delivery.pk).exclude(
            status__in=[DeliveryStatus.SENT, DeliveryStatus.READ]
        ).update(
            status=DeliveryStatus.SENT,
            sent_at=now,
            next_attempt_at=None,
            claimed_at=None,
        )
    delivery.status = DeliveryStatus.SENT


def _record_failure(delivery: Delivery, exc: Exception) -> int | None:
    """Record the failed attempt; return the retry countdown, None if given up."""
    now = timezone.now()
    number = delivery.attempts
    error = _error_text(exc)
    countdown = None
    if number >= max_attempts():
        status, next_attempt_at = DeliveryStatus.FAILED, None
        logger.error("delivery %s failed for good: %s", delivery.pk, error)
    else:
        countdown = retry_countdown(number)
        status = DeliveryStatus.QUEUED
        next_attempt_at = now + timedelta(seconds=countdown)
        logger.warning(
            "delivery %s attempt %d failed, retry in %ds: %s",
            delivery.pk,
            number,
            countdown,
            error,
        )
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery, number=number, at=now, ok=False, error=error
        )
        # Only our own claim is undone: a sweep that resolved it meanwhile
        # has already decided what happens next.
        updated = Delivery.objects.filter(
            pk=delivery.pk,
            status=DeliveryStatus.SENDING,
            claimed_at=delivery.claimed_at,
        ).update(
            status=status,
            last_error=error,
            next_attempt_at=next_attempt_at,
            claimed_at=None,
        )
    delivery.status = status
    return countdown if updated else None


def delivery_attempt(delivery_id: int, *, outbox: Outbox | None = None) -> str:
    """Send one email or SMS delivery if it is still owed; return its status.

    Concurrent or redelivered tasks for the same delivery wait on the row lock
    of the claim and then find it "sending" or sent, so only one sends it.
    Returns "missing" for a deleted delivery. Raises DeliveryRetry after a
    recorded failure that should be retried.
    """
    if outbox is None:
        with Outbox() as own:
            return delivery_attempt(delivery_id, outbox=own)
    claimed = _claim(delivery_id, outbox)
    if isinstance(claimed, str):
        return claimed
    delivery = claimed
    try:
        outbox.send(delivery)
    except SoftTimeLimitExceeded:
        # Out of time mid-send: whether the channel took the message is not
        # known, so the claim stays for the sweep to resolve explicitly.
        raise
    except Exception as exc:
        countdown = _record_failure(delivery, exc)
        if countdown is not None:
            raise DeliveryRetry(delivery_id, countdown) from None
    else:
        _record_success(delivery)
    return delivery.status


# -- the sweep: what a broker outage or a dead worker left behind


def resolve_stale_claims(*, now: datetime | None = None) -> list[int]:
    """Settle claims older than the claim timeout; return the ids to send again.

    The worker that claimed them died after the claim and before recording
    the outcome, so the message may or may not have left. A channel that
    de-duplicates by message id is sent again with the same id (the row goes
    back to queued); any other is marked "unknown, check" and never resent
    automatically: a clerk asks the recipient (README.md, 通知).
    """
    cutoff = (now or timezone.now()) - claim_timeout()
    stale = Delivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lte=cutoff
    )
    rows = list(stale.only("pk", "channel", "attempts", "claimed_at"))
    if not rows:
        return []
    with translation.override(settings.LANGUAGE_CODE):
        resend_note = _("发送过程中断，已用同一消息编号重新发送。")
        unknown_note = _("发送过程中断，无法确认是否已送达，请与接收人核实。")
    dedup = deduplicating_channels()
    at = timezone.now()
    resent: list[int] = []
    settled: dict[str, int] = {}
    with transaction.atomic():
        for row in rows:
            if row.channel in dedup and row.attempts < max_attempts():
                status, note = DeliveryStatus.QUEUED, resend_note
            else:
                status, note = DeliveryStatus.UNKNOWN, unknown_note
            # Only if still the claim we saw: a late record of the send wins.
            if not Delivery.objects.filter(
                pk=row.pk, status=DeliveryStatus.SENDING, claimed_at=row.claimed_at
            ).update(
                status=status, claimed_at=None, next_attempt_at=None, last_error=note
            ):
                continue
            DeliveryAttempt.objects.create(
                delivery_id=row.pk, number=row.attempts, at=at, ok=False, error=note
            )
            settled[status] = settled.get(status, 0) + 1
            if status == DeliveryStatus.QUEUED:
                resent.append(row.pk)
    if settled:
        logger.warning("claims of stopped workers settled: %s", settled)
    return resent


def stale_queued_ids(
    *, now: datetime | None = None, older_than: timedelta | None = None
) -> list[int]:
    """Email/SMS deliveries still queued well after they were due, stamped.

    They were lost: the broker was down when they were published, or the
    worker holding them died. Each is stamped first, so the next sweep leaves
    it alone for another ``older_than`` instead of piling duplicates onto a
    slow queue; by the database clock, which ``delivery_attempt`` checks.
    """
    cutoff = (now or timezone.now()) - (older_than or sweep_delay())
    stale = Q(next_attempt_at__isnull=True, created_at__lte=cutoff) | Q(
        next_attempt_at__lte=cutoff
    )
    queued = Delivery.objects.filter(
        status=DeliveryStatus.QUEUED, channel__in=SENT_BY_TASK
    )
    ids = list(queued.filter(stale).order_by("pk").values_list("pk", flat=True))
    for chunk in chunks(ids, _IN_CHUNK):
        queued.filter(stale, pk__in=chunk).update(next_attempt_at=Now())
    return ids


# -- the daily digest


def _digest_one(outbox: Outbox, person_id: int, channel: str, now: datetime) -> bool:
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(of=("self",))
            .select_related("notification")
            .filter(
                person_id=person_id,
                channel=channel,
                status=DeliveryStatus.HELD,
                created_at__lte=now,
            )
            .order_by("created_at", "pk")
        )
        if not rows:
            return False
        # Stable across retries of the same set, so a gateway can deduplicate.
        digest_id = uuid.uuid5(
            _DIGEST_NAMESPACE, ",".join(sorted(str(r.uuid) for r in rows))
        )
        try:
            outbox.send_digest(
                channel,
                address=rows[-1].address,
                notifications=[r.notification for r in rows],
                digest_id=digest_id,
            )
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:
            _record_digest_failure(rows, exc)
            return False
        _bulk_attempts(rows, ok=True)
        Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(
            status=DeliveryStatus.SENT,
            sent_at=timezone.now(),
            attempts=F("attempts") + 1,
        )
    return True


def _record_digest_failure(rows: Sequence[Delivery], exc: Exception) -> None:
    """The rows stay held, so the next digest tries again, up to the limit."""
    error = _error_text(exc)
    logger.warning("digest for person %s failed: %s", rows[0].person_id, error)
    _bulk_attempts(rows, ok=False, error=error)
    held = Delivery.objects.filter(pk__in=[r.pk for r in rows])
    held.update(attempts=F("attempts") + 1, last_error=error)
    held.filter(attempts__gte=max_attempts()).update(status=DeliveryStatus.FAILED)


def _bulk_attempts(rows: Sequence[Delivery], *, ok: bool, error: str = "") -> None:
    now = timezone.now()
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(delivery=r, number=r.attempts + 1, at=now, ok=ok, error=error)
        for r in rows
    )


def digest_send(*, now: datetime | None = None) -> int:
    """Send each person one combined email and/or SMS of their held notices.

    Held deliveries are routine notices for people who chose a daily digest.
    Returns the number of combined messages sent.
    """
    now = now or timezone.now()
    groups = list(
        Delivery.objects.filter(
            status=DeliveryStatus.HELD, channel__in=SENT_BY_TASK, created_at__lte=now
        )
        .values_list("person_id", "channel")
        .order_by("person_id", "channel")
        .distinct()
    )
    with Outbox() as outbox:
        sent = [_digest_one(outbox, person, channel, now) for person, channel in groups]
    return sum(sent)
