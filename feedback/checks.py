"""Scheduled jobs of steps 4 and 5 (决而不行 watched, 公示 on time).

- ``feedback.notice_sweep`` publishes each 公示 when its start comes and ends it
  when its end comes.
- ``feedback.task_overdue`` reminds the responsible person and the clerk of an
  overdue task, and after ``XST_TASK_ESCALATE_AFTER_DAYS`` tells the township
  and the place's secretary (督办). Each fires once per task and deadline: the
  key names both, so a deadline moved later is watched afresh.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees import roles
from committees.permissions import place_perm_holders
from notifications.models import Kind, Notification
from notifications.periodic import register_job
from topics.states import State

from . import services
from .models import Task, TaskStatus

logger = logging.getLogger(__name__)

NOTICE_SWEEP = "feedback.notice_sweep"
TASK_OVERDUE = "feedback.task_overdue"


def register() -> None:
    register_job(
        NOTICE_SWEEP,
        services.notices_sweep,
        description=gettext_lazy("公示按时发布与结束"),
        every=timedelta(minutes=5),
    )
    register_job(
        TASK_OVERDUE,
        send_task_overdue,
        description=gettext_lazy("落实任务逾期提醒与督办"),
        every=timedelta(hours=1),
    )


def reminder_key(task: Task) -> str:
    return f"feedback-task-overdue:{task.pk}:{task.deadline.isoformat()}"


def escalation_key(task: Task) -> str:
    return f"feedback-task-escalation:{task.pk}:{task.deadline.isoformat()}"


def _unique(users) -> list:
    return list({u.pk: u for u in users}.values())


def send_task_overdue(now: datetime) -> int:
    """Remind and escalate overdue open tasks; a fixed number of queries plus one
    ``notify`` per notice actually sent."""
    today = timezone.localdate(now)
    tasks = list(
        Task.objects.filter(
            status=TaskStatus.OPEN,
            deadline__lt=today,
            topic__state__in=[State.ADOPTING, State.FEEDBACK],
        )
        .select_related("topic__place", "responsible")
        .order_by("deadline", "pk")
    )
    if not tasks:
        return 0
    late = timedelta(days=settings.XST_TASK_ESCALATE_AFTER_DAYS)
    keys = {reminder_key(t) for t in tasks} | {escalation_key(t) for t in tasks}
    sent_keys = set(
        Notification.objects.filter(key__in=keys).values_list("key", flat=True)
    )
    places = {t.topic.place_id for t in tasks}
    townships = {t.topic.place.parent_id or t.topic.place_id for t in tasks}
    clerks = place_perm_holders(roles.RUN, places)
    deciders = place_perm_holders(roles.DECIDE, places | townships)
    sent = 0
    for task in tasks:
        topic = task.topic
        township = topic.place.parent_id or topic.place_id
        facts = {
            "task": task.description[:60],
            "topic": topic.title,
            "deadline": task.deadline.isoformat(),
            "person": task.responsible.name,
        }
        batch = []
        if reminder_key(task) not in sent_keys:
            batch.append(
                (
                    Kind.REMINDER,
                    reminder_key(task),
                    [task.responsible, *clerks.get(topic.place_id, [])],
                    _("落实任务已逾期：%(task)s"),
                    _(
                        "议题“%(topic)s”的落实任务“%(task)s”（责任人：%(person)s）"
                        "期限为 %(deadline)s，已逾期，请尽快办理并报告进展。"
                    ),
                )
            )
        if task.deadline + late < today and escalation_key(task) not in sent_keys:
            batch.append(
                (
                    Kind.ESCALATION,
                    escalation_key(task),
                    _unique(
                        deciders.get(township, []) + deciders.get(topic.place_id, [])
                    ),
                    _("逾期督办：落实任务“%(task)s”"),
                    _(
                        "议题“%(topic)s”的落实任务“%(task)s”（责任人：%(person)s）"
                        "期限为 %(deadline)s，逾期未完成，请督促办理，避免决而不行。"
                    ),
                )
            )
        for kind, key, recipients, subject, body in batch:
            if not recipients:
                logger.warning("%s for task %s has no recipient", kind, task.pk)
                continue
            with translation.override(settings.LANGUAGE_CODE):
                subject_text, body_text = subject % facts, body % facts
            services.send_notice(
                topic=topic,
                key=key,
                kind=kind,
                recipients=recipients,
                subject=subject_text,
                body=body_text,
                link=reverse("feedback:implement", kwargs={"topic_id": topic.pk}),
            )
            sent += 1
    return sent
