"""Shared moves of the feedback tests: fill a step through the services."""

from datetime import timedelta

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from committees.models import MemberCategory
from consult import services as consult
from consult.models import Opinion
from feedback import services
from feedback.models import Outcome
from notifications.models import Channel, Delivery, DeliveryStatus, Kind
from notifications.services import receipt_record
from topics.catalogue import Form
from topics.services import topic_transition

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00"
    b"\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82"
)


def pdf(name: str = "方案.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def png(name: str = "张贴.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def today():
    return timezone.localdate()


def dispose_all(topic, clerk, outcome: str = Outcome.ADOPTED) -> None:
    for opinion in Opinion.objects.filter(topic=topic, is_hidden=False):
        services.disposition_set(
            actor=clerk,
            topic_id=topic.pk,
            opinion_id=opinion.pk,
            theme="道路",
            outcome=outcome,
            reason="符合村庄规划。",
        )


def complete_step_four(topic, clerk) -> None:
    """Every step-4 record, without a vote."""
    dispose_all(topic, clerk)
    services.compilation_save(
        actor=clerk, topic_id=topic.pk, summary="意见集中在道路。"
    )
    services.decision_record(
        actor=clerk,
        topic_id=topic.pk,
        meeting_date=today(),
        attendees="书记、主任、委员",
        plan="按意见加宽至 5 米。",
    )


def to_feedback(topic, clerk, secretary) -> None:
    complete_step_four(topic, clerk)
    topic_transition(actor=secretary, topic_id=topic.pk, action="start_feedback")
    topic.refresh_from_db()


def run_notice(topic, clerk, *, subject="decision"):
    """A 公示 that starts now; call ``end_notices`` to move past its end."""
    now = timezone.now()
    return services.public_notice_create(
        actor=clerk,
        topic_id=topic.pk,
        subject=subject,
        title="关于道路加宽的公示",
        body="决策方案如下……",
        place_ids=[topic.place_id],
        starts_at=now,
        ends_at=now + timedelta(days=5, minutes=1),
    )


def end_notices(days: int = 6) -> int:
    return services.public_notices_sweep(timezone.now() + timedelta(days=days))


def consult_steps(topic, clerk, *, people: int = 3, opinions: int = 4) -> None:
    """Steps 2 and 3 of a topic in 筹备, through consult's public services.

    The plan is made now for a meeting ten days on: participants without an
    account get a paper notice, whose signed receipts are recorded now (well
    before the notice lead time runs out), a material is uploaded, and the
    topic moves to 协商. The clock then travels to the meeting, where
    attendance, minutes and the opinions are recorded and the topic moves to
    成果落实. Callers that go on to step 4 at the present run this inside
    ``time_machine.travel`` to a moment more than ten days ago.
    """
    starts = timezone.now() + timedelta(days=10)
    session = consult.session_plan(
        actor=clerk,
        topic_id=topic.pk,
        form=Form.V_MEETING,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location="村委会会议室",
        agenda="一、方案说明；二、逐项协商；三、形成共识。",
        host="村书记",
    )
    for i in range(people):
        consult.participant_add_person(
            actor=clerk,
            topic_id=topic.pk,
            name=f"村民代表{i + 1}",
            category=MemberCategory.VILLAGER_REP,
        )
    consult.participants_gap_explain(
        actor=clerk, topic_id=topic.pk, reason="本村无政协委员和专业人士。"
    )
    consult.material_upload(
        actor=clerk, topic_id=topic.pk, upload=pdf("协商方案.pdf"), title="协商方案"
    )
    notice = consult.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    for paper in notice.notification.deliveries.filter(
        channel=Channel.PAPER, status=DeliveryStatus.QUEUED
    ):
        receipt_record(actor=clerk, delivery_id=paper.pk, signed_by="本人")
    topic_transition(actor=clerk, topic_id=topic.pk, action="start_consultation")
    with time_machine.travel(starts + timedelta(minutes=90), tick=False):
        participants = list(topic.participants.order_by("pk"))
        for participant in participants:
            consult.attendance_mark(
                actor=clerk,
                session_id=session.pk,
                participant_id=participant.pk,
                status="present",
            )
        consult.session_record(
            actor=clerk,
            session_id=session.pk,
            minutes="到会代表逐项讨论了方案。",
            consensus="原则同意方案。",
        )
        for i in range(opinions):
            consult.opinion_record(
                actor=clerk,
                session_id=session.pk,
                participant_id=participants[i % len(participants)].pk,
                content=f"意见{i}：建议加宽路面。",
            )
        topic_transition(actor=clerk, topic_id=topic.pk, action="start_adoption")
    topic.refresh_from_db()


def ago(days: int = 12):
    """Travel back far enough for steps 2-3 (a meeting ten days after its plan)
    to be over by now."""
    return time_machine.travel(timezone.now() - timedelta(days=days))


def walk_to_archive(*, village, clerk, secretary, town_clerk, resident, opinions=4):
    """One village topic from draft to 已归档 through the services, real records at
    every step (steps 2-3 through consult's services, in the past). Returns the
    topic."""
    with ago():
        topic = _draft_to_adopting(
            village=village, clerk=clerk, secretary=secretary, opinions=opinions
        )
    return _adopting_to_archive(topic, clerk, secretary, town_clerk, resident)


def _draft_to_adopting(*, village, clerk, secretary, opinions):
    from committees.models import Body
    from topics.services import topic_create

    topic = topic_create(
        actor=clerk,
        place=village,
        body=Body.objects.get_or_create(
            place=village, kind="village_committee", defaults={"name": "村委会"}
        )[0],
        title="村集体鱼塘承包方案",
        description="鱼塘承包期满，重新确定承包方案。",
        category="v4",
        tag="public_interest",
        forms=["v_meeting"],
        source="annual_plan",
        proposer="村两委",
    )
    topic_transition(actor=clerk, topic_id=topic.pk, action="submit")
    topic_transition(actor=secretary, topic_id=topic.pk, action="approve")
    consult_steps(topic, clerk, opinions=opinions)
    return topic


def _adopting_to_archive(topic, clerk, secretary, town_clerk, resident):
    from feedback.models import Disposition
    from tests.factories import PersonFactory

    village = topic.place
    # Step 4: themes and dispositions, one not adopted and explained.
    dispose_all(topic, clerk)
    first = Disposition.objects.filter(topic=topic).order_by("pk").first()
    services.disposition_set(
        actor=clerk,
        topic_id=topic.pk,
        opinion_id=first.opinion_id,
        theme="承包期",
        outcome=Outcome.NOT_ADOPTED,
        reason="与土地承包法规定不符。",
    )
    services.explanation_add(
        actor=clerk,
        topic_id=topic.pk,
        disposition_id=first.pk,
        explained_by="村主任",
        explained_on=today(),
        method="face",
        note="上门说明了法律规定。",
    )
    services.compilation_save(actor=clerk, topic_id=topic.pk, summary="两类意见。")
    services.decision_record(
        actor=clerk,
        topic_id=topic.pk,
        meeting_date=today(),
        attendees="书记、主任、委员",
        plan="公开招标承包，期限五年。",
        files=[pdf()],
    )
    vote = {
        "kind": "villager_reps",
        "held_on": today(),
        "entitled": 30,
        "present": 25,
        "against": 4,
        "abstain": 1,
    }
    services.vote_record(actor=clerk, topic_id=topic.pk, in_favour=10, **vote)
    services.vote_record(actor=clerk, topic_id=topic.pk, in_favour=20, **vote)
    topic_transition(actor=secretary, topic_id=topic.pk, action="start_feedback")
    # Step 5.
    task = services.task_create(
        actor=clerk,
        topic_id=topic.pk,
        description="组织公开招标",
        responsible_id=PersonFactory(place=village).pk,
        deadline=today() + timedelta(days=10),
    )
    services.supervision_note_add(actor=town_clerk, task_id=task.pk, note="按期完成")
    services.progress_report(
        actor=clerk,
        task_id=task.pk,
        percent=100,
        reported_on=today(),
        note="已签订合同。",
        files=[png()],
    )
    notice = run_notice(topic, clerk)
    # The decision 公示 also reports the progress above (§六.5).
    services.public_notice_cover_progress(actor=clerk, notice_id=notice.pk)
    response = services.response_submit(
        actor=resident, public_id=notice.public_id, kind="objection", content="期限太长"
    )
    services.response_answer(actor=clerk, response_id=response.pk, answer="按法定程序")
    end_notices()
    services.bulletin_send(actor=clerk, topic_id=topic.pk)
    for delivery in Delivery.objects.filter(
        notification__kind=Kind.BULLETIN, status=DeliveryStatus.QUEUED
    ):
        receipt_record(actor=clerk, delivery_id=delivery.pk, signed_by="本人")
    topic_transition(actor=clerk, topic_id=topic.pk, action="archive")
    topic.refresh_from_db()
    return topic
