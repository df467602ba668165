"""The evidence consult provides for steps 2 and 3, from real records."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from consult import evidence, services
from consult.models import Opinion
from notifications.models import Channel, Delivery
from notifications.services import receipt_record
from tests.factories import ParticipantFactory, PersonFactory
from topics import evidence as registry
from topics.states import State, Step

from .conftest import in_days, notified_meeting, pdf, plan

pytestmark = pytest.mark.django_db


def codes(topic, step) -> list[str]:
    return [r.code for r in registry.missing(topic, step)]


def move(topic, state):
    type(topic).objects.filter(pk=topic.pk).update(state=state)
    topic.refresh_from_db()


def test_consult_provides_every_code_of_steps_2_and_3(topic):
    assert codes(topic, Step.PREPARE) == [
        "prepare.plan",
        "prepare.participants",
        "prepare.notices",
        "prepare.materials",
    ]
    assert codes(topic, Step.CONSULT) == ["consult.session"]
    for requirement in registry.requirements(Step.PREPARE):
        assert requirement.url_name == "consult:prepare"


def test_plan_needs_time_place_and_agenda(clerk, topic):
    assert evidence.has_plan([topic]) == set()
    plan(clerk, topic)
    assert evidence.has_plan([topic]) == {topic.pk}


def test_participants_with_missing_categories_need_a_reason(clerk, topic, member):
    assert evidence.has_participants([topic]) == set()
    # One category only: seven are missing and not yet explained.
    ParticipantFactory(topic=topic, category="masses")
    assert evidence.has_participants([topic]) == set()
    services.participants_gap_explain(
        actor=clerk, topic_id=topic.pk, reason="本村无其他界别人士。"
    )
    assert evidence.has_participants([topic]) == {topic.pk}
    # A reason covers the gap it was written for; a list that changes so that
    # the same categories are missing stays explained.
    ParticipantFactory(topic=topic, category="masses")
    assert evidence.has_participants([topic]) == {topic.pk}


def test_a_full_list_needs_no_reason(topic):
    for category in (
        "party_deputy",
        "npc_deputy",
        "cppcc_member",
        "united_front",
        "professional",
        "department",
        "masses",
        "stakeholder",
    ):
        ParticipantFactory(topic=topic, category=category)
    assert evidence.has_participants([topic]) == {topic.pk}


def test_notices_in_time_for_everyone(clerk, topic, member):
    plan(clerk, topic, days=10)
    assert evidence.has_notices([topic]) == set()
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    assert evidence.has_notices([topic]) == {topic.pk}


def test_notices_sent_too_late_do_not_count(clerk, topic, member, settings):
    plan(clerk, topic, days=2)
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    assert evidence.has_notices([topic]) == set()
    settings.XST_NOTICE_MIN_DAYS = 1
    assert evidence.has_notices([topic]) == {topic.pk}


def test_an_unnotified_new_participant_breaks_the_notices(clerk, topic, member):
    plan(clerk, topic, days=10)
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    ParticipantFactory(topic=topic, person=PersonFactory(user=None))
    assert evidence.has_notices([topic]) == set()


def test_paper_notice_counts_from_its_receipt(clerk, topic):
    offline = ParticipantFactory(topic=topic)
    plan(clerk, topic, days=10)
    notice = services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    assert evidence.has_notices([topic]) == set()
    paper = Delivery.objects.get(
        notification=notice.notification, person=offline.person, channel=Channel.PAPER
    )
    receipt_record(actor=clerk, delivery_id=paper.pk, signed_by="本人")
    assert evidence.has_notices([topic]) == {topic.pk}


def test_a_late_paper_receipt_does_not_count(clerk, topic):
    offline = ParticipantFactory(topic=topic)
    plan(clerk, topic, days=4)
    notice = services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    paper = Delivery.objects.get(
        notification=notice.notification, person=offline.person, channel=Channel.PAPER
    )
    with time_machine.travel(in_days(2), tick=False):
        receipt_record(actor=clerk, delivery_id=paper.pk, signed_by="本人")
    assert evidence.has_notices([topic]) == set()


def _move(clerk, session, days: float):
    return services.session_reschedule(
        actor=clerk,
        session_id=session.pk,
        form=session.form,
        starts_at=in_days(days),
        ends_at=in_days(days) + timedelta(hours=2),
        location=session.location,
        agenda=session.agenda,
        host=session.host,
    )


def test_a_session_moved_after_the_notices_keeps_the_lead_time(clerk, topic, member):
    """§六.2 提前做好相关通知： moving a notified session to two days ahead is
    refused; to five days ahead it is re-notified and the evidence holds."""
    session = plan(clerk, topic, days=10)
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    assert evidence.has_notices([topic]) == {topic.pk}
    with pytest.raises(ValidationError) as refused:
        _move(clerk, session, 2)
    assert "至少提前 3 天" in refused.value.message_dict["starts_at"][0]
    session.refresh_from_db()
    assert session.starts_at > in_days(9)
    _move(clerk, session, 5)
    assert topic.notice_rounds.count() == 2
    assert evidence.has_notices([topic]) == {topic.pk}


def test_a_session_planned_in_step_three_needs_the_lead_time(clerk, topic, member):
    """A meeting planned for an hour from now, after the notices, is refused;
    one four days ahead is named by a new round and may be recorded then."""
    notified_meeting(clerk, topic, days=10)
    move(topic, State.CONSULTING)
    with pytest.raises(ValidationError) as refused:
        plan(clerk, topic, days=0.05)
    assert "starts_at" in refused.value.message_dict
    later = plan(clerk, topic, days=4)
    latest = topic.notice_rounds.order_by("-number").first()
    assert latest.number == 2
    assert later.pk in {entry["id"] for entry in latest.sessions}
    assert evidence.notified_sessions([topic.pk], [later.pk]) == {later.pk}


def test_a_session_changed_without_a_new_round_is_not_notified(clerk, topic, member):
    """Only a round naming the session's current time counts (a time changed
    behind the services' back, as by an import, is not notified)."""
    session = plan(clerk, topic, days=10)
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    type(session).objects.filter(pk=session.pk).update(
        starts_at=in_days(9), ends_at=in_days(9.1)
    )
    assert evidence.has_notices([topic]) == set()


