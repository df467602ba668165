"""The pages' reads: what the selectors return, and query counts that do not grow."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from committees.models import Role
from core.audit import audit_record
from tests.factories import (
    TopicFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)
from topics import selectors
from topics.states import State

pytestmark = pytest.mark.django_db

# Every state, with a deadline in the past for the active ones.
STATES = [
    State.DRAFT,
    State.SUBMITTED,
    State.PREPARING,
    State.CONSULTING,
    State.ADOPTING,
    State.FEEDBACK,
    State.ARCHIVED,
    State.REJECTED,
    State.WITHDRAWN,
]


@pytest.fixture
def township():
    return TownshipFactory()


@pytest.fixture
def villages(township):
    return [VillageFactory(parent=township) for _ in range(3)]


@pytest.fixture
def secretary(township):
    return user_with_role(Role.TOWNSHIP_SECRETARY, township)


def add_topics(places, count: int) -> list:
    """``count`` topics over the places and states, with creators and history."""
    now = timezone.now()
    drafter = UserFactory()
    topics = []
    for i in range(count):
        topic = TopicFactory(
            place=places[i % len(places)],
            state=STATES[i % len(STATES)],
            created_by=drafter,
            step_due_at=now - timedelta(days=i % 4 - 1),
        )
        with transaction.atomic():
            audit_record(
                subject=topic,
                actor=drafter,
                verb="return_for_revision",
                from_state="submitted",
                to_state="draft",
                reason="补充材料",
            )
        topics.append(topic)
    return topics


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_dashboard_queries_do_not_grow_with_topics(
    client, township, villages, secretary
):
    places = [township, *villages]
    # One topic in every state where the secretary runs the procedure, so each
    # step's evidence checks (one call per step and page) run in both counts.
    add_topics([township], len(STATES))
    client.force_login(secretary)
    client.get(reverse("dashboard"))  # warm the per-process caches
    few = queries(client, reverse("dashboard"))
    add_topics(places, 30)
    many = queries(client, reverse("dashboard"))
    assert few == many
    assert len(client.get(reverse("dashboard")).context["overdue"].rows) > 3


def test_village_clerk_dashboard_queries_do_not_grow_with_topics(client, villages):
    clerk = user_with_role(Role.VILLAGE_CLERK, villages[0])
    add_topics(villages[:1], len(STATES))
    client.force_login(clerk)
    client.get(reverse("dashboard"))
    few = queries(client, reverse("dashboard"))
    add_topics(villages[:1], 30)
    assert queries(client, reverse("dashboard")) == few


def test_list_queries_do_not_grow_with_topics(client, township, villages, secretary):
    places = [township, *villages]
    plain = reverse("topics:list")
    filtered = f"{plain}?state=draft&place={township.pk}&page=1"
    add_topics(places, 3)
    client.force_login(secretary)
    client.get(plain)
    few = [queries(client, plain), queries(client, filtered)]
    add_topics(places, 30)
    assert [queries(client, plain), queries(client, filtered)] == few
    assert len(client.get(plain).context["page"].object_list) == 25


def test_detail_queries_do_not_grow_with_history(client, villages):
    clerk = user_with_role(Role.VILLAGE_CLERK, villages[0])
    short, long = (
        TopicFactory(place=villages[0], state=State.PREPARING) for _ in range(2)
    )
    actors = [UserFactory() for _ in range(3)]
    for topic, events in ((short, 2), (long, 20)):
        with transaction.atomic():
            for i in range(events):
                audit_record(
                    subject=topic, actor=actors[i % 3], verb="edit", reason=f"第{i}次"
                )
    client.force_login(clerk)
    client.get(reverse("topics:detail", args=[short.pk]))
    few = queries(client, reverse("topics:detail", args=[short.pk]))
    many = queries(client, reverse("topics:detail", args=[long.pk]))
    assert few == many
    response = client.get(reverse("topics:detail", args=[long.pk]))
    assert len(response.context["history"]) == 20


def test_overdue_topics_are_visible_active_and_most_overdue_first(township, villages):
    now = timezone.now()
    user = user_with_role(Role.VILLAGE_CLERK, villages[0])
    late = TopicFactory(
        place=villages[0], state=State.CONSULTING, step_due_at=now - timedelta(days=2)
    )
    later = TopicFactory(
        place=villages[0], state=State.SUBMITTED, step_due_at=now - timedelta(days=9)
    )
    TopicFactory(
        place=villages[0], state=State.PREPARING, step_due_at=now + timedelta(hours=1)
    )
    TopicFactory(
        place=villages[0], state=State.WITHDRAWN, step_due_at=now - timedelta(days=5)
    )
    TopicFactory(
        place=villages[1], state=State.PREPARING, step_due_at=now - timedelta(days=5)
    )
    TopicFactory(place=villages[0], state=State.PREPARING, step_due_at=None)
    assert list(selectors.overdue_topics(user)) == [later, late]
    assert list(selectors.overdue_topics(user, now - timedelta(days=3))) == [later]


def test_village_summary_counts_each_village_of_the_users_townships(
    township, villages, secretary
):
    now = timezone.now()
    TopicFactory(place=villages[0], state=State.SUBMITTED)
    TopicFactory(
        place=villages[0], state=State.PREPARING, step_due_at=now - timedelta(days=1)
    )
    TopicFactory(place=villages[1], state=State.ARCHIVED)
    TopicFactory(place=township, state=State.SUBMITTED)
    TopicFactory(place=VillageFactory(), state=State.SUBMITTED)
    rows = {
        v.pk: (v.active_count, v.submitted_count, v.overdue_count, v.archived_count)
        for v in selectors.village_summary(secretary, now)
    }
    assert rows == {
        villages[0].pk: (2, 1, 1, 0),
        villages[1].pk: (0, 0, 0, 1),
        villages[2].pk: (0, 0, 0, 0),
    }


def test_village_summary_is_empty_without_township_rights(villages):
    clerk = user_with_role(Role.VILLAGE_CLERK, villages[0])
    TopicFactory(place=villages[0])
    assert list(selectors.village_summary(clerk)) == []


def test_visible_places_are_own_places_and_the_villages_of_own_townships(
    township, villages, secretary
):
    other = VillageFactory()
    assert set(selectors.visible_places(secretary)) == {township, *villages}
    clerk = user_with_role(Role.VILLAGE_CLERK, villages[0])
    assert list(selectors.visible_places(clerk)) == [villages[0]]
    assert other not in selectors.visible_places(secretary)
