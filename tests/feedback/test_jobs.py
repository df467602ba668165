"""Scheduled jobs: overdue tasks reminded and escalated once per task and deadline;
公示 published and ended on time."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from committees.models import Person, Role
from feedback import jobs
from feedback.models import Task, TaskStatus
from notifications import reminders
from notifications.jobs import _JOBS
from notifications.models import Kind, Notification
from tests.factories import FeedbackTaskFactory, TopicFactory, user_with_role
from topics.states import State

pytestmark = pytest.mark.django_db


def test_both_jobs_are_registered():
    assert jobs.NOTICE_SWEEP in _JOBS
    assert jobs.TASK_OVERDUE in _JOBS


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
    assert jobs.send_task_overdue(now) == 0  # due today: not yet late
    assert jobs.send_task_overdue(now + timedelta(days=1)) == 1
    reminder = notices(Kind.REMINDER).get()
    assert reminder.key == jobs.reminder_key_of(late_task)
    people = set(reminder.deliveries.values_list("person__name", flat=True))
    assert "王师傅" in people
    assert jobs.send_task_overdue(now + timedelta(days=2)) == 0
    assert jobs.send_task_overdue(now + timedelta(days=5)) == 1
    escalation = notices(Kind.ESCALATION).get()
    recipients = set(escalation.deliveries.values_list("person__user_id", flat=True))
    assert {secretary.pk, town_secretary.pk} <= recipients
    assert jobs.send_task_overdue(now + timedelta(days=9)) == 0


def test_a_new_deadline_is_watched_afresh(late_task, clerk):
    now = timezone.now()
    jobs.send_task_overdue(now + timedelta(days=1))
    late_task.deadline = timezone.localdate() + timedelta(days=3)
    late_task.save(update_fields=["deadline"])
    assert jobs.send_task_overdue(now + timedelta(days=4)) == 1
    assert notices(Kind.REMINDER).count() == 2


@pytest.mark.parametrize("status", [TaskStatus.DONE, TaskStatus.CLOSED])
def test_finished_tasks_are_not_chased(late_task, status):
    late_task.status = status
    late_task.save(update_fields=["status"])
    assert jobs.send_task_overdue(timezone.now() + timedelta(days=9)) == 0


def test_the_keys_read_as_before_so_sent_notices_are_not_repeated(late_task):
    deadline = late_task.deadline.isoformat()
    assert jobs.reminder_key_of(late_task) == (
        f"feedback-task-overdue:{late_task.pk}:{deadline}"
    )
    assert jobs.escalation_key_of(late_task) == (
        f"feedback-task-escalation:{late_task.pk}:{deadline}"
    )


def test_notices_are_filed_under_the_topic_and_link_to_its_implementation(
    late_task, clerk
):
    jobs.send_task_overdue(timezone.now() + timedelta(days=1))
    reminder = notices(Kind.REMINDER).get()
    assert reminder.about == late_task.topic
    assert reminder.link == reverse(
        "feedback:implement", kwargs={"topic_id": late_task.topic_id}
    )
    assert late_task.description[:60] in reminder.subject


def test_reminder_and_escalation_due_together_both_go(
    late_task, clerk, secretary, town_secretary
):
    assert jobs.send_task_overdue(timezone.now() + timedelta(days=9)) == 2
    assert notices(Kind.REMINDER).count() == notices(Kind.ESCALATION).count() == 1


def test_an_escalation_with_nobody_to_tell_is_recorded_once_for_the_administrators(
    late_task, township
):
    """No secretary holds the role: the township's administrators are told once."""
    admin = user_with_role(Role.ADMINISTRATOR, township)
    later = timezone.now() + timedelta(days=9)
    assert jobs.send_task_overdue(later) == 1  # the reminder; nobody to escalate to
    unsent = notices(Kind.NO_RECIPIENT).get()
    assert unsent.key == jobs.escalation_key_of(late_task)
    assert set(unsent.deliveries.values_list("person__user_id", flat=True)) == {
        admin.pk
    }
    assert jobs.send_task_overdue(later + timedelta(days=1)) == 0
    assert notices(Kind.NO_RECIPIENT).count() == 1


def test_a_township_task_escalates_to_the_township_secretary(township, town_secretary):
    topic = TopicFactory(place=township, state=State.FEEDBACK)
    person = Person.objects.create(name="李干事", place=township)
    task = FeedbackTaskFactory(
        topic=topic, responsible=person, deadline=timezone.localdate()
    )
    jobs.send_task_overdue(timezone.now() + timedelta(days=9))
    escalation = notices(Kind.ESCALATION).get(key=jobs.escalation_key_of(task))
    recipients = set(escalation.deliveries.values_list("person__user_id", flat=True))
    assert recipients == {town_secretary.pk}


def test_queries_do_not_grow_with_the_number_of_tasks(
    village, resident, clerk, secretary, town_secretary
):
    """Apart from the notices themselves (``notify``), a run costs the same
    queries for two overdue tasks as for six."""
    topic = TopicFactory(place=village, state=State.FEEDBACK)
    person = Person.objects.create(name="王师傅", user=resident, place=village)
    later = timezone.now() + timedelta(days=9)

    def run(count: int) -> int:
        for _ in range(count):
            FeedbackTaskFactory(
                topic=topic, responsible=person, deadline=timezone.localdate()
            )
        with (
            mock.patch.object(reminders, "notify") as notify,
            CaptureQueriesContext(connection) as queries,
        ):
            jobs.send_task_overdue(later)
        assert notify.call_count == 2 * Task.objects.count()
        return len(queries)

    assert run(2) == run(4)
