"""Reminders and escalations about records with a deadline: the public helper.

Any app that watches deadlines builds on this module instead of copying it:
topics (step deadlines, ``topics.jobs.deadlines``), consult (written-consultation
reminders), feedback (overdue tasks, the end of a 公示). A scheduled job
(``notifications.jobs.register_job``) does, in a fixed number of queries:

1. read its candidate records;
2. give each an idempotency key with ``reminder_key(prefix, record.pk,
   <deadline or the time it entered its state>)`` and drop the keys
   ``already_sent`` finds, so each reminder goes out once per deadline or
   stay, and a record that re-enters a state is watched afresh;
3. find who must act with ``holders(permission, place_ids)``, the committees
   permission gate read for many places at once;
4. hand the list to ``notify_each``, which sends one notice per record, lets
   one failure spoil only its own notice, and, when a record has nobody to
   tell, records that once (a ``no_recipient`` notice under the reminder's own
   key, so the next run does not try again) and tells the administrators of
   the township (holders of ``manage_rosters``), who can assign the role.
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from committees import roles
from committees.permissions import place_perm_holders

from .delivery import chunks
from .models import Kind, Notification
from .notify import notify

logger = logging.getLogger(__name__)

_KEY_CHUNK = 2000


@dataclass(frozen=True)
class Reminder:
    """One notice to send: about what, under which key, to whom.

    ``admin_place_id`` is the place (a township) whose administrators are
    told when ``recipients`` is empty. ``record`` is the record with the
    deadline when the notice is filed under another one (an overdue task's
    notice belongs to its topic): ``message`` and ``link`` are given
    ``record``, or ``about`` when there is none.
    """

    about: models.Model
    key: str
    recipients: Sequence
    admin_place_id: int | None = None
    record: models.Model | None = None

    @property
    def watched(self) -> models.Model:
        return self.about if self.record is None else self.record


def reminder_key(prefix: str, *parts: object) -> str:
    """ "prefix:part:part…", a datetime part as whole seconds since the epoch
    and any other part (a date, a string) as its text.

    ``reminder_key("topic-reminder", topic.pk, topic.state,
    topic.state_changed_at)`` is one reminder per stay in a state;
    ``reminder_key("feedback-task-overdue", task.pk, task.deadline)`` one per
    deadline.
    """
    text = [
        str(int(part.timestamp())) if isinstance(part, datetime) else str(part)
        for part in parts
    ]
    return ":".join([prefix, *text])


def already_sent(keys: Iterable[str]) -> set[str]:
    """Which of these keys already have a notice (sent, or recorded as unsendable)."""
    keys = list(dict.fromkeys(keys))
    found: set[str] = set()
    for chunk in chunks(keys, _KEY_CHUNK):
        found.update(
            Notification.objects.filter(key__in=chunk).values_list("key", flat=True)
        )
    return found


def holders(codename: str, place_ids: Iterable[int]) -> dict[int, list]:
    """Active users holding a place permission, by place id (three queries)."""
    place_ids = set(place_ids)
    return place_perm_holders(codename, place_ids) if place_ids else {}


def unique_users(users: Iterable) -> list:
    return list({user.pk: user for user in users}.values())


def _tell_administrators(
    kind: str,
    reminder: Reminder,
    subject: str,
    body: str,
    link: str,
    administrators: list,
) -> None:
    logger.warning(
        "%s %s has no recipient; recorded once and %d administrators told",
        kind,
        reminder.key,
        len(administrators),
    )
    with translation.override(settings.LANGUAGE_CODE):
        kind_label = str(Kind(kind).label)
        admin_subject = _("无人接收的%(kind)s：%(subject)s") % {
            "kind": kind_label,
            "subject": subject,
        }
        admin_body = _(
            "下面这条%(kind)s找不到接收人（没有人担任相应职务），"
            "系统只记录这一次，不会重复发送。请在角色授权中指定负责人，"
            "并请其及时办理。\n\n%(body)s"
        ) % {"kind": kind_label, "body": body}
    notify(
        key=reminder.key,
        kind=Kind.NO_RECIPIENT,
        recipients=administrators,
        subject=admin_subject,
        body=admin_body,
        about=reminder.about,
        link=link,
    )


def notify_each(
    kind: str,
    reminders: Sequence[Reminder],
    message: Callable[[models.Model], tuple[str, str]],
    *,
    link: Callable[[models.Model], str] | None = None,
) -> int:
    """Send one notice per reminder; return how many reached someone.

    ``message(record)`` returns (subject, body) and is called in the site's
    language, whoever triggered the run. A failing notice is logged and left
    for the next run; running out of time (SoftTimeLimitExceeded) stops the
    run, and the next one starts with what is left.
    """
    unreached = {r.admin_place_id for r in reminders if not r.recipients}
    administrators = holders(roles.ROSTERS, unreached - {None})
    sent = 0
    for reminder in reminders:
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = message(reminder.watched)
        target = link(reminder.watched) if link else ""
        try:
            if reminder.recipients:
                notify(
                    key=reminder.key,
                    kind=kind,
                    recipients=reminder.recipients,
                    subject=subject,
                    body=body,
                    about=reminder.about,
                    link=target,
                )
                sent += 1
            else:
                _tell_administrators(
                    kind,
                    reminder,
                    subject,
                    body,
                    target,
                    administrators.get(reminder.admin_place_id, []),
                )
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            logger.exception("%s %s failed; retried next run", kind, reminder.key)
    return sent
