"""Step 4 (协商成果落实) through the services: every rule allowed and refused."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import Conflict, NotVisible, StepClosed
from core.models import AuditEvent
from feedback import services
from feedback.models import Compilation, Decision, Disposition, Outcome, Vote
from topics.catalogue import Category
from topics.evidence import missing
from topics.services import TransitionRefused, topic_transition
from topics.states import State, Step

from .helpers import complete_step_four, dispose_all, pdf, today

pytestmark = pytest.mark.django_db


def codes(topic, step=Step.ADOPT) -> set[str]:
    return {r.code for r in missing(topic, step)}


def test_a_new_step_four_lacks_every_record(adopting):
    assert codes(adopting) == {
        "adopt.compiled",
        "adopt.dispositions",
        "adopt.decision",
    }


def test_disposition_needs_a_reason_and_saves_nothing_without(
    adopting, clerk, opinions
):
    with pytest.raises(ValidationError) as refused:
        services.disposition_set(
            actor=clerk,
            topic_id=adopting.pk,
            opinion_id=opinions[0].pk,
            theme="道路",
            outcome=Outcome.NOT_ADOPTED,
            reason="  ",
        )
    assert "请填写采纳或不采纳的理由。" in refused.value.messages
    assert not Disposition.objects.exists()


def test_disposition_needs_a_theme(adopting, clerk, opinions):
    with pytest.raises(ValidationError, match="主题"):
        services.disposition_set(
            actor=clerk, topic_id=adopting.pk, opinion_id=opinions[0].pk, theme=""
        )


def test_disposition_refuses_an_opinion_of_another_topic(adopting, clerk, village):
    from tests.factories import TopicFactory

    from .conftest import add_opinions, add_participants

    other = TopicFactory(place=village, state=State.ADOPTING)
    add_participants(other, 1)
    foreign = add_opinions(other, 1)[0]
    with pytest.raises(ValidationError, match="不属于本议题"):
        services.disposition_set(
            actor=clerk, topic_id=adopting.pk, opinion_id=foreign.pk, theme="道路"
        )


def test_disposition_change_is_audited_with_before_and_after(adopting, clerk, opinions):
    args = {"actor": clerk, "topic_id": adopting.pk, "opinion_id": opinions[0].pk}
    services.disposition_set(**args, theme="道路")
    services.disposition_set(
        **args, theme="道路", outcome=Outcome.PARTLY, reason="资金有限。"
    )
    event = AuditEvent.objects.for_subject(adopting).order_by("-seq").first()
    assert event.verb == "disposition_set"
    assert event.data["before"]["outcome"] == ""
    assert event.data["after"]["outcome"] == Outcome.PARTLY
    assert event.record_id == Disposition.objects.get().pk


def test_compilation_waits_for_every_opinion_to_have_a_theme(adopting, clerk, opinions):
    services.disposition_set(
        actor=clerk, topic_id=adopting.pk, opinion_id=opinions[0].pk, theme="道路"
    )
    with pytest.raises(ValidationError, match="还有 3 条意见"):
        services.compilation_save(actor=clerk, topic_id=adopting.pk, summary="汇总")
    assert not Compilation.objects.exists()


def test_themes_alone_compile_but_do_not_dispose(adopting, clerk, opinions):
    for opinion in opinions:
        services.disposition_set(
            actor=clerk, topic_id=adopting.pk, opinion_id=opinion.pk, theme="道路"
        )
    services.compilation_save(actor=clerk, topic_id=adopting.pk, summary="汇总")
    assert "adopt.compiled" not in codes(adopting)
    assert "adopt.dispositions" in codes(adopting)


def test_hidden_opinions_do_not_count(adopting, clerk, opinions):
    opinions[0].is_hidden = True
    opinions[0].save(update_fields=["is_hidden"])
    for opinion in opinions[1:]:
        services.disposition_set(
            actor=clerk,
            topic_id=adopting.pk,
            opinion_id=opinion.pk,
            theme="道路",
            outcome=Outcome.ADOPTED,
            reason="可行。",
        )
    assert "adopt.dispositions" not in codes(adopting)
    with pytest.raises(ValidationError):
        services.disposition_set(
            actor=clerk, topic_id=adopting.pk, opinion_id=opinions[0].pk, theme="x"
        )


def test_not_adopted_opinions_need_an_explanation(adopting, clerk, opinions):
    dispose_all(adopting, clerk, outcome=Outcome.NOT_ADOPTED)
    assert "adopt.explanations" in codes(adopting)
    for disposition in Disposition.objects.all():
        services.explanation_add(
            actor=clerk,
            topic_id=adopting.pk,
            disposition_id=disposition.pk,
            explained_by="村主任",
            explained_on=today(),
            method="face",
            note="当面说明了资金安排。",
        )
    assert "adopt.explanations" not in codes(adopting)


def test_explanation_refused_for_adopted_or_future_dates(adopting, clerk, opinions):
    dispose_all(adopting, clerk, outcome=Outcome.ADOPTED)
    adopted = Disposition.objects.first()
    base = {
        "actor": clerk,
        "topic_id": adopting.pk,
        "explained_by": "村主任",
        "method": "phone",
        "note": "说明",
    }
    with pytest.raises(ValidationError, match="只有不予采纳或部分采纳"):
        services.explanation_add(
            **base, disposition_id=adopted.pk, explained_on=today()
        )
    services.disposition_set(
        actor=clerk,
        topic_id=adopting.pk,
        opinion_id=adopted.opinion_id,
        theme="道路",
        outcome=Outcome.PARTLY,
        reason="部分可行。",
    )
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.explanation_add(
            **base,
            disposition_id=adopted.pk,
            explained_on=today() + timedelta(days=1),
        )


def test_decision_with_attachment_keeps_its_hash(adopting, clerk):
    decision = services.decision_record(
        actor=clerk,
        topic_id=adopting.pk,
        meeting_date=today(),
        attendees="书记、主任",
        plan="决策方案",
        files=[pdf()],
    )
    attachment = decision.attachments.get()
    assert attachment.content_type == "application/pdf"
    assert len(attachment.sha256) == 64
    assert "adopt.decision" not in codes(adopting)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.pdf", b"<html><script>alert(1)</script></html>", "只能上传"),
        ("a.png", b"%PDF-1.4\n%%EOF\n", "内容与扩展名不符"),
        ("../a.pdf", b"%PDF-1.4\n%%EOF\n", "文件名不合法"),
    ],
)
def test_decision_with_a_bad_file_saves_nothing(
    adopting, clerk, name, content, message
):
    from django.core.files.base import ContentFile

    with pytest.raises(ValidationError, match=message):
        services.decision_record(
            actor=clerk,
            topic_id=adopting.pk,
            meeting_date=today(),
            attendees="书记",
            plan="方案",
            files=[ContentFile(content, name=name)],
        )
    assert not Decision.objects.exists()


def test_files_over_the_limit_are_refused(adopting, clerk, settings):
    settings.XST_UPLOAD_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="大小上限"):
        services.decision_record(
            actor=clerk,
            topic_id=adopting.pk,
            meeting_date=today(),
            attendees="书记",
            plan="方案",
            files=[pdf()],
        )


def vote(topic, clerk, **numbers):
    values = {
        "kind": "villager_reps",
        "held_on": today(),
        "entitled": 30,
        "present": 20,
        "in_favour": 11,
        "against": 5,
        "abstain": 4,
        **numbers,
    }
    return services.vote_record(actor=clerk, topic_id=topic.pk, **values)


@pytest.mark.parametrize("category", [Category.V3, Category.V4, Category.V5])
def test_village_categories_3_4_5_need_a_vote_by_default(village, category):
    from tests.factories import TopicFactory

    topic = TopicFactory(place=village, state=State.ADOPTING, category=category)
    assert "adopt.vote" in codes(topic)


def test_a_township_turns_the_vote_off_for_a_category(village):
    from feedback.models import VoteCategory
    from tests.factories import TopicFactory

    VoteCategory.objects.create(
        township=village.parent, category=Category.V4, needs_vote=False
    )
    VoteCategory.objects.create(
        township=village.parent, category=Category.V1, needs_vote=True
    )
    v4 = TopicFactory(place=village, state=State.ADOPTING, category=Category.V4)
    v1 = TopicFactory(place=village, state=State.ADOPTING, category=Category.V1)
    assert "adopt.vote" not in codes(v4)
    assert "adopt.vote" in codes(v1)


def test_vote_not_needed_is_refused_until_the_clerk_marks_it(adopting, clerk):
    with pytest.raises(Conflict):
        vote(adopting, clerk)
    services.vote_mark(actor=clerk, topic_id=adopting.pk, reason="涉及集体资产")
    assert "adopt.vote" in codes(adopting)
    assert vote(adopting, clerk).passed
    assert "adopt.vote" not in codes(adopting)


@pytest.mark.parametrize(
    ("numbers", "quorum", "passed"),
    [
        ({"present": 20, "in_favour": 11, "against": 9, "abstain": 0}, True, True),
        # Two thirds of 30 is 20: 19 present is short.
        ({"present": 19, "in_favour": 19, "against": 0, "abstain": 0}, False, False),
        # Exactly half of those present is not more than half.
        ({"present": 20, "in_favour": 10, "against": 10, "abstain": 0}, True, False),
    ],
)
def test_villager_representatives_need_two_thirds_and_a_majority(
    adopting, clerk, numbers, quorum, passed
):
    services.vote_mark(actor=clerk, topic_id=adopting.pk, reason="集体资产")
    result = vote(adopting, clerk, **numbers)
    assert (result.quorum_met, result.passed) == (quorum, passed)


def test_town_congress_counts_the_majority_of_all_deputies(township, town_clerk):
    from tests.factories import TopicFactory

    topic = TopicFactory(place=township, state=State.ADOPTING, category=Category.T1)
    services.vote_mark(actor=town_clerk, topic_id=topic.pk, reason="重大")
    result = vote(
        topic,
        town_clerk,
        kind="town_congress",
        entitled=40,
        present=30,
        in_favour=20,
        against=10,
        abstain=0,
    )
    assert result.quorum_met and not result.passed  # 20 is not more than 40/2


def test_a_township_rule_overrides_the_default(adopting, clerk):
    from feedback.models import MeetingRule

    MeetingRule.objects.create(
        township=adopting.place.parent,
        level="village",
        kind="villager_reps",
        quorum_num=1,
        quorum_den=2,
        pass_num=2,
        pass_den=3,
        pass_strict=False,
    )
    services.vote_mark(actor=clerk, topic_id=adopting.pk, reason="重大")
    result = vote(adopting, clerk, present=16, in_favour=11, against=5, abstain=0)
    assert result.quorum_met and result.passed
    assert result.rule["pass_num"] == 2


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        ({"in_favour": 15, "against": 5, "abstain": 4}, "之和不能多于到会人数"),
        ({"present": 31}, "不能多于应到人数"),
        ({"against": -1}, "不能为负数"),
        (
            {"entitled": 0, "present": 0, "in_favour": 0, "against": 0, "abstain": 0},
            "至少为 1",
        ),
        ({"held_on": today() + timedelta(days=1)}, "不能晚于今天"),
    ],
)
def test_votes_whose_numbers_do_not_add_up_are_refused(
    adopting, clerk, numbers, message
):
    services.vote_mark(actor=clerk, topic_id=adopting.pk, reason="重大")
    with pytest.raises(ValidationError, match=message):
        vote(adopting, clerk, **numbers)
    assert not Vote.objects.exists()


def test_a_failed_vote_keeps_step_four_and_a_new_vote_may_pass(
    adopting, clerk, secretary
):
    services.vote_mark(actor=clerk, topic_id=adopting.pk, reason="重大")
    complete_step_four(adopting, clerk)
    failed = vote(adopting, clerk, in_favour=5, against=15, abstain=0)
    assert not failed.passed
    with pytest.raises(TransitionRefused) as refused:
        topic_transition(actor=secretary, topic_id=adopting.pk, action="start_feedback")
    assert "法定会议表决" in refused.value.message
    assert vote(adopting, clerk).passed
    with pytest.raises(Conflict):
        vote(adopting, clerk)
    topic_transition(actor=secretary, topic_id=adopting.pk, action="start_feedback")
    adopting.refresh_from_db()
    assert adopting.state == State.FEEDBACK
    assert Vote.objects.filter(topic=adopting).count() == 2


def test_step_four_records_close_with_the_step(adopting, clerk, secretary, opinions):
    complete_step_four(adopting, clerk)
    topic_transition(actor=secretary, topic_id=adopting.pk, action="start_feedback")
    with pytest.raises(StepClosed):
        services.disposition_set(
            actor=clerk, topic_id=adopting.pk, opinion_id=opinions[0].pk, theme="x"
        )


@pytest.mark.parametrize("who", ["resident", "town_clerk", "outsider"])
def test_only_the_place_clerk_and_secretary_record_step_four(adopting, request, who):
    user = request.getfixturevalue(who)
    expected = PermissionDenied if who == "town_clerk" else NotVisible
    with pytest.raises(expected):
        services.decision_record(
            actor=user,
            topic_id=adopting.pk,
            meeting_date=today(),
            attendees="x",
            plan="y",
        )
    assert not Decision.objects.exists()


@pytest.mark.parametrize("who", ["clerk", "secretary"])
def test_clerk_and_secretary_may_record_step_four(adopting, request, who):
    user = request.getfixturevalue(who)
    services.decision_record(
        actor=user, topic_id=adopting.pk, meeting_date=today(), attendees="x", plan="y"
    )
    assert Decision.objects.count() == 1


# -- §二.3 协商在决策之前 ------------------------------------------------------------


def _held_meeting(topic, days_ago: int):
    """A meeting of the topic held and recorded ``days_ago`` days ago."""
    from django.utils import timezone

    from tests.factories import SessionFactory

    ended = timezone.now() - timedelta(days=days_ago)
    return SessionFactory(
        topic=topic,
        starts_at=ended - timedelta(hours=2),
        ends_at=ended,
        recorded_at=ended,
    )


def _decide(topic, clerk, day):
    return services.decision_record(
        actor=clerk,
        topic_id=topic.pk,
        meeting_date=day,
        attendees="书记、主任",
        plan="按协商意见实施。",
    )


def test_a_decision_dated_before_the_consultation_ended_is_refused(adopting, clerk):
    _held_meeting(adopting, days_ago=3)
    with pytest.raises(ValidationError) as refused:
        _decide(adopting, clerk, today() - timedelta(days=4))
    assert "协商在决策之前" in refused.value.message_dict["meeting_date"][0]
    with pytest.raises(ValidationError):
        _decide(adopting, clerk, today() - timedelta(days=365 * 5))
    assert not Decision.objects.exists()
    assert _decide(adopting, clerk, today() - timedelta(days=1)).pk


def test_a_decision_in_the_future_is_refused(adopting, clerk):
    _held_meeting(adopting, days_ago=3)
    with pytest.raises(ValidationError):
        _decide(adopting, clerk, today() + timedelta(days=1))


def test_a_vote_is_dated_on_or_after_the_decision(adopting, clerk):
    _held_meeting(adopting, days_ago=10)
    services.vote_mark(actor=clerk, topic_id=adopting.pk, reason="集体资产")
    _decide(adopting, clerk, today())
    with pytest.raises(ValidationError) as refused:
        vote(adopting, clerk, held_on=today() - timedelta(days=1))
    assert "决策日期" in refused.value.message_dict["held_on"][0]
    assert not Vote.objects.exists()
    assert vote(adopting, clerk, held_on=today()).pk


def test_a_vote_before_the_consultation_ended_is_refused(adopting, clerk):
    _held_meeting(adopting, days_ago=2)
    services.vote_mark(actor=clerk, topic_id=adopting.pk, reason="集体资产")
    with pytest.raises(ValidationError) as refused:
        vote(adopting, clerk, held_on=today() - timedelta(days=10))
    assert "协商在决策之前" in refused.value.message_dict["held_on"][0]


def test_a_decision_dated_after_a_recorded_vote_is_refused(adopting, clerk):
    services.vote_mark(actor=clerk, topic_id=adopting.pk, reason="集体资产")
    vote(adopting, clerk, held_on=today() - timedelta(days=2))
    with pytest.raises(ValidationError):
        _decide(adopting, clerk, today())
    assert _decide(adopting, clerk, today() - timedelta(days=2)).pk
