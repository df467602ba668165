"""Planning and publishing notices: who gets which channel, recorded at once.

``notify`` writes one Notification and its Delivery rows in one transaction:
the inbox row is the delivery itself, email and SMS rows are queued and
published to the broker only after commit (``tasks.queue_deliveries``), paper
rows wait for a clerk to print them and record the receipt.
"""

from collections.abc import Iterable
from datetime import datetime
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from committees.models import Person
from committees.services import persons_for_users

from .delivery import SENT_BY_TASK, rows_in
from .models import (
    REQUIRED_KINDS,
    Channel,
    Delivery,
    DeliveryStatus,
    Kind,
    Notification,
    Preference,
)
from .tasks import queue_deliveries
from .text import SUBJECT_MAX_LENGTH, clean_link, single_line

# Rows per INSERT statement; Django lowers it further where SQLite needs it.
_INSERT_BATCH = 2000


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
    about: models.Model | None = None,
    link: str = "",
    event_start: datetime | None = None,
    event_end: datetime | None = None,
    location: str = "",
    actor=None,
    channels: Iterable[str] | None = None,
) -> Notification:
    """Send one logical notice; the same ``key`` again adds only new recipients.

    ``about`` is the saved record the notice concerns (a topic, a session, a
    公示…); its delivery page is the one registered for that model
    (``notifications.subjects``). ``link`` is a site path ("/topics/3/") or an
    http(s) address; anything else raises ValidationError. The subject is
    stored as one clean line, so no header of an email built from it breaks.

    Call it inside the transaction of the change that causes the notice: email
    and SMS are queued only when that transaction commits, so a rolled-back
    change sends nothing, and a broker outage never fails the change.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notice kind {kind!r}")
    if about is not None and not about.pk:
        raise ValueError(f"a notice is about a saved record, not {about!r}")
    link = clean_link(link)
    subject = single_line(subject, max_length=SUBJECT_MAX_LENGTH)
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
                "about_type": (
                    ContentType.objects.get_for_model(about) if about else None
                ),
                "about_id": about.pk if about else None,
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
            for p in rows_in(
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
