"""Pages run a number of queries that does not grow with their rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from committees.models import Person
from consult import services
from consult.models import Attendance, Correction, Opinion, Participant, Session
from tests.factories import TopicFactory
from topics.states import State

from .conftest import pdf, plan

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def fill(clerk, topic, *, people: int, sessions: int, opinions: int) -> list:
    """Participants (with and without accounts), sessions with attendance,
    opinions, notices and materials, in bulk."""
    persons = Person.objects.bulk_create(
        Person(name=f"人员{topic.pk}-{i}") for i in range(people)
    )
    categories = ["masses", "villager_rep", "merchant", "party_deputy"]
    Participant.objects.bulk_create(
        Participant(topic=topic, person=p, category=categories[i % 4])
        for i, p in enumerate(persons)
    )
    made = [plan(clerk, topic, days=10 + i) for i in range(sessions)]
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    services.material_upload(actor=clerk, topic_id=topic.pk, upload=pdf())
    services.material_upload(actor=clerk, topic_id=topic.pk, upload=pdf("b.pdf"))
    participants = list(Participant.objects.filter(topic=topic))
    Attendance.objects.bulk_create(
        Attendance(session=s, participant=p, status="present")
        for s in made
        for p in participants
    )
    Opinion.objects.bulk_create(
        Opinion(
            topic=topic,
            source="session",
            session=made[i % len(made)],
            participant=participants[i % len(participants)],
            author=participants[i % len(participants)].person,
            author_name="某",
            content=f"意见{i}",
            is_hidden=i % 10 == 0,
        )
        for i in range(opinions)
    )
    Session.objects.filter(topic=topic).update(
        minutes="记录", recorded_at=timezone.now()
    )
    # Corrections after the step: one of the minutes and one per attendance.
    Correction.objects.bulk_create(
        [
            Correction(
                topic=topic,
                session=s,
                kind="record",
                before={"minutes": "记录"},
                after={"minutes": "更正后的记录"},
                reason="据录音补正",
                created_by=clerk,
            )
            for s in made
        ]
        + [
            Correction(
                topic=topic,
                session=s,
                kind="attendance",
                participant=p,
                before={"status": "present", "represented_by": ""},
                after={"status": "leave", "represented_by": ""},
                reason="会前已请假",
                created_by=clerk,
            )
            for s in made
            for p in participants
        ]
    )
    return made


@pytest.fixture
def small_and_large(clerk, village):
    small = TopicFactory(place=village, state=State.PREPARING)
    large = TopicFactory(place=village, state=State.PREPARING)
    small_sessions = fill(clerk, small, people=2, sessions=1, opinions=3)
    large_sessions = fill(clerk, large, people=50, sessions=5, opinions=300)
    return (small, small_sessions[0]), (large, large_sessions[0])


@pytest.mark.parametrize("state", [State.PREPARING, State.CONSULTING])
def test_topic_page_does_not_grow(client, clerk, small_and_large, state):
    (small, _s), (large, _l) = small_and_large
    TopicFactory._meta.model.objects.filter(pk__in=[small.pk, large.pk]).update(
        state=state
    )
    client.force_login(clerk)
    pages = [
        ("topics:detail", "pk"),
        ("consult:prepare", "topic_id"),
        ("consult:sessions", "topic_id"),
    ]
    for name, key in pages:
        client.get(reverse(name, kwargs={key: small.pk}))
        few = queries(client, reverse(name, kwargs={key: small.pk}))
        many = queries(client, reverse(name, kwargs={key: large.pk}))
        assert few == many, name


@pytest.mark.parametrize("state", [State.CONSULTING, State.ADOPTING])
def test_session_page_does_not_grow(client, clerk, small_and_large, state):
    (small, small_session), (large, large_session) = small_and_large
    TopicFactory._meta.model.objects.filter(pk__in=[small.pk, large.pk]).update(
        state=state
    )
    client.force_login(clerk)
    url = reverse("consult:session", kwargs={"session_id": small_session.pk})
    client.get(url)
    few = queries(client, url)
    many = queries(
        client, reverse("consult:session", kwargs={"session_id": large_session.pk})
    )
    assert few == many


def add_running(clerk, village, count: int) -> None:
    """``count`` topics in steps 2 and 3, each with a plan and a participant."""
    for i in range(count):
        topic = TopicFactory(
            place=village,
            state=State.PREPARING,
            step_due_at=timezone.now() + timedelta(days=5),
        )
        Participant.objects.create(
            topic=topic, person=Person.objects.create(name=f"p{i}"), category="masses"
        )
        plan(clerk, topic)
        if i % 2:
            TopicFactory._meta.model.objects.filter(pk=topic.pk).update(
                state=State.CONSULTING
            )


def test_dashboard_with_topics_in_steps_2_and_3_does_not_grow(client, clerk, village):
    add_running(clerk, village, 5)
    client.force_login(clerk)
    client.get(reverse("dashboard"))
    few = queries(client, reverse("dashboard"))
    add_running(clerk, village, 45)
    many = queries(client, reverse("dashboard"))
    assert few == many


def test_participant_page_does_not_grow(client, clerk, village, member):
    def invite(count: int) -> None:
        for _ in range(count):
            topic = TopicFactory(
                place=village,
                state=State.PREPARING,
                forms=["v_meeting", "v_written"],
            )
            Participant.objects.create(
                topic=topic, person=member.person, category="masses"
            )
            plan(clerk, topic)
            plan(clerk, topic, form="v_written", location="")
            services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
            services.material_upload(actor=clerk, topic_id=topic.pk, upload=pdf())

    invite(2)
    client.force_login(member)
    client.get(reverse("consult:mine"))
    few = queries(client, reverse("consult:mine"))
    invite(10)
    assert queries(client, reverse("consult:mine")) == few


def test_participant_dashboard_link_costs_one_query_whatever_the_topics(
    client, village, member
):
    """The dashboard and the navigation share one read of the participations."""

    def invite(count: int) -> None:
        for _ in range(count):
            Participant.objects.create(
                topic=TopicFactory(place=village, state=State.PREPARING),
                person=member.person,
                category="masses",
            )

    client.force_login(member)
    client.get(reverse("dashboard"))
    few = queries(client, reverse("dashboard"))
    invite(20)
    assert queries(client, reverse("dashboard")) == few
