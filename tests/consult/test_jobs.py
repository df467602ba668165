"""Scheduled jobs of steps 2 and 3: written-consultation reminders go once per
session and deadline, only to the participants who have not answered."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from committees.models import Role
from consult import jobs, services
from consult.models import Session
from notifications.jobs import _JOBS
from notifications.models import Channel, Kind, Notification
from tests.factories import ParticipantFactory, PersonFactory, user_with_role

from .conftest import in_days

pytestmark = pytest.mark.django_db


def reminders():
    return Notification.objects.filter(key__startswith="consult:written-remind:")


def answer(clerk, session, participant) -> None:
    services.written_answer(
        actor=clerk,
        session_id=session.pk,
        participant_id=participant.pk,
        content="答复",
    )


def test_the_job_keeps_its_name_for_existing_beat_rows():
    assert _JOBS[jobs.WRITTEN_REMINDERS].func is jobs.send_written_reminders
    assert jobs.WRITTEN_REMINDERS == "consult.written_reminders"


def test_reminders_go_once_per_deadline_to_those_not_answered(
    clerk, topic, member, written, participant
):
    answered = ParticipantFactory(
        topic=topic, person=PersonFactory(user=user_with_role(Role.MEMBER, topic.place))
    )
    with time_machine.travel(written.ends_at - timedelta(hours=3), tick=False):
        answer(clerk, written, answered)
        assert jobs.send_written_reminders(timezone.now()) == 1
        assert jobs.send_written_reminders(timezone.now()) == 0
    reminder = reminders().get()
    assert reminder.kind == Kind.WRITTEN_REQUEST
    assert reminder.about == topic
    assert reminder.link.endswith(f"/sessions/{written.pk}/")
    persons = set(reminder.deliveries.values_list("person_id", flat=True))
    assert persons == {participant.person_id}
    assert reminder.deliveries.filter(channel=Channel.INBOX).count() == 1
    # A new deadline is a new reminder.
    Session.objects.filter(pk=written.pk).update(ends_at=written.ends_at + timedelta(1))
    with time_machine.travel(written.ends_at + timedelta(hours=21), tick=False):
        assert jobs.send_written_reminders(timezone.now()) == 1
    assert reminders().count() == 2


def test_the_key_reads_as_before_so_sent_reminders_are_not_repeated(written):
    key = f"consult:written-remind:{written.pk}:{written.ends_at.isoformat()}"
    assert jobs.written_reminder_key(written) == key


def test_no_reminder_far_from_the_deadline(written):
    with time_machine.travel(in_days(1.2), tick=False):
        assert jobs.send_written_reminders(timezone.now()) == 0


def test_nobody_is_told_when_everyone_has_answered(clerk, written, participant):
    with time_machine.travel(written.ends_at - timedelta(hours=3), tick=False):
        answer(clerk, written, participant)
        assert jobs.send_written_reminders(timezone.now()) == 0
    assert not Notification.objects.exists()


def test_a_closed_consultation_is_not_chased(clerk, written):
    with time_machine.travel(in_days(1.5), tick=False):
        services.session_close(actor=clerk, session_id=written.pk)
    with time_machine.travel(written.ends_at - timedelta(hours=3), tick=False):
        assert jobs.send_written_reminders(timezone.now()) == 0