def test_recording_a_session_notified_too_late_is_refused(clerk, topic, participant):
    session = plan(clerk, topic, days=1)
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    move(topic, State.CONSULTING)
    with time_machine.travel(in_days(1.01), tick=False):
        with pytest.raises(ValidationError) as refused:
            services.attendance_mark(
                actor=clerk,
                session_id=session.pk,
                participant_id=participant.pk,
                status="present",
            )
        assert "提前" in refused.value.messages[0]
        with pytest.raises(ValidationError):
            services.session_record(
                actor=clerk, session_id=session.pk, minutes="记录", consensus="同意"
            )
    session.refresh_from_db()
    assert session.recorded_at is None
    assert not session.attendances.exists()


def test_materials_count_once_a_notice_names_them_before_the_session(
    clerk, topic, member
):
    """§六.2 提供相关议题资料： an upload alone is not enough; a meeting notice
    sent after it names it."""
    plan(clerk, topic, days=10)
    assert evidence.has_materials([topic]) == set()
    services.material_upload(
        actor=clerk, topic_id=topic.pk, upload=pdf(), title="协商方案"
    )
    assert evidence.has_materials([topic]) == set()
    notice = services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    assert "议题资料：协商方案" in notice.notification.body
    assert evidence.has_materials([topic]) == {topic.pk}


def test_materials_uploaded_after_the_notice_count_once_sent(clerk, topic, member):
    plan(clerk, topic, days=10)
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    services.material_upload(actor=clerk, topic_id=topic.pk, upload=pdf())
    assert evidence.has_materials([topic]) == set()
    services.material_send(actor=clerk, topic_id=topic.pk)
    assert evidence.has_materials([topic]) == {topic.pk}


def test_materials_sent_after_the_first_session_do_not_count(clerk, topic, member):
    plan(clerk, topic, days=1)
    services.material_upload(actor=clerk, topic_id=topic.pk, upload=pdf())
    with time_machine.travel(in_days(1.5), tick=False):
        services.material_send(actor=clerk, topic_id=topic.pk)
    assert evidence.has_materials([topic]) == set()


@pytest.fixture
def meeting(clerk, topic, participant):
    session = notified_meeting(clerk, topic)
    move(topic, State.CONSULTING)
    with time_machine.travel(in_days(4.01), tick=False):
        yield session


def test_a_meeting_needs_attendance_minutes_and_an_opinion(
    clerk, topic, participant, meeting
):
    services.session_record(
        actor=clerk, session_id=meeting.pk, minutes="记录", consensus="同意"
    )
    assert evidence.has_session([topic]) == set()
    services.attendance_mark(
        actor=clerk,
        session_id=meeting.pk,
        participant_id=participant.pk,
        status="present",
    )
    assert evidence.has_session([topic]) == set()
    services.opinion_record(
        actor=clerk, session_id=meeting.pk, participant_id=participant.pk, content="x"
    )
    assert evidence.has_session([topic]) == {topic.pk}


