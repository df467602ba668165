"""Role × state × action: who may write which step-4/5 record, and when."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core.errors import NotVisible, Sealed, StepClosed
from feedback import permissions, services
from tests.factories import PersonFactory, TopicFactory
from topics.states import State

from .helpers import today

pytestmark = pytest.mark.django_db

STATES = [
    State.PREPARING,
    State.CONSULTING,
    State.ADOPTING,
    State.FEEDBACK,
    State.ARCHIVED,
]


def decision(user, topic):
    return services.decision_record(
        actor=user, topic_id=topic.pk, meeting_date=today(), attendees="x", plan="y"
    )


def task(user, topic):
    return services.task_create(
        actor=user,
        topic_id=topic.pk,
        description="x",
        responsible_id=PersonFactory().pk,
        deadline=today(),
    )


def notice(user, topic):
    now = timezone.now()
    return services.public_notice_create(
        actor=user,
        topic_id=topic.pk,
        subject="progress",
        title="x",
        body="y",
        place_ids=[topic.place_id],
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(days=8),
    )


ACTIONS = {
    "decision": (decision, {State.ADOPTING}),
    "task": (task, {State.ADOPTING, State.FEEDBACK}),
    "notice": (notice, {State.FEEDBACK}),
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("who", ["clerk", "secretary"])
def test_the_place_clerk_and_secretary_write_in_the_records_step(
    village, request, state, action, who
):
    user = request.getfixturevalue(who)
    topic = TopicFactory(place=village, state=state)
    run, open_in = ACTIONS[action]
    if state in open_in:
        assert run(user, topic).pk
    elif state == State.ARCHIVED:
        with pytest.raises(Sealed):
            run(user, topic)
    else:
        with pytest.raises(StepClosed):
            run(user, topic)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("town_clerk", PermissionDenied),
        ("town_secretary", PermissionDenied),
        ("resident", NotVisible),
        ("outsider", NotVisible),
    ],
)
def test_everyone_else_is_refused_in_every_state(
    village, request, state, action, who, error
):
    user = request.getfixturevalue(who)
    topic = TopicFactory(place=village, state=state)
    with pytest.raises(error):
        ACTIONS[action][0](user, topic)


def test_a_township_topic_is_recorded_by_the_township(township, town_clerk, clerk):
    topic = TopicFactory(place=township, state=State.ADOPTING)
    assert permissions.can_record(town_clerk, topic)
    assert permissions.can_supervise(town_clerk, topic)
    assert not permissions.can_record(clerk, topic)
    assert decision(town_clerk, topic).pk
