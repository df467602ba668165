"""Step reminders and escalations (议而不决, 决而不行), with time travel."""

import logging
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from committees.models import Place, PlaceKind, Role
from notifications import reminders
from notifications.jobs import run_job
from notifications.models import Kind, Notification
from tests.factories import (
    TopicFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)
from topics.jobs import deadlines
from topics.models import StepLimit, Topic
from topics.services import topic_transition
from topics.states import State

pytestmark = pytest.mark.django_db


T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai


@pytest.fixture
def village():
    return VillageFactory()


@pytest.fixture
def people(village):
    other_village = VillageFactory(parent=village.parent)
    return {
        "clerk": user_with_role(Role.VILLAGE_CLERK, village),
        "village_secretary": user_with_role(Role.VILLAGE_SECRETARY, village),
        "township_secretary": user_with_role(Role.TOWNSHIP_SECRETARY, village.parent),
        "township_clerk": user_with_role(Role.TOWNSHIP_CLERK, village.parent),
        "other_clerk": user_with_role(Role.VILLAGE_CLERK, other_village),
        "other_secretary": user_with_role(Role.VILLAGE_SECRETARY, other_village),
    }


def act(at: datetime, actor, topic: Topic, action: str, reason: str = "") -> Topic:
    with time_machine.travel(at, tick=False):
        return topic_transition(
            actor=actor, topic_id=topic.pk, action=action, reason=reason
        )


