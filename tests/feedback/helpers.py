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
