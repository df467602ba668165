"""Shared moves of the feedback tests: fill a step through the services."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from consult.models import Opinion
from feedback import services
from feedback.models import Outcome
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
    return services.notice_create(
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
    return services.notices_sweep(timezone.now() + timedelta(days=days))


def consult_evidence(monkeypatch) -> None:
    """Stand-ins for consult's step 2-3 checks, over consult's rows.

    consult/ provides and tests the real checks of steps 2-3 (notice lead
    time, materials…); these tests are about steps 4-5, so they ask only for
    the rows feedback builds on (a session, participants, opinions), whether
    or not consult's own checks are installed.
    """
    from consult.models import Opinion, Participant, Session
    from topics import evidence
    from topics.evidence import Provider

    def having(model):
        def check(topics):
            ids = [t.pk for t in topics]
            return set(
                model.objects.filter(topic_id__in=ids).values_list(
                    "topic_id", flat=True
                )
            )

        return Provider(check_many=check)

    providers = dict(evidence._PROVIDERS)
    for code in ("prepare.plan", "prepare.notices", "prepare.materials"):
        providers[code] = having(Session)
    providers["prepare.participants"] = having(Participant)
    providers["consult.session"] = having(Opinion)
    monkeypatch.setattr(evidence, "_PROVIDERS", providers)


def walk_to_archive(*, village, clerk, secretary, town_clerk, resident, opinions=4):
    """One village topic from draft to 已归档 through the services, real records at
    every step (steps 2-3 written as consult's rows). Returns the topic."""
    from committees.models import Body
    from feedback.models import Disposition
    from notifications.models import Delivery, DeliveryStatus, Kind
    from notifications.services import receipt_record
    from topics.services import topic_create

    from .conftest import add_opinions, add_participants

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
    add_participants(topic, 3)
    add_opinions(topic, opinions)
    topic_transition(actor=clerk, topic_id=topic.pk, action="start_consultation")
    topic_transition(actor=clerk, topic_id=topic.pk, action="start_adoption")
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
    from tests.factories import PersonFactory

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
