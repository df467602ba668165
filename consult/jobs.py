"""Scheduled jobs of steps 2 and 3.

- ``consult.written_reminders`` reminds the participants who have not yet
  answered a written consultation (书面征询) whose deadline is near. It fires
  once per session and deadline: the key names both, so a deadline moved later
  reminds again. Built on ``notifications.reminders``.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees.models import Person
from notifications.jobs import register_job
from notifications.models import Kind
from notifications.reminders import Reminder, already_sent, notify_each, reminder_key
from topics.catalogue import Form
from topics.states import State

from .models import Opinion, OpinionSource, Participant, Session
from .services._base import _link, _when

WRITTEN_REMINDERS = "consult.written_reminders"


def register() -> None:
    register_job(
        WRITTEN_REMINDERS,
        send_written_reminders,
        description=gettext_lazy("提醒尚未答复书面征询的参与对象"),
        every=timedelta(hours=1),
    )


def written_reminder_key(session: Session) -> str:
    # The deadline as ISO text, as the keys were written before the helper
    # existed, so a reminder already sent is not sent again.
    return reminder_key(
        "consult:written-remind", session.pk, session.ends_at.isoformat()
    )


def _message(session: Session) -> tuple[str, str]:
    subject = _("书面征询提醒：%(title)s") % {"title": session.topic.title}
    body = _("您尚未答复，截止时间：%(deadline)s。") % {
        "deadline": _when(session.ends_at)
    }
    return subject, body


def _session_link(session: Session) -> str:
    return _link("consult:session", session_id=session.pk)


def send_written_reminders(now: datetime) -> int:
    """Remind participants who have not answered a written consultation whose
    deadline is near; a fixed number of queries plus one ``notify`` per session
    reminded."""
    horizon = now + timedelta(hours=settings.XST_WRITTEN_REMIND_HOURS)
    candidates = list(
        Session.objects.filter(
            form__in=[Form.T_WRITTEN, Form.V_WRITTEN],
            closed_at__isnull=True,
            starts_at__lte=now,
            ends_at__gt=now,
            ends_at__lte=horizon,
            topic__state=State.CONSULTING,
        )
        .select_related("topic")
        .order_by("ends_at", "pk")
    )
    sent_keys = already_sent(written_reminder_key(s) for s in candidates)
    sessions = [s for s in candidates if written_reminder_key(s) not in sent_keys]
    if not sessions:
        return 0
    by_topic: dict[int, list[Participant]] = {}
    for participant in Participant.objects.filter(
        topic_id__in={s.topic_id for s in sessions}
    ).select_related("person"):
        by_topic.setdefault(participant.topic_id, []).append(participant)
    answered = set(
        Opinion.objects.filter(
            session__in=sessions, source=OpinionSource.WRITTEN
        ).values_list("session_id", "participant_id")
    )

    def waiting(session: Session) -> list[Person]:
        return [
            p.person
            for p in by_topic.get(session.topic_id, [])
            if (session.pk, p.pk) not in answered
        ]

    # A session everyone has answered needs no reminder: it is left out, not
    # handed on as a notice with nobody to tell.
    reminders = [
        Reminder(s.topic, written_reminder_key(s), persons, record=s)
        for s in sessions
        if (persons := waiting(s))
    ]
    return notify_each(Kind.WRITTEN_REQUEST, reminders, _message, link=_session_link)
