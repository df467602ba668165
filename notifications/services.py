"""Sending notices: who gets which channel, and each delivery exactly once.

``notify`` writes one Notification and its Delivery rows in one transaction and
queues the email and SMS rows only after commit. A task then runs
``delivery_attempt`` per delivery: it locks the row, sends, and records the
attempt in the same transaction, so a duplicated or redelivered task finds the
row already sent and does nothing. The database, not the broker, is the record
of what is still owed: ``requeue_stale`` republishes what a broker outage or a
killed worker left queued.
"""

import logging
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from functools import partial

import kombu.exceptions
import redis.exceptions
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from committees import roles
from committees.models import Person
from committees.permissions import has_place_perm
from committees.services import persons_for_users
from core.audit import audit_record

from .channels.email import (
    EmailChannel,
    digest_email,
    message_id_header,
    notification_email,
)
from .channels.sms import SmsBackend, digest_text, notification_text, sms_backend
from .ics import notification_ics
from .models import (
    REQUIRED_KINDS,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Kind,
    Notification,
    Preference,
)

logger = logging.getLogger(__name__)

# The inbox is the row itself and paper is printed by a clerk: only these two
# channels are ever sent by a task.
SENT_BY_TASK = (Channel.EMAIL, Channel.SMS)
# Delivery ids per deliver_batch task: large enough that a big notice costs a
# few dozen broker messages, small enough that a killed worker strands little.
BATCH_SIZE = 200
# Keeps every IN (...) list well under SQLite's limit on query variables.
_IN_CHUNK = 5000
# Rows per INSERT statement; Django lowers it further where SQLite needs it.
_INSERT_BATCH = 2000
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
    return getattr(settings, "XST_DELIVERY_MAX_ATTEMPTS", 5)


def retry_countdown(attempt: int) -> int:
    """Seconds to wait after the attempt-th failure: base, 2×base, 4×base…"""
    base = getattr(settings, "XST_DELIVERY_RETRY_BASE", 60)
    return min(base * 2 ** (attempt - 1), _MAX_BACKOFF_SECONDS)


def _chunks(values: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _rows_in(queryset: models.QuerySet, field: str, values: Sequence) -> Iterator:
    for chunk in _chunks(values, _IN_CHUNK):
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


# -- notify: plan and record every delivery, queue after commit


def _skip_reasons() -> dict[str, str]:
    # Stored text that any clerk reads later: the site language, not the
    # language of whoever happened to trigger the notice.
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "no_account": _("无系统账号"),
            "no_email": _("无电子邮箱"),
            "no_phone": _("无手机号"),
            "email_off": _("本人已关闭电子邮件"),
            "sms_off": _("本人已关闭短信"),
        }


def _recipient_persons(recipients: Iterable) -> list[Person]:
    user_model = get_user_model()
    persons: dict[int, Person] = {}
    users: dict[int, AbstractBaseUser] = {}
    for recipient in recipients:
        if isinstance(recipient, Person) and recipient.pk:
            persons.setdefault(recipient.pk, recipient)
        elif isinstance(recipient, user_model) and recipient.pk:
            users[recipient.pk] = recipient
        else:
            raise TypeError(f"not a saved person or user: {recipient!r}")
    for person in persons_for_users(users.values()) if users else ():
        persons.setdefault(person.pk, person)
    return list(persons.values())


def _plan(
    notification: Notification,
    person: Person,
    preference: Preference | None,
    wanted: frozenset[str],
    stamp: datetime,
    reasons: dict[str, str],
) -> list[Delivery]:
    """The delivery rows for one recipient: sent, queued, held or skipped (why)."""
    hold = (
        notification.kind not in REQUIRED_KINDS
        and preference is not None
        and preference.daily_digest
    )
    rows: list[Delivery] = []

    def add(channel, status, *, address="", reason="", sent_at=None) -> None:
        rows.append(
            Delivery(
                notification_id=notification.pk,
                person_id=person.pk,
                channel=channel,
                status=status,
                address=address,
                skip_reason=reason,
                created_at=stamp,
                sent_at=sent_at,
            )
        )

    reached = False
    if Channel.INBOX in wanted:
        if person.user_id:
            add(Channel.INBOX, DeliveryStatus.SENT, sent_at=stamp)
            reached = True
        else:
            add(Channel.INBOX, DeliveryStatus.SKIPPED, reason=reasons["no_account"])
    electronic = (
        (
            Channel.EMAIL,
            person.email.strip(),
            preference.email if preference else True,
            "no_email",
            "email_off",
        ),
        (
            Channel.SMS,
            person.phone.strip(),
            preference.sms if preference else True,
            "no_phone",
            "sms_off",
        ),
    )
    for channel, address, allowed, missing, off in electronic:
        if channel not in wanted:
            continue
        if not address:
            add(channel, DeliveryStatus.SKIPPED, reason=reasons[missing])
        elif not allowed:
            add(channel, DeliveryStatus.SKIPPED, reason=reasons[off])
        else:
            status = DeliveryStatus.HELD if hold else DeliveryStatus.QUEUED
            add(channel, status, address=address)
            reached = True
    # Someone nothing else reaches gets a printed notice (纸质通知书); the
    # clerk records the signed receipt with receipt_record.
    if Channel.PAPER in wanted and not reached:
        add(Channel.PAPER, DeliveryStatus.QUEUED)
    return rows


