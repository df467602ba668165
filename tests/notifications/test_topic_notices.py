"""Step-1 events notify whoever must act next (topics/transition_messages.py)."""

import pytest
from django.urls import reverse

from committees.models import Role
from notifications.models import Channel, DeliveryStatus, Kind, Notification
from tests.factories import TopicFactory, UserFactory, VillageFactory, user_with_role
from topics.services import topic_transition
from topics.states import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def village():
    return VillageFactory()


@pytest.fixture
def people(village):
    return {
        "drafter": user_with_role(Role.VILLAGE_CLERK, village, email="c@example.cn"),
        "secretary": user_with_role(Role.VILLAGE_SECRETARY, village),
        "other_secretary": user_with_role(Role.VILLAGE_SECRETARY, VillageFactory()),
        "township_secretary": user_with_role(Role.TOWNSHIP_SECRETARY, village.parent),
    }


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    def act(actor, topic, action, reason=""):
        with django_capture_on_commit_callbacks(execute=True):
            return topic_transition(
                actor=actor, topic_id=topic.pk, action=action, reason=reason
            )

    return act


def notices(kind, topic):
    return list(
        Notification.objects.filter(kind=kind, about_id=topic.pk).order_by("pk")
    )


def told(notification) -> set[int]:
    return set(
        notification.deliveries.filter(channel=Channel.INBOX).values_list(
            "person__user", flat=True
        )
    )


def draft(village, people):
    return TopicFactory(place=village, state=State.DRAFT, created_by=people["drafter"])


def test_submitting_tells_the_approvers_and_nobody_else(village, people, act):
    topic = draft(village, people)

    act(people["drafter"], topic, "submit")

    [notice] = notices(Kind.TOPIC_SUBMITTED, topic)
    assert told(notice) == {people["secretary"].pk}
    assert topic.title in notice.subject
    assert "请及时审核" in notice.body
    assert notice.link == reverse("topics:detail", args=[topic.pk])
    assert notice.about == topic
    inbox = notice.deliveries.get(channel=Channel.INBOX)
    assert inbox.status == DeliveryStatus.SENT
    assert not notice.deliveries.filter(channel=Channel.PAPER).exists()


@pytest.mark.parametrize(
    ("action", "kind", "words"),
    [
        ("return_for_revision", Kind.TOPIC_RETURNED, "退回修改"),
        ("reject", Kind.TOPIC_REJECTED, "驳回"),
    ],
)
def test_returning_and_rejecting_tell_the_drafter_with_the_reason(
    village, people, act, mailoutbox, action, kind, words
):
    topic = draft(village, people)
    act(people["drafter"], topic, "submit")

    act(people["secretary"], topic, action, "缺少村民代表意见")

    [notice] = notices(kind, topic)
    assert told(notice) == {people["drafter"].pk}
    assert words in notice.subject + notice.body
    assert "理由：缺少村民代表意见" in notice.body
    # Email as the drafter's preference allows (none saved: all channels on).
    [email] = [m for m in mailoutbox if m.to == ["c@example.cn"]]
    assert "缺少村民代表意见" in email.body


def test_resubmitting_notifies_again_with_a_new_key(village, people, act):
    topic = draft(village, people)
    act(people["drafter"], topic, "submit")
    act(people["secretary"], topic, "return_for_revision", "请补充")
    act(people["drafter"], topic, "submit")

    first, second = notices(Kind.TOPIC_SUBMITTED, topic)
    assert first.key != second.key
    assert told(second) == {people["secretary"].pk}


def test_approving_tells_the_clerks_that_step_two_can_begin(village, people, act):
    topic = draft(village, people)
    act(people["drafter"], topic, "submit")
    other_clerk = user_with_role(Role.VILLAGE_CLERK, village)

    act(people["secretary"], topic, "approve")

    [notice] = notices(Kind.TOPIC_APPROVED, topic)
    # Everyone who runs topics at the village, except the approver.
    assert told(notice) == {people["drafter"].pk, other_clerk.pk}
    assert topic.title in notice.subject
    assert "已获批准" in notice.body
    assert "第二步协商准备" in notice.body
    assert notice.link == reverse("topics:detail", args=[topic.pk])
    assert notice.about == topic
    assert notices(Kind.TOPIC_RETURNED, topic) == []
    assert notices(Kind.TOPIC_REJECTED, topic) == []
    assert len(notices(Kind.TOPIC_SUBMITTED, topic)) == 1


