"""Topic reads show exactly what the permission gate allows, at a fixed cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from committees.models import Place, PlaceKind, Role
from committees.permissions import place_perms
from committees.services import role_grant
from tests.factories import (
    BodyFactory,
    TopicFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)
from topics import permissions as perm
from topics.selectors import topic_detail, topic_list, visible_topics
from topics.states import State

pytestmark = pytest.mark.django_db

STATES = [State.DRAFT, State.SUBMITTED, State.PREPARING, State.ARCHIVED]


@pytest.fixture
def places():
    """县K > 镇X (村A, 村B) and 镇Y (村C)."""
    county = Place.objects.create(kind=PlaceKind.COUNTY, name="县K", code="k")
    x = TownshipFactory(parent=county, name="镇X", code="x")
    y = TownshipFactory(parent=county, name="镇Y", code="y")
    return {
        "K": county,
        "X": x,
        "Y": y,
        "A": VillageFactory(parent=x, name="村A", code="a"),
        "B": VillageFactory(parent=x, name="村B", code="b"),
        "C": VillageFactory(parent=y, name="村C", code="c"),
    }


@pytest.fixture
def topics(places):
    """One topic per state at every township and village."""
    made = []
    for key in "XYABC":
        place = places[key]
        body = BodyFactory(place=place)
        made += [TopicFactory(place=place, body=body, state=s) for s in STATES]
    return made


def holder(places, *grants):
    user = UserFactory()
    for role, key in grants:
        role_grant(actor=None, user=user, place=places[key], role=role)
    return type(user).objects.get(pk=user.pk)


# Who holds what where, and the places whose topics (every state) they see,
# written by hand from DOMAIN.md §1.
CASES = {
    "town-secretary": ([(Role.TOWNSHIP_SECRETARY, "X")], "XAB"),
    "town-deputy": ([(Role.TOWNSHIP_DEPUTY, "X")], "XAB"),
    "town-clerk": ([(Role.TOWNSHIP_CLERK, "X")], "XAB"),
    "town-admin": ([(Role.ADMINISTRATOR, "X")], "XAB"),
    "village-secretary": ([(Role.VILLAGE_SECRETARY, "A")], "A"),
    "village-clerk": ([(Role.VILLAGE_CLERK, "A")], "A"),
    "member": ([(Role.MEMBER, "A"), (Role.MEMBER, "X")], ""),
    "resident": ([(Role.RESIDENT, "A"), (Role.RESIDENT, "X")], ""),
    "two-villages": (
        [(Role.VILLAGE_CLERK, "A"), (Role.VILLAGE_SECRETARY, "C")],
        "AC",
    ),
    "two-townships": (
        [(Role.TOWNSHIP_CLERK, "X"), (Role.TOWNSHIP_DEPUTY, "Y")],
        "XYABC",
    ),
    "nobody": ([], ""),
}


@pytest.mark.parametrize("case", CASES)
def test_selectors_show_exactly_what_can_view_allows(places, topics, case):
    """visible_topics, topic_list and topic_detail agree with can_view, row by row."""
    grants, seen_places = CASES[case]
    user = holder(places, *grants)
    allowed = {t for t in topics if perm.can_view(user, t)}

    assert allowed == {t for t in topics if t.place in [places[k] for k in seen_places]}
    assert set(visible_topics(user)) == allowed
    assert set(topic_list(user)) == allowed
    for topic in topics:
        assert (topic_detail(user, topic.pk) == topic) is (topic in allowed)
        assert (topic_detail(user, topic.pk) is None) is (topic not in allowed)


def test_an_inactive_user_sees_nothing(places, topics):
    user = holder(places, (Role.TOWNSHIP_SECRETARY, "X"))
    user.is_active = False
    assert not visible_topics(user).exists()
    assert not any(perm.can_view(user, t) for t in topics)


def test_topic_list_filters_within_what_is_visible(places, topics):
    user = holder(places, (Role.TOWNSHIP_CLERK, "X"))
    a = places["A"]
    assert {t.pk for t in topic_list(user, place_id=a.pk)} == {
        t.pk for t in topics if t.place == a
    }
    assert {t.state for t in topic_list(user, state=State.SUBMITTED)} == {
        State.SUBMITTED
    }
    assert topic_list(user, state=State.SUBMITTED).count() == 3
    assert not topic_list(user, place_id=places["C"].pk).exists()
    assert topic_list(user, category="t2").count() == len(STATES)


def list_queries(user) -> int:
    with CaptureQueriesContext(connection) as ctx:
        for topic in topic_list(user):
            str(topic.place.name)
            str(topic.body.name)
            str(topic.created_by)
    return len(ctx)


def test_topic_list_costs_the_same_for_few_or_many_rows(places):
    """Iterating with place and body costs a fixed number of queries."""
    user = holder(places, (Role.TOWNSHIP_SECRETARY, "X"))
    creator = UserFactory()
    body = BodyFactory(place=places["A"])
    TopicFactory(place=places["A"], body=body, created_by=creator)
    place_perms(user)  # read once per request, tested in committees
    few = list_queries(user)
    for key in "XAB" * 5:
        TopicFactory(
            place=places[key], body=BodyFactory(place=places[key]), created_by=creator
        )
    assert topic_list(user).count() == 16
    assert list_queries(user) == few == 1


# -- the step bar and the banner, without a request --------------------------------


def test_step_bar_and_banner_of_a_withdrawn_topic_need_no_request():
    """The dossier reads them from the topic and its history alone."""
    from tests.factories import user_with_role
    from topics.selectors import step_bar, topic_banner
    from topics.services import topic_transition

    village = VillageFactory()
    topic = TopicFactory(place=village, state=State.PREPARING)
    assert topic_banner(topic) is None
    assert [s.status for s in step_bar(topic)] == ["done", "current", "", "", ""]
    secretary = user_with_role(Role.VILLAGE_SECRETARY, village)
    topic_transition(
        actor=secretary, topic_id=topic.pk, action="withdraw", reason="情况变化"
    )
    topic.refresh_from_db()

    assert [s.status for s in step_bar(topic)] == ["done", "ended", "", "", ""]
    banner = topic_banner(topic)
    assert (banner.returned, banner.reason) == (False, "情况变化")
    assert banner.state_label == State.WITHDRAWN.label
