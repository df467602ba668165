"""Watching how long a topic stays in a step (议而不决, 决而不行; DOMAIN.md §4).

Two hourly checks. Before a step's deadline (``Topic.step_due_at``) the people
who must act are reminded; once it has passed, the township party secretary and
the place's first responsible person are told (督办). Each fires once per stay
in a state: the idempotency key holds the time the topic entered the state, so
a topic that leaves and re-enters a state is watched afresh.

Each run reads everything it needs in a fixed number of queries and calls
``notify`` only for topics not yet reminded or escalated in their current stay.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from committees import roles
from committees.models import Role, RoleGrant
from committees.permissions import place_perm_holders
from notifications.models import Kind, Notification
from notifications.periodic import register_check
from notifications.services import notify

from .models import StepLimit, Topic, step_limits
from .states import DEFAULT_STEP_LIMITS, State

logger = logging.getLogger(__name__)

REMINDER_CHECK = "topics.step_reminders"
ESCALATION_CHECK = "topics.step_escalations"
CLERK_ROLES = (Role.TOWNSHIP_CLERK, Role.VILLAGE_CLERK)
# Only these states have a time limit, hence a step_due_at.
TIMED_STATES = tuple(DEFAULT_STEP_LIMITS)


def register() -> None:
    register_check(
        REMINDER_CHECK,
        send_step_reminders,
        description=gettext_lazy("议题步骤到期提醒"),
        every=timedelta(hours=1),
    )
    register_check(
        ESCALATION_CHECK,
        send_step_escalations,
        description=gettext_lazy("议题步骤逾期督办"),
        every=timedelta(hours=1),
    )


def _stay(topic: Topic) -> str:
    return f"{topic.pk}:{topic.state}:{int(topic.state_changed_at.timestamp())}"


def reminder_key(topic: Topic) -> str:
    return f"topic-reminder:{_stay(topic)}"


def escalation_key(topic: Topic) -> str:
    return f"topic-escalation:{_stay(topic)}"


# -- reads, each one query whatever the number of topics ----------------------


def _remind_days(topics: list[Topic]) -> dict[int, int]:
    """Days of warning per topic id, in one query."""
    limits = step_limits((t.place, t.state) for t in topics)
    return {t.pk: limits[(t.place_id, t.state)][1] for t in topics}


def _sent_keys(kind: str, topics: QuerySet[Topic]) -> set[str]:
    return set(
        Notification.objects.filter(kind=kind, topic__in=topics).values_list(
            "key", flat=True
        )
    )


def _grant_holders(condition: Q) -> dict[tuple[int, str], list[AbstractBaseUser]]:
    """Active users by (place id, role) for the role grants matching ``condition``."""
    grants = (
        RoleGrant.objects.filter(condition, user__is_active=True)
        .select_related("user")
        .order_by("place_id", "role", "user_id")
    )
    holders: dict[tuple[int, str], list[AbstractBaseUser]] = {}
    for grant in grants:
        holders.setdefault((grant.place_id, grant.role), []).append(grant.user)
    return holders


def _unique(users: Iterable[AbstractBaseUser]) -> list[AbstractBaseUser]:
    return list({user.pk: user for user in users}.values())


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


def _notify_each(
    kind: str,
    batch: list[tuple[Topic, str, list[AbstractBaseUser]]],
    message: Callable[[Topic], tuple[str, str]],
) -> int:
    """Send one notice per (topic, key, recipients); a failure spoils only its own."""
    sent = 0
    for topic, key, recipients in batch:
        if not recipients:
            # Nothing is recorded, so the next run tries again once someone
            # holds the role.
            logger.warning("%s for topic %s has no recipient", kind, topic.pk)
            continue
        # The stored text is in the site's language whoever triggered the run.
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = message(topic)
        try:
            notify(
                key=key,
                kind=kind,
                recipients=recipients,
                subject=subject,
                body=body,
                topic=topic,
                link=reverse("topics:detail", args=[topic.pk]),
            )
        except SoftTimeLimitExceeded:
            # Out of time: stop here; the next run starts with what is left.
            raise
        except Exception:
            logger.exception("%s for topic %s failed; retried next run", kind, topic.pk)
            continue
        sent += 1
    return sent


# -- the checks ----------------------------------------------------------------


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
    sent_keys = _sent_keys(Kind.REMINDER, candidates)
    topics = [
        t
        for t in candidates.select_related("place").order_by("step_due_at", "pk")
        if reminder_key(t) not in sent_keys
    ]
    remind_days = _remind_days(topics)
    due = [
        t for t in topics if t.step_due_at - timedelta(days=remind_days[t.pk]) <= now
    ]
    approving = {t.place_id for t in due if t.state == State.SUBMITTED}
    running = {t.place_id for t in due if t.state != State.SUBMITTED}
    approvers = place_perm_holders(roles.APPROVE, approving) if approving else {}
    clerks = (
        _grant_holders(Q(place_id__in=running, role__in=CLERK_ROLES)) if running else {}
    )

    def recipients(topic: Topic) -> list[AbstractBaseUser]:
        if topic.state == State.SUBMITTED:
            return approvers.get(topic.place_id, [])
        return _unique(
            user
            for role in CLERK_ROLES
            for user in clerks.get((topic.place_id, role), [])
        )

    def message(topic: Topic) -> tuple[str, str]:
        facts = {**_facts(topic), "left": _duration(topic.step_due_at - now)}
        subject = _("提醒:议题“%(title)s”的“%(state)s”步骤即将到期") % facts
        if topic.state == State.SUBMITTED:
            body = _(
                "议题“%(title)s”(%(place)s)自 %(entered)s 起处于“%(state)s”,"
                "本步骤期限为 %(due)s,还剩 %(left)s。请及时审批。"
            )
        else:
            body = _(
                "议题“%(title)s”(%(place)s)自 %(entered)s 起处于“%(state)s”,"
                "本步骤期限为 %(due)s,还剩 %(left)s。"
                "请及时完成本步骤的工作,避免议而不决、决而不行。"
            )
        return subject, body % facts

    return _notify_each(
        Kind.REMINDER,
        [(t, reminder_key(t), recipients(t)) for t in due],
        message,
    )


def send_step_escalations(now: datetime) -> int:
    """Tell the township secretary and the first responsible person of overdue steps."""
    candidates = Topic.objects.overdue(now).filter(state__in=TIMED_STATES)
    sent_keys = _sent_keys(Kind.ESCALATION, candidates)
    topics = [
        t
        for t in candidates.select_related("place").order_by("step_due_at", "pk")
        if escalation_key(t) not in sent_keys
    ]
    if not topics:
        return 0
    townships = {t.place.parent_id or t.place_id for t in topics}
    villages = {t.place_id for t in topics if t.place.is_village}
    holders = _grant_holders(
        Q(place_id__in=townships, role=Role.TOWNSHIP_SECRETARY)
        | Q(place_id__in=villages, role=Role.VILLAGE_SECRETARY)
    )

    def recipients(topic: Topic) -> list[AbstractBaseUser]:
        township = topic.place.parent_id or topic.place_id
        users = holders.get((township, Role.TOWNSHIP_SECRETARY), [])
        if topic.place.is_village:
            users = users + holders.get((topic.place_id, Role.VILLAGE_SECRETARY), [])
        return _unique(users)

    def message(topic: Topic) -> tuple[str, str]:
        facts = {**_facts(topic), "overdue": _duration(now - topic.step_due_at)}
        subject = _("逾期督办:议题“%(title)s”的“%(state)s”步骤已逾期") % facts
        body = _(
            "议题“%(title)s”(%(place)s)自 %(entered)s 起处于“%(state)s”,"
            "本步骤期限为 %(due)s,已逾期 %(overdue)s。请督促责任人尽快办理,"
            "避免议而不决、决而不行。"
        )
        return subject, body % facts

    return _notify_each(
        Kind.ESCALATION,
        [(t, escalation_key(t), recipients(t)) for t in topics],
        message,
    )
