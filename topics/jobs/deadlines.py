"""Watching how long a topic stays in a step (议而不决, 决而不行; DOMAIN.md §4).

Two hourly scheduled jobs. Before a step's deadline (``Topic.step_due_at``)
the people who run the topic's place are reminded (its approvers while it
waits for approval); once it has passed, the township party secretary is told
(督办) with the deputy in charge for a township topic and the village's party
secretary for a village topic. Each fires once per stay in a state: the
idempotency key holds the time the topic entered the state, so a topic that
leaves and re-enters a state is watched afresh. A topic with nobody to tell is
recorded once and the administrators are told (``notifications.reminders``).

Each run reads everything it needs in a fixed number of queries and notifies
only topics not yet reminded or escalated in their current stay.
"""

import logging
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from committees import roles
from notifications.jobs import register_job
from notifications.models import Kind
from notifications.reminders import (
    Reminder,
    already_sent,
    holders,
    notify_each,
    reminder_key,
    unique_users,
)

from ..models import StepLimit, Topic, step_limits
from ..states import DEFAULT_STEP_LIMITS, State

logger = logging.getLogger(__name__)

REMINDER_JOB = "topics.step_reminders"
ESCALATION_JOB = "topics.step_escalations"
# Who is told of an overdue step, by the permission they hold (the committees
# gate, DOMAIN.md §1): on the township, those who may send a township topic
# back (its secretary and the deputy in charge) or, for a village topic, the
# secretary who oversees the villages; on a village, its approver (the
# village party secretary).
ESCALATE_TOWNSHIP_TOPIC = roles.REVISE
ESCALATE_VILLAGE_TOPIC_TOWNSHIP = roles.WITHDRAW_VILLAGES
ESCALATE_VILLAGE_TOPIC_VILLAGE = roles.APPROVE
# Only these states have a time limit, hence a step_due_at.
TIMED_STATES = tuple(DEFAULT_STEP_LIMITS)


def register() -> None:
    register_job(
        REMINDER_JOB,
        send_step_reminders,
        description=gettext_lazy("议题步骤到期提醒"),
        every=timedelta(hours=1),
    )
    register_job(
        ESCALATION_JOB,
        send_step_escalations,
        description=gettext_lazy("议题步骤逾期督办"),
        every=timedelta(hours=1),
    )


def reminder_key_of(topic: Topic) -> str:
    return reminder_key("topic-reminder", topic.pk, topic.state, topic.state_changed_at)


def escalation_key_of(topic: Topic) -> str:
    return reminder_key(
        "topic-escalation", topic.pk, topic.state, topic.state_changed_at
    )


def _remind_days(topics: list[Topic]) -> dict[int, int]:
    """Days of warning per topic id, in one query."""
    limits = step_limits((t.place, t.state) for t in topics)
    return {t.pk: limits[(t.place_id, t.state)][1] for t in topics}


def _link(topic: Topic) -> str:
    return reverse("topics:detail", args=[topic.pk])