def run(name: str, at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return run_job.delay(name).get()


def remind(at: datetime) -> int:
    return run(deadlines.REMINDER_JOB, at)


def escalate(at: datetime) -> int:
    return run(deadlines.ESCALATION_JOB, at)


def notices(kind: str, topic: Topic) -> list[Notification]:
    return list(
        Notification.objects.filter(kind=kind, about_id=topic.pk).order_by("pk")
    )


def recipients(notification: Notification) -> set[int]:
    return set(
        notification.deliveries.filter(person__user__isnull=False).values_list(
            "person__user", flat=True
        )
    )


def preparing_topic(village, people, at: datetime = T0) -> Topic:
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    return act(at, people["village_secretary"], topic, "approve")


def test_entering_preparing_sets_the_step_deadline_from_the_default(village, people):
    topic = preparing_topic(village, people)

    assert topic.state == State.PREPARING
    assert topic.state_changed_at == T0
    assert topic.step_due_at == T0 + timedelta(days=20)


def test_who_runs_the_place_is_reminded_once_within_the_window(village, people):
    topic = preparing_topic(village, people)
    window_opens = T0 + timedelta(days=20 - 3)

    assert remind(window_opens - timedelta(minutes=1)) == 0
    assert notices(Kind.REMINDER, topic) == []

    assert remind(window_opens + timedelta(hours=1)) == 1
    assert remind(window_opens + timedelta(hours=2)) == 0
    assert remind(window_opens + timedelta(days=2)) == 0

    [reminder] = notices(Kind.REMINDER, topic)
    # Who runs topics at the village (run_topics, the committees gate): its
    # clerk and its secretary; nobody of the other village or the township.
    assert recipients(reminder) == {
        people["clerk"].pk,
        people["village_secretary"].pk,
    }
    assert reminder.about == topic
    assert reminder.link == f"/topics/{topic.pk}/"
    assert topic.title in reminder.subject
    assert "协商准备" in reminder.subject


def test_reminders_of_a_submitted_topic_go_to_its_approvers(village, people):
    topic = TopicFactory(place=village, state=State.DRAFT)
    act(T0, people["clerk"], topic, "submit")

    assert remind(T0 + timedelta(days=5, hours=1)) == 1

    [reminder] = notices(Kind.REMINDER, topic)
    assert recipients(reminder) == {people["village_secretary"].pk}
    assert "审批" in reminder.body


def test_approvers_include_direct_grants_and_leave_out_inactive_users(village, people):
    direct = UserFactory()
    assign_perm("committees.approve_topics", direct, village)
    inactive = user_with_role(Role.VILLAGE_SECRETARY, village)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    topic = TopicFactory(place=village, state=State.DRAFT)
    act(T0, people["clerk"], topic, "submit")

    assert remind(T0 + timedelta(days=5, hours=1)) == 1

    [reminder] = notices(Kind.REMINDER, topic)
    assert recipients(reminder) == {people["village_secretary"].pk, direct.pk}


def test_after_the_deadline_the_secretaries_are_told_exactly_once(village, people):
    topic = preparing_topic(village, people)
    due = T0 + timedelta(days=20)

    assert escalate(due - timedelta(minutes=1)) == 0
    assert escalate(due + timedelta(days=1, hours=2, minutes=10)) == 1
    assert escalate(due + timedelta(days=3)) == 0
    assert remind(due + timedelta(days=3)) == 0

    [escalation] = notices(Kind.ESCALATION, topic)
    assert recipients(escalation) == {
        people["township_secretary"].pk,
        people["village_secretary"].pk,
    }
    assert "1 天 2 小时" in escalation.body
    assert notices(Kind.REMINDER, topic) == []


def test_an_overdue_township_topic_goes_to_its_secretary_and_deputy_once(people):
    """Issue 6.1: a township's parent is its county; never escalate there."""
    township = people["township_secretary"].role_grants.get().place
    county = Place.objects.create(kind=PlaceKind.COUNTY, name="某县", code="county")
    township.parent = county
    township.save(update_fields=["parent"])
    deputy = user_with_role(Role.TOWNSHIP_DEPUTY, township)
    assign_perm("committees.revise_topics", UserFactory(), county)
    user_with_role(Role.TOWNSHIP_CLERK, township)
    topic = TopicFactory(place=township, state=State.SUBMITTED)
    act(T0, people["township_secretary"], topic, "approve")

    assert escalate(T0 + timedelta(days=21)) == 1
    assert escalate(T0 + timedelta(days=22)) == 0

    [escalation] = notices(Kind.ESCALATION, topic)
    assert recipients(escalation) == {people["township_secretary"].pk, deputy.pk}


def test_a_topic_that_moved_on_is_not_watched_for_its_old_state(village, people):
    topic = TopicFactory(place=village, state=State.DRAFT)
    act(T0, people["clerk"], topic, "submit")
    act(T0 + timedelta(days=1), people["village_secretary"], topic, "approve")

    assert remind(T0 + timedelta(days=6)) == 0
    assert escalate(T0 + timedelta(days=8)) == 0

    assert Notification.objects.filter(about_id=topic.pk).count() == 0


def test_a_withdrawn_topic_is_neither_reminded_nor_escalated(village, people):
    topic = preparing_topic(village, people)
    act(
        T0 + timedelta(days=1),
        people["village_secretary"],
        topic,
        "withdraw",
        "不再需要",
    )

    assert remind(T0 + timedelta(days=18)) == 0
    assert escalate(T0 + timedelta(days=25)) == 0


@pytest.mark.parametrize("on", ["village", "township"])
def test_a_place_step_limit_overrides_the_default(village, people, on):
    place = village if on == "village" else village.parent
    StepLimit.objects.create(
        place=place, state=State.PREPARING, max_days=5, remind_before_days=1
    )
    topic = preparing_topic(village, people)
    due = T0 + timedelta(days=5)

    assert topic.step_due_at == due
    assert remind(due - timedelta(days=1, minutes=1)) == 0
    assert remind(due - timedelta(hours=23)) == 1
    assert escalate(due + timedelta(hours=1)) == 1


def test_a_village_limit_wins_over_its_townships(village, people):
    StepLimit.objects.create(
        place=village.parent, state=State.PREPARING, max_days=30, remind_before_days=10
    )
    StepLimit.objects.create(
        place=village, state=State.PREPARING, max_days=30, remind_before_days=2
    )
    preparing_topic(village, people)

    assert remind(T0 + timedelta(days=25)) == 0
    assert remind(T0 + timedelta(days=28, hours=1)) == 1


def test_re_entering_a_state_allows_a_new_reminder(village, people):
    topic = TopicFactory(place=village, state=State.DRAFT)
    act(T0, people["clerk"], topic, "submit")
    assert remind(T0 + timedelta(days=5, hours=1)) == 1

    act(
        T0 + timedelta(days=5, hours=2),
        people["village_secretary"],
        topic,
        "return_for_revision",
        "请补充材料",
    )
    resubmitted = T0 + timedelta(days=5, hours=3)
    act(resubmitted, people["clerk"], topic, "submit")

    assert remind(resubmitted + timedelta(hours=1)) == 0
    assert remind(resubmitted + timedelta(days=5, hours=1)) == 1
    assert remind(resubmitted + timedelta(days=5, hours=2)) == 0

    first, second = notices(Kind.REMINDER, topic)
    assert first.key != second.key


def test_nobody_to_tell_is_recorded_once_and_the_administrators_are_told(
    village, caplog
):
    """Issue 6.1: no silent hourly retry; the administrators can assign the role."""
    approver = user_with_role(Role.VILLAGE_SECRETARY, village)
    topic = preparing_topic(village, {"village_secretary": approver})
    approver.is_active = False
    approver.save(update_fields=["is_active"])
    admin = user_with_role(Role.ADMINISTRATOR, village.parent)
    user_with_role(Role.ADMINISTRATOR, VillageFactory().parent)

    with caplog.at_level(logging.WARNING, logger="notifications.reminders"):
        assert remind(T0 + timedelta(days=18)) == 0
    assert "no recipient" in caplog.text
    assert notices(Kind.REMINDER, topic) == []
    [record] = notices(Kind.NO_RECIPIENT, topic)
    assert recipients(record) == {admin.pk}
    assert topic.title in record.subject
    assert "找不到接收人" in record.body

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="notifications.reminders"):
        assert remind(T0 + timedelta(days=18, hours=1)) == 0
        assert remind(T0 + timedelta(days=19)) == 0
    assert "no recipient" not in caplog.text
    assert len(notices(Kind.NO_RECIPIENT, topic)) == 1


