"""Scheduled jobs: overdue tasks reminded and escalated once per task and deadline;
公示 published and ended on time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from committees.models import Person
from feedback import checks
from feedback.models import TaskStatus
from notifications.models import Kind, Notification
from notifications.periodic import _JOBS
from tests.factories import FeedbackTaskFactory, TopicFactory
from topics.states import State

pytestmark = pytest.mark.django_db


def test_both_jobs_are_registered():
    assert checks.NOTICE_SWEEP in _JOBS
    assert checks.TASK_OVERDUE in _JOBS


@pytest.fixture
def late_task(village, resident):
    topic = TopicFactory(place=village, state=State.FEEDBACK)
    person = Person.objects.create(name="王师傅", user=resident, place=village)
    return FeedbackTaskFactory(
        topic=topic, responsible=person, deadline=timezone.localdate()
    )


def notices(kind):
    return Notification.objects.filter(kind=kind)


def test_overdue_task_is_reminded_once_then_escalated_once(
    late_task, clerk, secretary, town_secretary
):
    now = timezone.now()
    assert checks.send_task_overdue(now) == 0  # due today: not yet late
    assert checks.send_task_overdue(now + timedelta(days=1)) == 1
    reminder = notices(Kind.REMINDER).get()
    assert reminder.key == checks.reminder_key(late_task)
    people = set(reminder.deliveries.values_list("person__name", flat=True))
    assert "王师傅" in people
    assert checks.send_task_overdue(now + timedelta(days=2)) == 0
    assert checks.send_task_overdue(now + timedelta(days=5)) == 1
    escalation = notices(Kind.ESCALATION).get()
    recipients = set(escalation.deliveries.values_list("person__user_id", flat=True))
    assert {secretary.pk, town_secretary.pk} <= recipients
    assert checks.send_task_overdue(now + timedelta(days=9)) == 0


def test_a_new_deadline_is_watched_afresh(late_task, clerk):
    now = timezone.now()
    checks.send_task_overdue(now + timedelta(days=1))
    late_task.deadline = timezone.localdate() + timedelta(days=3)
    late_task.save(update_fields=["deadline"])
    assert checks.send_task_overdue(now + timedelta(days=4)) == 1
    assert notices(Kind.REMINDER).count() == 2


@pytest.mark.parametrize("status", [TaskStatus.DONE, TaskStatus.CLOSED])
def test_finished_tasks_are_not_chased(late_task, status):
    late_task.status = status
    late_task.save(update_fields=["status"])
    assert checks.send_task_overdue(timezone.now() + timedelta(days=9)) == 0
