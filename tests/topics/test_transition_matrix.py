"""The permission matrix of the five-step procedure: role x state x action.

The expected outcome of every case comes from the tables below, written by hand
from DOMAIN.md §1/§4 and the issue, never from ``committees.roles``: a wrong
mapping there, or a wrong ``permission=``/``source=`` on a transition, makes a
case here fail.
"""

import logging
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import override_settings

from committees.models import Body, Place, Role
from committees.services import role_grant
from core.errors import NotVisible
from core.models import AuditEvent
from tests.factories import (
    BodyFactory,
    TopicFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    per_topic,
)
from topics import evidence
from topics.actions import available
from topics.models import Topic
from topics.services import ACTIONS, TransitionRefused, topic_transition
from topics.states import State, Step

pytestmark = pytest.mark.django_db

TOWNSHIP = "township"
VILLAGE = "village"
LEVELS = (TOWNSHIP, VILLAGE)

# -- the rules, by hand ------------------------------------------------------

ACTIVE = {"draft", "submitted", "preparing", "consulting", "adopting", "feedback"}

# action -> (states it may start from, state it leads to)
TRANSITIONS = {
    "submit": ({"draft"}, "submitted"),
    "approve": ({"submitted"}, "preparing"),
    "reject": ({"submitted"}, "rejected"),
    "return_for_revision": ({"submitted"}, "draft"),
    "start_consultation": ({"preparing"}, "consulting"),
    "start_adoption": ({"consulting"}, "adopting"),
    "start_feedback": ({"adopting"}, "feedback"),
    "archive": ({"feedback"}, "archived"),
    "withdraw": (ACTIVE, "withdrawn"),
}

# Leaving steps 2-5 needs that step's evidence.
GATED = {
    "start_consultation": Step.PREPARE,
    "start_adoption": Step.CONSULT,
    "start_feedback": Step.ADOPT,
    "archive": Step.FEEDBACK,
}

NEEDS_REASON = {"reject", "return_for_revision", "withdraw"}

EVERYTHING = set(TRANSITIONS)
RUN = {"start_consultation", "start_adoption", "archive"}

# Who sees a topic of each level, holding the role where PLACE_OF_ROLE puts it.
SEES = {
    TOWNSHIP: {
        "township_secretary",
        "township_deputy",
        "township_clerk",
        "administrator",
    },
    VILLAGE: {
        "township_secretary",
        "township_deputy",
        "township_clerk",
        "village_secretary",
        "village_clerk",
        "administrator",
    },
}

# What each role may do to a topic it sees.
MAY = {
    (TOWNSHIP, "township_secretary"): EVERYTHING,
    (TOWNSHIP, "township_deputy"): {"submit", "return_for_revision", *RUN},
    (TOWNSHIP, "township_clerk"): {"submit", *RUN},
    (TOWNSHIP, "administrator"): set(),
    # A township secretary withdraws its villages' topics but approves,
    # decides and runs none of them; deputy, clerk and administrator only see.
    (VILLAGE, "township_secretary"): {"withdraw"},
    (VILLAGE, "township_deputy"): set(),
    (VILLAGE, "township_clerk"): set(),
    (VILLAGE, "administrator"): set(),
    (VILLAGE, "village_secretary"): EVERYTHING,
    (VILLAGE, "village_clerk"): {"submit", *RUN},
}

# Where the user holds the role for a topic of each level: "own" is the
# topic's place, "township" the parent township of a village topic, "village"
# a village under a township topic's place (village roles cannot be held on a
# township). Every role gets a place of the right kind.
PLACE_OF_ROLE = {
    TOWNSHIP: {
        "township_secretary": "own",
        "township_deputy": "own",
        "township_clerk": "own",
        "administrator": "own",
        "member": "own",
        "resident": "own",
        "village_secretary": "village",
        "village_clerk": "village",
    },
    VILLAGE: {
        "township_secretary": "township",
        "township_deputy": "township",
        "township_clerk": "township",
        "administrator": "township",
        "member": "own",
        "resident": "own",
        "village_secretary": "own",
        "village_clerk": "own",
    },
}

NOT_FOUND, DENIED, CONFLICT = "404", "denied", "conflict"


def expected_outcome(level: str, role: str, state: str, action: str) -> str:
    """The new state, or which refusal."""
    if role not in SEES[level]:
        return NOT_FOUND
    if action not in MAY[(level, role)]:
        return DENIED
    sources, target = TRANSITIONS[action]
    if state not in sources:
        return CONFLICT
    return target


def test_tables_cover_every_role_state_and_action():
    """The hand-written tables speak about exactly the roles/states/actions in code."""
    assert set(TRANSITIONS) == set(ACTIONS)
    assert {s.value for s in State} == (ACTIVE | {"archived", "rejected", "withdrawn"})
    for level in LEVELS:
        assert set(PLACE_OF_ROLE[level]) == set(Role.values)
        assert {role for lvl, role in MAY if lvl == level} == SEES[level]