def test_nobody_to_tell_and_no_administrator_is_still_recorded_once(village, caplog):
    topic = TopicFactory(
        place=village,
        state=State.PREPARING,
        state_changed_at=T0,
        step_due_at=T0 + timedelta(days=1),
    )

    with caplog.at_level(logging.WARNING, logger="notifications.reminders"):
        assert escalate(T0 + timedelta(days=2)) == 0
        assert escalate(T0 + timedelta(days=3)) == 0
    assert caplog.text.count("no recipient") == 1
    [record] = notices(Kind.NO_RECIPIENT, topic)
    assert record.deliveries.count() == 0


def test_one_failing_notice_does_not_stop_the_others(village, people, caplog):
    first = preparing_topic(village, people)
    second = preparing_topic(village, people, at=T0 + timedelta(minutes=5))
    real_notify = reminders.notify

    def flaky(**kwargs):
        if kwargs["about"].pk == first.pk:
            raise RuntimeError("mail server on fire")
        return real_notify(**kwargs)

    with mock.patch.object(reminders, "notify", side_effect=flaky):
        assert remind(T0 + timedelta(days=18)) == 1

    assert notices(Kind.REMINDER, first) == []
    assert len(notices(Kind.REMINDER, second)) == 1
    assert "failed" in caplog.text
    assert remind(T0 + timedelta(days=18, hours=1)) == 1
    assert len(notices(Kind.REMINDER, first)) == 1


def test_running_out_of_time_stops_the_run_instead_of_skipping_on(village, people):
    first = preparing_topic(village, people)
    second = preparing_topic(village, people, at=T0 + timedelta(minutes=5))

    with (
        mock.patch.object(reminders, "notify", side_effect=SoftTimeLimitExceeded),
        pytest.raises(SoftTimeLimitExceeded),
    ):
        deadlines.send_step_reminders(T0 + timedelta(days=18))

    assert notices(Kind.REMINDER, first) == notices(Kind.REMINDER, second) == []
    assert remind(T0 + timedelta(days=18, hours=1)) == 2


def _due_topics(count: int, village, state: str, due: datetime) -> None:
    for _n in range(count):
        TopicFactory(
            place=village,
            state=state,
            state_changed_at=T0,
            step_due_at=due,
        )


@pytest.mark.parametrize("check", ["reminders", "escalations"])
def test_a_run_reads_in_a_constant_number_of_queries(village, people, check):
    """Only the notify calls grow with the number of topics; the run's reads do not."""
    other = VillageFactory(parent=village.parent)
    user_with_role(Role.VILLAGE_CLERK, other)
    user_with_role(Role.VILLAGE_SECRETARY, other)
    now = T0 + timedelta(days=10)
    due = now + timedelta(hours=5) if check == "reminders" else now - timedelta(hours=5)
    func = (
        deadlines.send_step_reminders
        if check == "reminders"
        else deadlines.send_step_escalations
    )

    def queries_for(topics_per_village: int) -> int:
        Topic.objects.all().delete()
        for place in (village, other):
            _due_topics(topics_per_village, place, State.PREPARING, due)
            _due_topics(topics_per_village, place, State.SUBMITTED, due)
        with (
            mock.patch.object(reminders, "notify") as notify,
            CaptureQueriesContext(connection) as captured,
        ):
            func(now)
        assert notify.call_count == 4 * topics_per_village
        return len(captured)

    assert queries_for(2) == queries_for(12)
