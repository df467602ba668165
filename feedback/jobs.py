"""Scheduled jobs of steps 4 and 5 (决而不行 watched, 公示 on time).

- ``feedback.notice_sweep`` publishes each 公示 when its start comes and ends it
  when its end comes.
- ``feedback.task_overdue`` reminds the responsible person and the clerk of an
  overdue task, and after ``XST_TASK_ESCALATE_AFTER_DAYS`` tells the township
  and the place's secretary (督办). Each fires once per task and deadline: the
  key names both, so a deadline moved later is watched afresh. The two notices
  are built on ``notifications.reminders`` (keys, recipients, nobody to tell).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees import roles
from committees.models import Person
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
from topics.states import State

from . import services
from .models import Task, TaskStatus

NOTICE_SWEEP = "feedback.notice_sweep"
TASK_OVERDUE = "feedback.task_overdue"


def register() -> None:
    register_job(
        NOTICE_SWEEP,
        services.public_notices_sweep,
        description=gettext_lazy("公示按时发布与结束"),
        every=timedelta(minutes=5),
    )
    register_job(
        TASK_OVERDUE,
        send_task_overdue,
        description=gettext_lazy("落实任务逾期提醒与督办"),
        every=timedelta(hours=1),
    )


# A deadline is a date, so the keys read as they did before the helper existed
# and notices already sent are not sent again.
def reminder_key_of(task: Task) -> str:
    return reminder_key("feedback-task-overdue", task.pk, task.deadline)


def escalation_key_of(task: Task) -> str:
    return reminder_key("feedback-task-escalation", task.pk, task.deadline)


def _link(task: Task) -> str:
    return reverse("feedback:implement", kwargs={"topic_id": task.topic_id})


def _facts(task: Task) -> dict[str, str]:
    return {
        "task": task.description[:60],
        "topic": task.topic.title,
        "deadline": task.deadline.isoformat(),
        "person": task.responsible.name,
    }


def _reminder_message(task: Task) -> tuple[str, str]:
    facts = _facts(task)
    subject = _("落实任务已逾期：%(task)s") % facts
    body = _(
        "议题“%(topic)s”的落实任务“%(task)s”（责任人：%(person)s）"
        "期限为 %(deadline)s，已逾期，请尽快办理并报告进展。"
    )
    return subject, body % facts


def _escalation_message(task: Task) -> tuple[str, str]:
    facts = _facts(task)
    subject = _("逾期督办：落实任务“%(task)s”") % facts
    body = _(
        "议题“%(topic)s”的落实任务“%(task)s”（责任人：%(person)s）"
        "期限为 %(deadline)s，逾期未完成，请督促办理，避免决而不行。"
    )
    return subject, body % facts


def send_task_overdue(now: datetime) -> int:
    """Remind and escalate overdue open tasks; a fixed number of queries plus one
    ``notify`` per notice actually sent.

    The responsible person and the clerks of the topic's place are reminded the
    day after the deadline; ``XST_TASK_ESCALATE_AFTER_DAYS`` later the township's
    and the place's deciders (the secretaries) are told (督办).
    """
    today = timezone.localdate(now)
    candidates = list(
        Task.objects.filter(
            status=TaskStatus.OPEN,
            deadline__lt=today,
            topic__state__in=[State.ADOPTING, State.FEEDBACK],
        )
        .select_related("topic__place", "responsible")
        .order_by("deadline", "pk")
    )
    if not candidates:
        return 0
    late = timedelta(days=settings.XST_TASK_ESCALATE_AFTER_DAYS)
    sent_keys = already_sent(
        [reminder_key_of(t) for t in candidates]
        + [escalation_key_of(t) for t in candidates]
    )
    to_remind = [t for t in candidates if reminder_key_of(t) not in sent_keys]
    to_escalate = [
        t
        for t in candidates
        if t.deadline + late < today and escalation_key_of(t) not in sent_keys
    ]
    clerks = holders(roles.RUN, {t.topic.place_id for t in to_remind})
    deciders = holders(
        roles.DECIDE,
        {t.topic.place_id for t in to_escalate}
        | {t.topic.place.township_id for t in to_escalate},
    )

    def reminded(task: Task) -> list[Person | AbstractBaseUser]:
        return [task.responsible, *clerks.get(task.topic.place_id, [])]

    def escalated(task: Task) -> list[AbstractBaseUser]:
        return unique_users(
            [
                *deciders.get(task.topic.place.township_id, []),
                *deciders.get(task.topic.place_id, []),
            ]
        )

    def reminder(task: Task, key: str, recipients: list) -> Reminder:
        return Reminder(
            task.topic, key, recipients, task.topic.place.township_id, record=task
        )

    return notify_each(
        Kind.REMINDER,
        [reminder(t, reminder_key_of(t), reminded(t)) for t in to_remind],
        _reminder_message,
        link=_link,
    ) + notify_each(
        Kind.ESCALATION,
        [reminder(t, escalation_key_of(t), escalated(t)) for t in to_escalate],
        _escalation_message,
        link=_link,
    )
