"""Writes a person or a clerk makes: inbox reads, paper receipts, preferences.

Planning and sending notices is ``notify.py``; the delivery engine, sweep and
digest are ``delivery.py``; Celery wrappers and publishing are ``tasks.py``.
"""

from contextlib import nullcontext
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.services import person_for_user
from core.audit import audit_record
from core.errors import NotVisible
from core.validators import single_line

from .models import Channel, Delivery, DeliveryStatus, Preference
from .permissions import may_manage_subject
from .subjects import subject_of

PREFERENCE_FIELDS = ("email", "sms", "daily_digest")
# Two tries: a concurrent first save of the same person's record (their
# Person or Preference row) can collide once, never twice.
_UPSERT_TRIES = 2


def delivery_mark_read(*, user, delivery_id: int) -> Delivery:
    """Mark one of the user's inbox notices read; NotVisible for anyone else's."""
    if not getattr(user, "is_authenticated", False):
        raise NotVisible
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
            raise NotVisible
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


def receipt_record(
    *,
    actor,
    delivery_id: int,
    signed_by: str,
    signed_at: datetime | None = None,
) -> Delivery:
    """Record the signed receipt (签收) of a printed notice: it counts as sent.

    The one path for a paper receipt, whichever page it is typed on (the
    topic's step-2 page, a record's delivery page). The signing date lies
    between the day the notice was issued and now: a receipt signed on the
    notice's own day but at an earlier hour than it was issued (a date-only
    slip is read as noon) is stored at the issuing time.

    A receipt is a fact about the past, so it may be entered late, in any
    step: one entered after the meeting the notice announced had begun is
    marked ``receipt_late`` (补登) on the delivery and in the event.

    A notice about a subject registered with a ``write`` hook (a topic) is
    receipted inside that hook: under the owner's lock, refused when the owner
    refuses (``Sealed`` for an archived topic), the event appended to the
    owner's chain naming the delivery. Otherwise the delivery keeps its own
    chain.
    """
    signed_by = (signed_by or "").strip()
    with transaction.atomic():
        found = (
            Delivery.objects.select_related("notification")
            .filter(pk=delivery_id, channel=Channel.PAPER)
            .first()
        )
        if found is None:
            raise NotVisible
        notification = found.notification
        about = notification.about
        if not may_manage_subject(actor, about):
            raise PermissionDenied(_("您不能登记该通知书的签收。"))
        sent_at = _receipt_time(signed_by, signed_at, notification.created_at)
        subject = subject_of(about)
        owned = subject is not None and subject.write is not None
        # The owner's lock first, then the delivery's: the order every writer
        # of the owner's records takes.
        with subject.write(about) if owned else nullcontext() as owner:
            delivery = (
                Delivery.objects.select_for_update(of=("self",))
                .select_related("notification")
                .get(pk=found.pk)
            )
            if delivery.status != DeliveryStatus.QUEUED:
                raise ValidationError(_("该通知书已登记签收。"))
            event_start = delivery.notification.event_start
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = sent_at
            delivery.receipt_signed_by = signed_by
            delivery.receipt_recorded_by = actor
            delivery.receipt_late = bool(event_start and timezone.now() > event_start)
            delivery.save(
                update_fields=[
                    "status",
                    "sent_at",
                    "receipt_signed_by",
                    "receipt_recorded_by",
                    "receipt_late",
                ]
            )
            # On an owner's chain the state columns are the owner's (a topic's
            # transitions); the delivery's status goes in before/after.
            audit_record(
                subject=owner if owned else delivery,
                record=delivery if owned else None,
                actor=actor,
                verb="receipt_record",
                from_state="" if owned else DeliveryStatus.QUEUED,
                to_state="" if owned else DeliveryStatus.SENT,
                data={
                    "before": {"status": DeliveryStatus.QUEUED},
                    "after": {
                        "status": DeliveryStatus.SENT,
                        "person": delivery.person_id,
                        "signed_by": signed_by,
                        "signed_at": sent_at.isoformat(),
                        "late": delivery.receipt_late,
                    },
                },
            )
    return delivery


def _receipt_time(signed_by: str, signed_at: datetime | None, issued: datetime):
    """When the receipt counts as signed; ValidationError for bad input."""
    if not signed_by:
        raise ValidationError({"signed_by": [_("请填写签收人姓名。")]})
    try:
        single_line(signed_by)
    except ValidationError as invalid:
        raise ValidationError({"signed_by": invalid.messages}) from invalid
    max_length = Delivery._meta.get_field("receipt_signed_by").max_length
    if len(signed_by) > max_length:
        message = _("签收人姓名不能超过 %(n)d 个字。") % {"n": max_length}
        raise ValidationError({"signed_by": [message]})
    now = timezone.now()
    if signed_at is not None and signed_at > now:
        raise ValidationError({"signed_at": [_("签收时间不能晚于当前时间。")]})
    if signed_at is not None and timezone.localdate(signed_at) < (
        timezone.localdate(issued)
    ):
        raise ValidationError(
            {
                "signed_at": [
                    _("签收日期不能早于通知发出的日期（%(date)s）。")
                    % {"date": timezone.localdate(issued).isoformat()}
                ]
            }
        )
    return max(signed_at, issued) if signed_at else now


def preference_save(*, actor, email: bool, sms: bool, daily_digest: bool) -> Preference:
    """Save the actor's own notice preferences in one upsert.

    INSERT … ON CONFLICT (person) DO UPDATE: simultaneous first saves all
    succeed and the last one wins. A collision the upsert cannot absorb (two
    first requests creating the same Person) is retried once.
    """
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied(_("请先登录。"))
    values = {
        "email": bool(email),
        "sms": bool(sms),
        "daily_digest": bool(daily_digest),
    }
    for _retry in range(_UPSERT_TRIES - 1):
        try:
            return _preference_upsert(actor, values)
        except IntegrityError:
            continue
    return _preference_upsert(actor, values)


def _preference_upsert(actor, values: dict[str, bool]) -> Preference:
    with transaction.atomic():
        person = person_for_user(actor)
        Preference.objects.bulk_create(
            [Preference(person=person, **values)],
            update_conflicts=True,
            unique_fields=["person"],
            update_fields=list(PREFERENCE_FIELDS),
        )
        return Preference.objects.get(person=person)