def test_a_township_topic_approved_tells_the_township_runners(people, act):
    township = people["township_secretary"].role_grants.get().place
    clerk = user_with_role(Role.TOWNSHIP_CLERK, township)
    deputy = user_with_role(Role.TOWNSHIP_DEPUTY, township)
    topic = TopicFactory(place=township, state=State.DRAFT, created_by=clerk)
    act(clerk, topic, "submit")

    act(people["township_secretary"], topic, "approve")

    [notice] = notices(Kind.TOPIC_APPROVED, topic)
    assert told(notice) == {clerk.pk, deputy.pk}


@pytest.mark.parametrize("who", ["secretary", "township_secretary"])
def test_withdrawing_tells_the_drafter_and_the_runners_with_the_reason(
    village, people, act, mailoutbox, who
):
    topic = TopicFactory(
        place=village, state=State.PREPARING, created_by=people["drafter"]
    )
    other_clerk = user_with_role(Role.VILLAGE_CLERK, village)

    act(people[who], topic, "withdraw", "村民已自行协商解决")

    [notice] = notices(Kind.TOPIC_WITHDRAWN, topic)
    expected = {people["drafter"].pk, other_clerk.pk}
    if who == "township_secretary":
        # The village's own secretary runs its topics too.
        expected.add(people["secretary"].pk)
    assert told(notice) == expected
    assert "已撤回" in notice.subject
    assert "理由：村民已自行协商解决" in notice.body
    [email] = [m for m in mailoutbox if m.to == ["c@example.cn"]]
    assert "村民已自行协商解决" in email.body


def test_a_secretary_withdrawing_their_own_draft_is_not_told(village, people, act):
    topic = TopicFactory(
        place=village, state=State.SUBMITTED, created_by=people["secretary"]
    )

    act(people["secretary"], topic, "withdraw", "重复提交")

    [notice] = notices(Kind.TOPIC_WITHDRAWN, topic)
    assert told(notice) == {people["drafter"].pk}


def test_without_an_active_drafter_the_people_running_the_place_are_told(
    village, people, act
):
    topic = draft(village, people)
    act(people["drafter"], topic, "submit")
    drafter = people["drafter"]
    drafter.is_active = False
    drafter.save(update_fields=["is_active"])
    other_clerk = user_with_role(Role.VILLAGE_CLERK, village)

    act(people["secretary"], topic, "reject", "不属于协商范围")

    [notice] = notices(Kind.TOPIC_REJECTED, topic)
    # The secretary who acted is not told of their own action.
    assert told(notice) == {other_clerk.pk}


def test_a_township_topic_is_submitted_to_the_township_secretary(people, act):
    township = people["township_secretary"].role_grants.get().place
    clerk = user_with_role(Role.TOWNSHIP_CLERK, township)
    topic = TopicFactory(place=township, state=State.DRAFT, created_by=clerk)

    act(clerk, topic, "submit")

    [notice] = notices(Kind.TOPIC_SUBMITTED, topic)
    assert told(notice) == {people["township_secretary"].pk}


def test_a_failing_notice_does_not_undo_the_transition(
    village, people, act, monkeypatch, caplog
):
    from topics import transition_messages as topic_notices

    def broken(**kwargs):
        raise RuntimeError("notices down")

    monkeypatch.setattr(topic_notices, "notify", broken)
    topic = draft(village, people)

    act(people["drafter"], topic, "submit")

    topic.refresh_from_db()
    assert topic.state == State.SUBMITTED
    assert "notice of submit on topic" in caplog.text


def test_a_user_without_a_role_gets_nothing(village, people, act):
    outsider = UserFactory()
    topic = draft(village, people)
    act(people["drafter"], topic, "submit")

    assert not Notification.objects.filter(deliveries__person__user=outsider).exists()