def _attended_with_an_opinion(clerk, meeting, participant) -> None:
    services.attendance_mark(
        actor=clerk,
        session_id=meeting.pk,
        participant_id=participant.pk,
        status="present",
    )
    services.opinion_record(
        actor=clerk, session_id=meeting.pk, participant_id=participant.pk, content="x"
    )


def test_a_meeting_without_consensus_or_recorded_disagreement_does_not_count(
    clerk, topic, participant, meeting
):
    """§六.3 达成协商共识： minutes alone are not a consultation's result."""
    _attended_with_an_opinion(clerk, meeting, participant)
    services.session_record(actor=clerk, session_id=meeting.pk, minutes="记录")
    assert evidence.has_session([topic]) == set()
    services.session_record(
        actor=clerk, session_id=meeting.pk, minutes="记录", disputed="资金来源"
    )
    assert evidence.has_session([topic]) == set()


def test_a_meeting_that_records_no_consensus_and_the_disputes_counts(
    clerk, topic, participant, meeting
):
    _attended_with_an_opinion(clerk, meeting, participant)
    services.session_record(
        actor=clerk,
        session_id=meeting.pk,
        minutes="记录",
        no_consensus=True,
        disputed="资金分摊比例仍有分歧。",
    )
    assert evidence.has_session([topic]) == {topic.pk}


def test_no_consensus_needs_the_disputes_and_no_consensus_text(
    clerk, topic, participant, meeting
):
    with pytest.raises(ValidationError) as refused:
        services.session_record(
            actor=clerk, session_id=meeting.pk, minutes="记录", no_consensus=True
        )
    assert "仍有分歧的问题" in refused.value.message_dict["disputed"][0]
    with pytest.raises(ValidationError) as refused:
        services.session_record(
            actor=clerk,
            session_id=meeting.pk,
            minutes="记录",
            consensus="同意",
            no_consensus=True,
            disputed="x",
        )
    assert "consensus" in refused.value.message_dict
    meeting.refresh_from_db()
    assert meeting.recorded_at is None


def test_a_written_consultation_counts_once_closed_with_answers(
    clerk, topic, member, participant
):
    written = plan(
        clerk, topic, days=1, form="v_written", location="", ends_at=in_days(3)
    )
    move(topic, State.CONSULTING)
    with time_machine.travel(in_days(1.5), tick=False):
        services.written_answer(actor=member, session_id=written.pk, content="同意")
        assert evidence.has_session([topic]) == set()
        services.session_close(actor=clerk, session_id=written.pk)
    assert evidence.has_session([topic]) == {topic.pk}


def test_hidden_online_comments_do_not_count(clerk, topic, member, participant):
    online = plan(clerk, topic, days=1, form="v_online", location="")
    move(topic, State.CONSULTING)
    with time_machine.travel(in_days(1.01), tick=False):
        comment = services.online_comment(
            actor=member, session_id=online.pk, content="广告"
        )
        services.opinion_hide(
            actor=clerk, session_id=online.pk, opinion_id=comment.pk, reason="广告"
        )
        services.session_close(actor=clerk, session_id=online.pk)
    assert Opinion.objects.filter(session=online).count() == 1
    assert evidence.has_session([topic]) == set()


def test_checks_answer_for_many_topics_in_constant_queries(clerk, village):
    from tests.factories import TopicFactory

    def measure(topics) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            registry.missing_many(topics, Step.PREPARE)
            registry.missing_many(topics, Step.CONSULT)
        return len(captured)

    def make(n):
        topics = []
        for _ in range(n):
            topic = TopicFactory(place=village, state=State.PREPARING)
            ParticipantFactory(topic=topic)
            plan(clerk, topic)
            topics.append(topic)
        return topics

    few = measure(make(2))
    assert measure(make(2) + make(10)) == few


def test_a_list_lacking_categories_says_which_and_what_to_do(clerk, topic):
    """Item 4 of issue 15: 25 people of two categories; the page's list and
    the transition refusal name the categories missing and the two ways out."""
    from topics.actions import ACTIONS

    for i in range(25):
        ParticipantFactory(topic=topic, category=("masses", "stakeholder")[i % 2])
    [lacking] = [
        r for r in registry.missing(topic, Step.PREPARE) if r.code.endswith("ants")
    ]
    assert "党代表" in lacking.label and "专业界人士" in lacking.label
    assert "群众代表" not in lacking.label
    assert "写明缺少的理由" in lacking.label
    verdict = ACTIONS["start_consultation"].check(clerk, topic)
    assert "写明缺少的理由" in verdict.message
    services.participants_gap_explain(
        actor=clerk, topic_id=topic.pk, reason="本村无相关界别人员。"
    )
    assert "prepare.participants" not in codes(topic, Step.PREPARE)
