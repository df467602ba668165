"""The one action gate (topics/actions.py) and the transition POST's form."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from committees.models import Role
from core.errors import NotVisible
from core.models import AuditEvent
from tests.factories import (
    TopicFactory,
    TownshipFactory,
    VillageFactory,
    user_with_role,
)
from topics import actions, evidence, services
from topics.actions import ACTIONS, Refused
from topics.services import TransitionRefused, topic_transition
from topics.states import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def village():
    return VillageFactory(parent=TownshipFactory())


@pytest.fixture
def secretary(village):
    return user_with_role(Role.VILLAGE_SECRETARY, village)


@pytest.fixture
def clerk(village):
    return user_with_role(Role.VILLAGE_CLERK, village)


def test_django_fsm_metadata_is_read_in_one_place_only():
    """The rule "may this user act now" is written once: in topics/actions.py."""
    hits = [
        (path.name, n)
        for path in sorted(Path(settings.BASE_DIR, "topics").rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "_django_fsm" in line
    ]
    assert hits == [("actions.py", hits[0][1])]


def test_services_reexport_the_same_actions_the_page_uses():
    assert services.ACTIONS is actions.ACTIONS
    assert {a.style for a in ACTIONS.values()} == {"primary", "secondary", "danger"}
    assert {n for n, a in ACTIONS.items() if a.confirm} == {"approve", "withdraw"}
    assert {n for n, a in ACTIONS.items() if a.needs_reason} == {
        "return_for_revision",
        "reject",
        "withdraw",
    }


@pytest.mark.parametrize(
    "role, state, action, expected",
    [
        (Role.VILLAGE_SECRETARY, State.SUBMITTED, "approve", None),
        (Role.VILLAGE_SECRETARY, State.DRAFT, "approve", Refused.STATE),
        (Role.VILLAGE_CLERK, State.SUBMITTED, "approve", Refused.PERMISSION),
        (Role.VILLAGE_CLERK, State.DRAFT, "approve", Refused.PERMISSION),
        (Role.VILLAGE_CLERK, State.PREPARING, "start_consultation", Refused.EVIDENCE),
        (Role.VILLAGE_CLERK, State.DRAFT, "submit", None),
        (Role.VILLAGE_CLERK, State.PREPARING, "withdraw", Refused.PERMISSION),
        (Role.VILLAGE_SECRETARY, State.PREPARING, "withdraw", None),
    ],
)
def test_check_says_allowed_or_why_not(village, role, state, action, expected):
    user = user_with_role(role, village)
    topic = TopicFactory(place=village, state=state)
    verdict = ACTIONS[action].check(user, topic)
    assert verdict.refused == expected
    assert bool(verdict) is (expected is None)
    if expected == Refused.EVIDENCE:
        assert verdict.message.startswith("还缺少：")
        assert verdict.missing


def test_check_uses_the_missing_list_it_is_given(village, clerk, monkeypatch):
    """The page passes what it computed; the gate does not ask the registry again."""
    topic = TopicFactory(place=village, state=State.PREPARING)
    calls = []
    monkeypatch.setattr(
        evidence, "missing", lambda *a: calls.append(a) or ["never used"]
    )
    assert ACTIONS["start_consultation"].check(clerk, topic, missing=[]).allowed
    assert calls == []


def test_service_raises_not_visible_for_an_unknown_action_or_topic(village, clerk):
    topic = TopicFactory(place=village)
    with pytest.raises(NotVisible):
        topic_transition(actor=clerk, topic_id=topic.pk, action="explode")
    with pytest.raises(NotVisible):
        topic_transition(actor=clerk, topic_id=topic.pk + 1000, action="submit")


def test_service_stores_no_reason_for_an_action_that_takes_none(village, secretary):
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    topic_transition(
        actor=secretary, topic_id=topic.pk, action="approve", reason="多余的话"
    )
    event = AuditEvent.objects.for_subject(topic).get(verb="approve")
    assert event.reason == ""


def test_service_refuses_a_stale_page(village, secretary):
    """Approved since the page was opened: a withdraw from that page is refused."""
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    topic_transition(actor=secretary, topic_id=topic.pk, action="approve")
    with pytest.raises(TransitionRefused) as refused:
        topic_transition(
            actor=secretary,
            topic_id=topic.pk,
            action="withdraw",
            reason="情况变化",
            seen_state=State.SUBMITTED,
        )
    assert refused.value.conflict
    assert refused.value.message == "该议题刚被他人处理，请刷新后查看最新状态。"
    topic.refresh_from_db()
    assert topic.state == State.PREPARING


def test_a_stale_page_tells_nothing_to_someone_who_may_not_act(village, clerk):
    topic = TopicFactory(place=village, state=State.PREPARING)
    with pytest.raises(services.PermissionDenied):
        topic_transition(
            actor=clerk,
            topic_id=topic.pk,
            action="withdraw",
            reason="x",
            seen_state=State.SUBMITTED,
        )


def act(client, topic, action, **data):
    return client.post(reverse("topics:act", args=[topic.pk, action]), data)


def test_page_posts_carry_the_state_seen_and_a_stale_one_is_409(
    client, village, secretary
):
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    client.force_login(secretary)
    page = client.get(reverse("topics:detail", args=[topic.pk])).content.decode()
    assert '<input type="hidden" name="state" value="submitted">' in page
    assert act(client, topic, "approve", state="submitted").status_code == 302
    response = act(client, topic, "withdraw", state="submitted", reason="情况变化")
    assert response.status_code == 409
    assert "该议题刚被他人处理，请刷新后查看最新状态。" in response.content.decode()
    topic.refresh_from_db()
    assert topic.state == State.PREPARING


@pytest.mark.parametrize(
    "reason",
    ["bad\x00reason", "bell\x07", "esc\x1b[31m", "del\x7f", "sep\u2028x"],
)
def test_a_control_character_in_a_reason_is_400_and_nothing_is_stored(
    client, village, secretary, reason
):
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    client.force_login(secretary)
    response = act(client, topic, "reject", state="submitted", reason=reason)
    assert response.status_code == 400
    assert "不可见的控制字符" in response.content.decode()
    topic.refresh_from_db()
    assert topic.state == State.SUBMITTED
    assert not AuditEvent.objects.for_subject(topic).exists()


def test_a_reason_may_span_lines(client, village, secretary):
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    client.force_login(secretary)
    response = act(
        client, topic, "reject", state="submitted", reason="第一条\r\n第二条\t说明"
    )
    assert response.status_code == 302
    event = AuditEvent.objects.for_subject(topic).get(verb="reject")
    assert event.reason == "第一条\r\n第二条\t说明"


def test_the_service_refuses_control_characters_from_any_caller(village, secretary):
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    with pytest.raises(services.ValidationError):
        topic_transition(
            actor=secretary, topic_id=topic.pk, action="reject", reason="a\x00b"
        )
    topic.refresh_from_db()
    assert topic.state == State.SUBMITTED


def test_an_unknown_state_in_the_post_is_400(client, village, secretary):
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    client.force_login(secretary)
    response = act(client, topic, "approve", state="bogus")
    assert response.status_code == 400
    assert "页面已过期" in response.content.decode()
    topic.refresh_from_db()
    assert topic.state == State.SUBMITTED


@pytest.mark.parametrize(
    "action, data",
    [
        ("approve", {}),
        ("reject", {"reason": "理由充分"}),
        ("withdraw", {"reason": "情况变化", "state": ""}),
    ],
)
def test_a_post_without_the_state_seen_is_400_and_nothing_is_done(
    client, village, secretary, action, data
):
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    client.force_login(secretary)
    response = act(client, topic, action, **data)
    assert response.status_code == 400
    assert (
        '<div class="msg msg-error" role="alert">页面已过期，请刷新后再操作。</div>'
        in response.content.decode()
    )
    topic.refresh_from_db()
    assert topic.state == State.SUBMITTED
    assert not AuditEvent.objects.for_subject(topic).exists()


def test_the_form_drops_a_reason_sent_with_an_action_that_takes_none(
    client, village, secretary
):
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    client.force_login(secretary)
    response = act(client, topic, "approve", state="submitted", reason="不该存")
    assert response.status_code == 302
    assert AuditEvent.objects.for_subject(topic).get(verb="approve").reason == ""


def test_an_invisible_topic_is_404_before_the_form_is_read(client, village):
    other = user_with_role(Role.VILLAGE_SECRETARY, VillageFactory())
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    client.force_login(other)
    assert act(client, topic, "reject", reason="a\x00b").status_code == 404