def notify(
    *,
    key: str,
    kind: str,
    recipients: Iterable[Person | AbstractBaseUser],
    subject: str,
    body: str,
    topic=None,
    link: str = "",
    event_start: datetime | None = None,
    event_end: datetime | None = None,
    location: str = "",
    actor=None,
    channels: Iterable[str] | None = None,
) -> Notification:
    """Send one logical notice; the same ``key`` again adds only new recipients.

    Call it inside the transaction of the change that causes the notice: email
    and SMS are queued only when that transaction commits, so a rolled-back
    change sends nothing, and a broker outage never fails the change.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notice kind {kind!r}")
    wanted = frozenset(Channel.values if channels is None else channels)
    if not wanted <= set(Channel.values):
        raise ValueError(f"unknown channels {sorted(wanted - set(Channel.values))}")
    reasons = _skip_reasons()
    # One timestamp for this call's rows identifies them after bulk_create,
    # which returns no ids when it ignores conflicts.
    stamp = timezone.now()
    with transaction.atomic():
        notification, _created = Notification.objects.get_or_create(
            key=key,
            defaults={
                "kind": kind,
                "topic": topic,
                "subject": subject,
                "body": body,
                "link": link,
                "event_start": event_start,
                "event_end": event_end,
                "location": location,
                "created_by": actor if getattr(actor, "pk", None) else None,
                "created_at": stamp,
            },
        )
        persons = _recipient_persons(recipients)
        preferences = {
            p.person_id: p
            for p in _rows_in(
                Preference.objects.all(), "person_id", [p.pk for p in persons]
            )
        }
        rows = [
            row
            for person in persons
            for row in _plan(
                notification,
                person,
                preferences.get(person.pk),
                wanted,
                stamp,
                reasons,
            )
        ]
        # The unique (notification, person, channel) constraint makes a repeat
        # or a concurrent call with the same key insert nothing twice.
        Delivery.objects.bulk_create(
            rows, batch_size=_INSERT_BATCH, ignore_conflicts=True
        )
        if any(
            r.status == DeliveryStatus.QUEUED and r.channel in SENT_BY_TASK
            for r in rows
        ):
            queued = list(
                Delivery.objects.filter(
                    notification=notification,
                    created_at=stamp,
                    status=DeliveryStatus.QUEUED,
                    channel__in=SENT_BY_TASK,
                )
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if queued:
                transaction.on_commit(partial(queue_deliveries, queued), robust=True)
    return notification


def queue_deliveries(delivery_ids: Sequence[int]) -> int:
    """Publish deliver_batch tasks; return how many ids reached the broker.

    A broker error stops publishing and is only logged: the deliveries stay
    queued in the database and requeue_stale sends them later, so the change
    that caused the notice is never undone by an outage.
    """
    from . import tasks  # imported here: the tasks module imports this one

    published = 0
    for chunk in _chunks(list(delivery_ids), BATCH_SIZE):
        try:
            tasks.deliver_batch.delay(list(chunk))
        except BROKER_ERRORS:
            logger.warning(
                "broker unavailable; %d deliveries stay queued for the sweep",
                len(delivery_ids) - published,
                exc_info=True,
            )
            break
        published += len(chunk)
    return published


# -- one delivery, exactly once


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:_ERROR_MAX_LENGTH]


def _record_success(delivery: Delivery, number: int) -> None:
    now = timezone.now()
    DeliveryAttempt.objects.create(delivery=delivery, number=number, at=now, ok=True)
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = now
    delivery.attempts = number
    delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "sent_at", "attempts", "next_attempt_at"])


def _record_failure(delivery: Delivery, number: int, exc: Exception) -> int | None:
    """Record the failed attempt; return the retry countdown, None if given up."""
    now = timezone.now()
    error = _error_text(exc)
    DeliveryAttempt.objects.create(
        delivery=delivery, number=number, at=now, ok=False, error=error
    )
    delivery.attempts = number
    delivery.last_error = error
    countdown = None
    if number >= max_attempts():
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        logger.error("delivery %s failed for good: %s", delivery.pk, error)
    else:
        countdown = retry_countdown(number)
        delivery.next_attempt_at = now + timedelta(seconds=countdown)
        logger.warning(
            "delivery %s attempt %d failed, retry in %ds: %s",
            delivery.pk,
            number,
            countdown,
            error,
        )
    delivery.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
    return countdown


def delivery_attempt(delivery_id: int, *, outbox: Outbox | None = None) -> str:
    """Send one email or SMS delivery if it is still owed; return its status.

    The row stays locked from the status check until the attempt is recorded
    and committed, so concurrent or redelivered tasks for the same delivery
    wait and then find it sent. Returns "missing" for a deleted delivery.
    Raises DeliveryRetry after a recorded failure that should be retried.
    """
    if outbox is None:
        with Outbox() as own:
            return delivery_attempt(delivery_id, outbox=own)
    countdown = None
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
        delivery.notification = outbox.notification(delivery.notification_id)
        number = delivery.attempts + 1
        try:
            outbox.send(delivery)
        except SoftTimeLimitExceeded:
            # Not the channel's fault: the task is out of time and requeues.
            raise
        except Exception as exc:
            countdown = _record_failure(delivery, number, exc)
        else:
            _record_success(delivery, number)
    if countdown is not None:
        # Raised after commit: raising inside would roll back the record.
        raise DeliveryRetry(delivery_id, countdown)
    return delivery.status


def requeue_stale(
    *, now: datetime | None = None, older_than: timedelta = timedelta(minutes=5)
) -> int:
    """Republish email/SMS deliveries still queued well after they were due.

    They were lost: the broker was down when they were published, or the
    worker holding them died. Returns how many were published again.
    """
    cutoff = (now or timezone.now()) - older_than
    stale = Q(next_attempt_at__isnull=True, created_at__lte=cutoff) | Q(
        next_attempt_at__lte=cutoff
    )
    queued = Delivery.objects.filter(
        status=DeliveryStatus.QUEUED, channel__in=SENT_BY_TASK
    )
    ids = list(queued.filter(stale).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    # Stamped first, so the next sweep leaves them alone for another
    # older_than instead of piling duplicates onto a slow queue; by the
    # database clock, which is what delivery_attempt checks it against.
    for chunk in _chunks(ids, _IN_CHUNK):
        queued.filter(stale, pk__in=chunk).update(next_attempt_at=Now())
    published = queue_deliveries(ids)
    logger.info("requeued %d of %d stale deliveries", published, len(ids))
    return published


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


# -- inbox and paper


def delivery_mark_read(*, user, delivery_id: int) -> Delivery:
    """Mark one of the user's inbox notices read; Http404 for anyone else's."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .filter(
                pk=delivery_id,
                person__user=user,
                channel=Channel.INBOX,
                status__in=[DeliveryStatus.SENT, DeliveryStatus.READ],
            )
            .first()
        )
        if delivery is None:
            raise Http404
        if delivery.status == DeliveryStatus.SENT:
            delivery.status = DeliveryStatus.READ
            delivery.read_at = timezone.now()
            delivery.save(update_fields=["status", "read_at"])
    return delivery