# -- fixtures ----------------------------------------------------------------

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    places: dict[str, Place]
    bodies: dict[str, Body]
    # (level, role) -> a user holding the role where PLACE_OF_ROLE says
    actors: dict[tuple[str, str], object]
    # (level, role) -> a user holding the role on a place of the same kind
    # that is not the topic's (another township, a sibling village)
    strangers: dict[tuple[str, str], object]


def _build_world() -> World:
    town_x = TownshipFactory(name="镇X")
    village_a = VillageFactory(parent=town_x, name="村A")
    village_b = VillageFactory(parent=town_x, name="村B")
    town_y = TownshipFactory(name="镇Y")
    village_c = VillageFactory(parent=town_y, name="村C")
    right = {
        TOWNSHIP: {"own": town_x, "village": village_a},
        VILLAGE: {"own": village_a, "township": town_x},
    }
    wrong = {
        TOWNSHIP: {"own": town_y, "village": village_c},
        VILLAGE: {"own": village_b, "township": town_y},
    }

    def holder(role: str, place: Place):
        user = UserFactory()
        role_grant(actor=None, user=user, place=place, role=role)
        return get_user_model().objects.get(pk=user.pk)

    actors, strangers = {}, {}
    for level in LEVELS:
        for role, where in PLACE_OF_ROLE[level].items():
            actors[level, role] = holder(role, right[level][where])
            strangers[level, role] = holder(role, wrong[level][where])
    return World(
        places={TOWNSHIP: town_x, VILLAGE: village_a},
        bodies={
            TOWNSHIP: BodyFactory(place=town_x),
            VILLAGE: BodyFactory(place=village_a),
        },
        actors=actors,
        strangers=strangers,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Places and role holders, built once for the ~2,600 cases of this module.

    Built inside a transaction that is rolled back after the module's last test,
    so nothing leaks into other modules; every test still runs in its own
    savepoint (pytest-django's ``db``), so topics and audit events never leak
    between cases. Grants do not change here, so the users' cached place
    permissions stay true.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(PASSWORD_HASHERS=FAST_HASHER):
            built = _build_world()
        yield built
        transaction.set_rollback(True)


def _topic(level: str, state: str, world: World) -> Topic:
    return TopicFactory(
        place=world.places[level], body=world.bodies[level], state=state
    )


def _evidence_present(monkeypatch, action: str) -> None:
    """Provide a passing check for every requirement of the step ``action`` leaves."""
    step = GATED.get(action)
    if step is None:
        return
    for requirement in evidence.requirements(step):
        monkeypatch.setitem(
            evidence._PROVIDERS, requirement.code, per_topic(lambda topic: True)
        )


def _evidence_absent(monkeypatch, step: int | None) -> None:
    if step is None:
        return
    for requirement in evidence.requirements(step):
        monkeypatch.delitem(evidence._PROVIDERS, requirement.code, raising=False)


def _reason(action: str) -> str:
    return "理由:按程序办理" if action in NEEDS_REASON else ""


def _state_of(topic: Topic) -> str:
    return Topic.objects.values_list("state", flat=True).get(pk=topic.pk)


# -- the matrix ---------------------------------------------------------------

ROLES = sorted(Role.values)
STATES = [s.value for s in State]
ACTION_NAMES = list(TRANSITIONS)


@pytest.mark.parametrize("action", ACTION_NAMES)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("level", LEVELS)
def test_transition_matrix(level, role, state, action, world, monkeypatch, caplog):
    """Each role x state x action gives exactly the outcome the tables predict.

    Allowed: the state moves and one audit event records who, from, to and why.
    Refused: the right exception, the state unchanged and no audit event.
    """
    actor = world.actors[level, role]
    topic = _topic(level, state, world)
    want = expected_outcome(level, role, state, action)
    # Evidence is there only where the move is allowed: a refusal must not
    # depend on it (no "还缺少" for someone who may not act at all).
    if want in (NOT_FOUND, DENIED, CONFLICT):
        _evidence_absent(monkeypatch, GATED.get(action))
    else:
        _evidence_present(monkeypatch, action)
    caplog.set_level(logging.WARNING, logger="xst.security")

    if want == NOT_FOUND:
        with pytest.raises(NotVisible):
            topic_transition(
                actor=actor, topic_id=topic.pk, action=action, reason=_reason(action)
            )
    elif want == DENIED:
        with pytest.raises(PermissionDenied):
            topic_transition(
                actor=actor, topic_id=topic.pk, action=action, reason=_reason(action)
            )
        assert any(
            r.name == "xst.security" and "no permission" in r.getMessage()
            for r in caplog.records
        )
    elif want == CONFLICT:
        with pytest.raises(TransitionRefused) as refused:
            topic_transition(
                actor=actor, topic_id=topic.pk, action=action, reason=_reason(action)
            )
        assert refused.value.conflict is True
        assert refused.value.missing == []
    else:
        moved = topic_transition(
            actor=actor, topic_id=topic.pk, action=action, reason=_reason(action)
        )
        assert moved.state == want
        assert _state_of(topic) == want
        events = list(AuditEvent.objects.for_subject(topic))
        assert len(events) == 1
        event = events[0]
        assert (event.actor_id, event.verb) == (actor.pk, action)
        assert (event.from_state, event.to_state) == (state, want)
        assert event.reason == _reason(action)
        assert (event.seq, event.prev_hash) == (1, "")
        assert event.hash == event.compute_hash()
        return

    assert _state_of(topic) == state
    assert not AuditEvent.objects.for_subject(topic).exists()


@pytest.mark.parametrize("action", ACTION_NAMES)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("level", LEVELS)
def test_role_on_another_place_gives_nothing(
    level, role, state, action, world, monkeypatch
):
    """A role on 村B (or on 镇Y) neither sees nor moves a topic of 村A (of 镇X)."""
    actor = world.strangers[level, role]
    topic = _topic(level, state, world)
    _evidence_absent(monkeypatch, GATED.get(action))

    with pytest.raises(NotVisible):
        topic_transition(
            actor=actor, topic_id=topic.pk, action=action, reason=_reason(action)
        )

    assert _state_of(topic) == state
    assert not AuditEvent.objects.for_subject(topic).exists()


# -- evidence gates -----------------------------------------------------------

# Words each step's refusal must name (DOMAIN.md §4).
MISSING_WORDS = {
    Step.PREPARE: ["协商方案", "参与协商对象名单", "参会通知", "议题资料"],
    Step.CONSULT: ["协商活动记录"],
    Step.ADOPT: [
        "协商意见整理汇总",
        "每条意见的采纳情况",
        "班子联席会议决策",
        "法定会议表决",
        "未采纳意见的沟通解释",
    ],
    Step.FEEDBACK: ["落实责任人及完成期限", "跟踪督办", "公示期满", "通报"],
}

ALLOWED_GATED = [
    (level, role, action)
    for (level, role), actions in sorted(MAY.items())
    for action in sorted(actions & set(GATED))
]


@pytest.mark.parametrize(("level", "role", "action"), ALLOWED_GATED)
def test_steps_two_to_five_cannot_be_left_without_evidence(
    level, role, action, world, monkeypatch
):
    """With no check provided, leaving step 2-5 is refused and names what is missing."""
    step = GATED[action]
    _evidence_absent(monkeypatch, step)
    actor = world.actors[level, role]
    (source,) = TRANSITIONS[action][0]
    topic = _topic(level, source, world)

    with pytest.raises(TransitionRefused) as refused:
        topic_transition(actor=actor, topic_id=topic.pk, action=action)

    error = refused.value
    assert error.conflict is False
    assert error.message.startswith("还缺少：")
    for word in MISSING_WORDS[step]:
        assert word in error.message
    assert [r.code for r in error.missing] == [
        r.code for r in evidence.requirements(step)
    ]
    assert _state_of(topic) == source
    assert not AuditEvent.objects.for_subject(topic).exists()


def test_one_missing_requirement_is_named_alone(world, monkeypatch):
    """When all but one requirement is met, the refusal names only that one."""
    _evidence_present(monkeypatch, "start_consultation")
    monkeypatch.setitem(
        evidence._PROVIDERS, "prepare.materials", per_topic(lambda topic: False)
    )
    actor = world.actors[VILLAGE, "village_clerk"]
    topic = _topic(VILLAGE, "preparing", world)

    with pytest.raises(TransitionRefused) as refused:
        topic_transition(actor=actor, topic_id=topic.pk, action="start_consultation")

    assert refused.value.message == (
        "还缺少：议题资料（在首次协商活动前随参会通知或单独发给参与对象）"
    )
    assert [r.code for r in refused.value.missing] == ["prepare.materials"]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("level", LEVELS)
def test_the_page_offers_exactly_the_actions_the_service_allows(
    level, role, state, world
):
    """One gate: the topic page's buttons are the matrix's allowed moves.

    An action refused only for missing evidence is offered disabled, with what
    is missing; one refused for role or state is not offered at all.
    """
    actor = world.actors[level, role]
    topic = _topic(level, state, world)
    offered = {a.name: v for a, v in available(actor, topic)}
    allowed = {
        action
        for action in ACTION_NAMES
        if expected_outcome(level, role, state, action)
        not in (NOT_FOUND, DENIED, CONFLICT)
    }
    assert set(offered) == allowed
    for name, verdict in offered.items():
        assert verdict.allowed is (name not in GATED), name
        assert bool(verdict.missing) is (name in GATED)
