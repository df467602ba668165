"""A village topic walks from draft to 成果落实 through real records only.

No evidence is faked: each transition out of steps 2 and 3 is refused while a
record is missing and allowed once the clerk has made it.
"""

from datetime import timedelta

import pytest
import time_machine

from consult import services
from core.models import AuditEvent
from notifications.services import receipt_record
from tests.factories import BodyFactory
from topics import services as topic_services
from topics.catalogue import Category, Form, Source, Tag
from topics.services import TransitionRefused
from topics.states import State

from .conftest import in_days, pdf

pytestmark = pytest.mark.django_db


def act(actor, topic, action):
    return topic_services.topic_transition(
        actor=actor, topic_id=topic.pk, action=action
    )


def refused_for(actor, topic, action) -> list[str]:
    with pytest.raises(TransitionRefused) as refused:
        act(actor, topic, action)
    return [r.code for r in refused.value.missing]


def test_walk_from_draft_to_adopting(clerk, secretary, village, council):
    topic = topic_services.topic_create(
        actor=clerk,
        place=village,
        body=BodyFactory(place=village),
        title="村东道路硬化",
        description="村东主路雨天泥泞，拟硬化 800 米。",
        category=Category.V4,
        tag=Tag.LIVELIHOOD,
        forms=[Form.V_MEETING],
        source=Source.RESIDENTS,
        proposer="三组村民",
    )
    act(clerk, topic, "submit")
    topic = act(secretary, topic, "approve")
    assert topic.state == State.PREPARING

    # Step 2: nothing yet.
    assert refused_for(clerk, topic, "start_consultation") == [
        "prepare.plan",
        "prepare.participants",
        "prepare.notices",
        "prepare.materials",
    ]
    starts = in_days(10)
    session = services.session_plan(
        actor=clerk,
        topic_id=topic.pk,
        form=Form.V_MEETING,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location="村委会会议室",
        agenda="一、方案说明；二、逐项协商；三、形成共识。",
        host="李书记",
    )
    services.participants_from_roster(
        actor=clerk, topic_id=topic.pk, platform_id=council.pk
    )
    services.opinion_pre_collect(
        actor=clerk,
        topic_id=topic.pk,
        participant_id=topic.participants.first().pk,
        content="三组希望先修排水沟。",
    )
    # The list lacks §七 categories: leaving step 2 needs a written reason.
    assert "prepare.participants" in refused_for(clerk, topic, "start_consultation")
    services.participants_gap_explain(
        actor=clerk, topic_id=topic.pk, reason="本村无政协委员、统战人士和专业人士。"
    )
    services.material_upload(
        actor=clerk, topic_id=topic.pk, upload=pdf(), title="道路硬化方案"
    )
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    # Members without an account got a paper notice; record their receipts.
    from notifications.models import Channel, DeliveryStatus

    notice = topic.notice_rounds.get()
    assert refused_for(clerk, topic, "start_consultation") == ["prepare.notices"]
    for paper in notice.notification.deliveries.filter(
        channel=Channel.PAPER, status=DeliveryStatus.QUEUED
    ):
        receipt_record(actor=clerk, delivery_id=paper.pk, signed_by="本人")
    topic = act(clerk, topic, "start_consultation")
    assert topic.state == State.CONSULTING

    # Step 3: the meeting is held ten days later.
    with time_machine.travel(starts + timedelta(minutes=90), tick=False):
        assert refused_for(clerk, topic, "start_adoption") == ["consult.session"]
        participants = list(topic.participants.all())
        for i, participant in enumerate(participants):
            services.attendance_mark(
                actor=clerk,
                session_id=session.pk,
                participant_id=participant.pk,
                status="present" if i else "leave",
            )
        services.session_record(
            actor=clerk,
            session_id=session.pk,
            minutes="到会代表逐项讨论了方案。",
            consensus="同意硬化，先修排水。",
            disputed="资金分摊比例。",
        )
        services.opinion_record(
            actor=clerk,
            session_id=session.pk,
            participant_id=participants[1].pk,
            content="建议同步修排水沟。",
            kind="suggestion",
        )
        topic = act(clerk, topic, "start_adoption")
    assert topic.state == State.ADOPTING

    # Every record of steps 2 and 3 is on the topic's one chain, and the
    # chain verifies.
    from core.chain import verify_chain

    verbs = set(AuditEvent.objects.for_subject(topic).values_list("verb", flat=True))
    assert {
        "session_plan",
        "participant_add",
        "participants_gap_explain",
        "material_upload",
        "notice_send",
        "receipt_record",
        "attendance_mark",
        "session_record",
        "opinion_add",
        "start_consultation",
        "start_adoption",
    } <= verbs
    assert verify_chain(topic) == []
    # And the step's records are now closed except for corrections.
    from core.errors import StepClosed

    with pytest.raises(StepClosed):
        services.opinion_record(
            actor=clerk, session_id=session.pk, author_name="x", content="y"
        )