def inbox_mark_all_read(*, user) -> int:
    """Mark every unread inbox notice of the user read, in one statement."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Delivery.objects.filter(
        person__user=user, channel=Channel.INBOX, status=DeliveryStatus.SENT
    ).update(status=DeliveryStatus.READ, read_at=timezone.now())


def _may_record_receipt(actor, notification: Notification) -> bool:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if notification.topic_id is None:
        return actor.is_staff
    return has_place_perm(actor, roles.RUN, notification.topic.place_id)


def receipt_record(
    *, actor, delivery_id: int, signed_by: str, signed_at: datetime | None = None
) -> Delivery:
    """Record the signed receipt (签收) of a printed notice: it counts as sent."""
    signed_by = (signed_by or "").strip()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("notification__topic")
            .filter(pk=delivery_id, channel=Channel.PAPER)
            .first()
        )
        if delivery is None:
            raise Http404
        if not _may_record_receipt(actor, delivery.notification):
            raise PermissionDenied(_("您不能登记该通知书的签收。"))
        if not signed_by:
            raise ValidationError({"signed_by": [_("请填写签收人姓名。")]})
        max_length = Delivery._meta.get_field("receipt_signed_by").max_length
        if len(signed_by) > max_length:
            message = _("签收人姓名不能超过 %(n)d 个字。") % {"n": max_length}
            raise ValidationError({"signed_by": [message]})
        now = timezone.now()
        if signed_at is not None and signed_at > now:
            raise ValidationError({"signed_at": [_("签收时间不能晚于当前时间。")]})
        if delivery.status != DeliveryStatus.QUEUED:
            raise ValidationError(_("该通知书已登记签收。"))
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = signed_at or now
        delivery.receipt_signed_by = signed_by
        delivery.receipt_recorded_by = actor
        delivery.save(
            update_fields=[
                "status",
                "sent_at",
                "receipt_signed_by",
                "receipt_recorded_by",
            ]
        )
        audit_record(
            subject=delivery,
            actor=actor,
            verb="receipt_record",
            from_state=DeliveryStatus.QUEUED,
            to_state=DeliveryStatus.SENT,
            data={"signed_by": signed_by, "signed_at": delivery.sent_at.isoformat()},
        )
    return delivery