# -- wording -------------------------------------------------------------------


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _duration(delta: timedelta) -> str:
    days, hours = divmod(int(delta.total_seconds() // 3600), 24)
    hours_text = ngettext("%(hours)d 小时", "%(hours)d 小时", hours) % {"hours": hours}
    if days:
        days_text = ngettext("%(days)d 天", "%(days)d 天", days) % {"days": days}
        # "1 天 2 小时" / "1 day 2 hours"
        return pgettext("days and hours", "%(days)s %(hours)s") % {
            "days": days_text,
            "hours": hours_text,
        }
    if hours:
        return hours_text
    return _("不足 1 小时")


def _facts(topic: Topic) -> dict[str, str]:
    return {
        "title": topic.title,
        "place": topic.place.name,
        "state": str(topic.get_state_display()),
        "entered": _when(topic.state_changed_at),
        "due": _when(topic.step_due_at),
    }


# -- the jobs ----------------------------------------------------------------


def send_step_reminders(now: datetime) -> int:
    """Remind whoever must act on topics whose step deadline is near."""
    horizon = max(
        *(days for _max, days in DEFAULT_STEP_LIMITS.values()),
        StepLimit.objects.aggregate(m=Max("remind_before_days"))["m"] or 0,
    )
    candidates = Topic.objects.filter(
        state__in=TIMED_STATES,
        step_due_at__gt=now,
        step_due_at__lte=now + timedelta(days=horizon),
    )
    candidates = list(candidates.select_related("place").order_by("step_due_at", "pk"))
    sent_keys = already_sent(reminder_key_of(t) for t in candidates)
    topics = [t for t in candidates if reminder_key_of(t) not in sent_keys]
    remind_days = _remind_days(topics)
    due = [
        t for t in topics if t.step_due_at - timedelta(days=remind_days[t.pk]) <= now
    ]
    approving = {t.place_id for t in due if t.state == State.SUBMITTED}
    running = {t.place_id for t in due if t.state != State.SUBMITTED}
    approvers = holders(roles.APPROVE, approving)
    runners = holders(roles.RUN, running)

    def recipients(topic: Topic) -> list[AbstractBaseUser]:
        if topic.state == State.SUBMITTED:
            return approvers.get(topic.place_id, [])
        return runners.get(topic.place_id, [])

    def message(topic: Topic) -> tuple[str, str]:
        facts = {**_facts(topic), "left": _duration(topic.step_due_at - now)}
        subject = _("提醒：议题“%(title)s”的“%(state)s”步骤即将到期") % facts
        if topic.state == State.SUBMITTED:
            body = _(
                "议题“%(title)s”（%(place)s）自 %(entered)s 起处于“%(state)s”，"
                "本步骤期限为 %(due)s，还剩 %(left)s。请及时审批。"
            )
        else:
            body = _(
                "议题“%(title)s”（%(place)s）自 %(entered)s 起处于“%(state)s”，"
                "本步骤期限为 %(due)s，还剩 %(left)s。"
                "请及时完成本步骤的工作，避免议而不决、决而不行。"
            )
        return subject, body % facts

    return notify_each(
        Kind.REMINDER,
        [
            Reminder(t, reminder_key_of(t), recipients(t), t.place.township_id)
            for t in due
        ],
        message,
        link=_link,
    )


def send_step_escalations(now: datetime) -> int:
    """Tell the township secretary and the responsible people of overdue steps.

    A township topic goes to the township secretary and the deputy in charge;
    a village topic to the township secretary and the village's secretary.
    """
    candidates = list(
        Topic.objects.overdue(now)
        .filter(state__in=TIMED_STATES)
        .select_related("place")
        .order_by("step_due_at", "pk")
    )
    sent_keys = already_sent(escalation_key_of(t) for t in candidates)
    topics = [t for t in candidates if escalation_key_of(t) not in sent_keys]
    if not topics:
        return 0
    village_topics = [t for t in topics if t.place.is_village]
    township_heads = holders(
        ESCALATE_TOWNSHIP_TOPIC,
        {t.place_id for t in topics if not t.place.is_village},
    )
    village_overseers = holders(
        ESCALATE_VILLAGE_TOPIC_TOWNSHIP, {t.place.township_id for t in village_topics}
    )
    village_heads = holders(
        ESCALATE_VILLAGE_TOPIC_VILLAGE, {t.place_id for t in village_topics}
    )

    def recipients(topic: Topic) -> list[AbstractBaseUser]:
        if not topic.place.is_village:
            return unique_users(township_heads.get(topic.place_id, []))
        return unique_users(
            [
                *village_overseers.get(topic.place.township_id, []),
                *village_heads.get(topic.place_id, []),
            ]
        )

    def message(topic: Topic) -> tuple[str, str]:
        facts = {**_facts(topic), "overdue": _duration(now - topic.step_due_at)}
        subject = _("逾期督办：议题“%(title)s”的“%(state)s”步骤已逾期") % facts
        body = _(
            "议题“%(title)s”（%(place)s）自 %(entered)s 起处于“%(state)s”，"
            "本步骤期限为 %(due)s，已逾期 %(overdue)s。请督促责任人尽快办理，"
            "避免议而不决、决而不行。"
        )
        return subject, body % facts

    return notify_each(
        Kind.ESCALATION,
        [
            Reminder(t, escalation_key_of(t), recipients(t), t.place.township_id)
            for t in topics
        ],
        message,
        link=_link,
    )
