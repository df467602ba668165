"""The evidence consult provides for steps 2 and 3, from real records."""

from datetime import timedelta

import pytest
import time_machine

from consult import evidence, services
from consult.models import Opinion
from notifications.models import Channel, Delivery
from notifications.services import receipt_record
from tests.factories import ParticipantFactory, PersonFactory
from topics import evidence as registry
from topics.states import State, Step

from .conftest import in_days, pdf, plan

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


def test_moving_the_session_earlier_rechecks_the_lead_time(clerk, topic, member):
    session = plan(clerk, topic, days=10)
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    assert evidence.has_notices([topic]) == {topic.pk}
    services.session_reschedule(
        actor=clerk,
        session_id=session.pk,
        form=session.form,
        starts_at=in_days(2),
        ends_at=in_days(2) + timedelta(hours=2),
        location=session.location,
        agenda=session.agenda,
        host=session.host,
    )
    # Re-notified at once, but now less than three days ahead.
    assert evidence.has_notices([topic]) == set()


def test_materials_need_an_uploaded_file(clerk, topic):
    assert evidence.has_materials([topic]) == set()
    services.material_upload(actor=clerk, topic_id=topic.pk, upload=pdf())
    assert evidence.has_materials([topic]) == {topic.pk}


@pytest.fixture
def meeting(clerk, topic, participant):
    session = plan(clerk, topic, days=1)
    move(topic, State.CONSULTING)
    with time_machine.travel(in_days(1.01), tick=False):
        yield session


def test_a_meeting_needs_attendance_minutes_and_an_opinion(
    clerk, topic, participant, meeting
):
    services.session_record(actor=clerk, session_id=meeting.pk, minutes="记录")
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
