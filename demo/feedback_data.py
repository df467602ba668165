"""Demo topics in steps 4 and 5 (成果落实, 结果反馈, 已归档) built from real records.

seed_demo creates each such topic as a draft, then this module drives it
through every step with the services and the topic's real transitions: it is
submitted and approved; consult's services plan the meeting ten days ahead,
list the participants from the place's platform, upload the material and send
the notices (paper ones signed for), then record the meeting (attendance,
minutes, opinions); feedback's services carry it through steps 4 and 5. The
procedure is replayed at past dates (the clock is set back while the services
run), so the notice lead time was kept and an archived topic's 公示 really ran
its full period. Called once per topic: seed_demo skips topics that exist.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from committees.models import (
    MemberCategory,
    Platform,
    Role,
    RoleGrant,
    missing_categories,
)
from consult import services as consult
from consult.models import MaterialVersion, Opinion, Participant
from feedback import rules, services
from feedback.models import Decision, NoticeSubject, Outcome
from notifications.delivery import delivery_attempt
from notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Kind,
    Notification,
)
from notifications.services import receipt_record
from topics.models import Topic
from topics.services import topic_transition
from topics.states import State

# Demo topics that this module carries past 成果落实.
STATES = frozenset({State.ADOPTING, State.FEEDBACK, State.ARCHIVED})

OPINIONS = (
    ("建议先公开征求受影响群众意见，再确定实施范围。", "suggestion"),
    ("资金来源要讲清楚，是否需要群众自筹？", "question"),
    ("建议分期实施，先易后难。", "suggestion"),
    ("反对占用现有停车位。", "objection"),
    ("希望实施过程中请群众代表参与监督。", "suggestion"),
)

# A topic that must be voted on gets a failed and then a passing vote.
VOTES = (
    {"in_favour": 9, "against": 12, "abstain": 3},
    {"in_favour": 19, "against": 4, "abstain": 1},
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@contextmanager
def _clock(at: datetime) -> Iterator[None]:
    """Run the services as of ``at`` (the demo replays the procedure)."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def _holder(place, *role_names: str):
    """The first demo account holding one of these roles on the place."""
    grant = (
        RoleGrant.objects.filter(place=place, role__in=role_names)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return grant.user if grant else None


def seeded_state(target: str) -> str:
    """The state seed_demo creates a topic in: a topic bound for steps 4-5 starts
    as a draft and goes through every step through the services."""
    return State.DRAFT if target in STATES else target


def _deliver(topic: Topic, clerk, queued) -> None:
    """The notices of the meeting: paper ones signed for, the others sent."""
    for delivery in queued.order_by("pk").select_related("person"):
        if delivery.channel == Channel.PAPER:
            receipt_record(
                actor=clerk,
                delivery_id=delivery.pk,
                signed_by=delivery.person.name,
            )
        else:
            delivery_attempt(delivery.pk)


def _participants(topic: Topic, clerk) -> None:
    """The place's consultation platform, and a written reason for any §七
    category it lacks."""
    platform = (
        Platform.objects.filter(place=topic.place, memberships__isnull=False)
        .order_by("pk")
        .first()
    )
    if platform is not None:
        consult.participants_from_roster(
            actor=clerk, topic_id=topic.pk, platform_id=platform.pk
        )
    # Someone the topic touches, without an account: a paper notice.
    consult.participant_add_person(
        actor=clerk,
        topic_id=topic.pk,
        name=f"{topic.title[:40]}利益相关方代表",
        category=MemberCategory.STAKEHOLDER,
        organisation=topic.place.name,
    )
    present = Participant.objects.filter(topic=topic).values_list("category", flat=True)
    if missing_categories(present):
        consult.participants_gap_explain(
            actor=clerk,
            topic_id=topic.pk,
            reason="协商平台中没有这些界别的成员；已请上级有关部门列席。",
        )


def _consultation(topic: Topic, clerk, decider, adopted: datetime) -> list[Opinion]:
    """Steps 1-3 through the services, so that the topic enters 成果落实 at
    ``adopted``: the draft is submitted and approved, the meeting planned ten
    days ahead with its participants, material and notices (paper notices
    signed for), then held and recorded."""
    planned = adopted - timedelta(days=10, hours=3)
    meeting = planned + timedelta(days=10)
    with _clock(planned):
        topic_transition(actor=clerk, topic_id=topic.pk, action="submit")
        topic_transition(actor=decider, topic_id=topic.pk, action="approve")
        session = consult.session_plan(
            actor=clerk,
            topic_id=topic.pk,
            form=topic.forms[0],
            starts_at=meeting,
            ends_at=meeting + timedelta(hours=2),
            location=f"{topic.place.name}会议室",
            agenda=f"一、说明方案；二、逐项协商：{topic.title}；三、形成共识。",
            host=clerk.get_full_name() or clerk.username,
        )
        _participants(topic, clerk)
        consult.material_upload(
            actor=clerk,
            topic_id=topic.pk,
            upload=SimpleUploadedFile(
                "协商方案.pdf", PDF, content_type="application/pdf"
            ),
            title=f"{topic.title}（征求意见稿）",
            is_public=True,
        )
        notice = consult.meeting_notice_send(actor=clerk, topic_id=topic.pk)
        # Column defaults read the real clock, not the replayed one: date the
        # material and the notice as of the plan, so the material reached the
        # participants before the meeting (§六.2) as it would have.
        MaterialVersion.objects.filter(topic=topic).update(uploaded_at=planned)
        Notification.objects.filter(pk=notice.notification_id).update(
            created_at=planned
        )
        _deliver(
            topic,
            clerk,
            notice.notification.deliveries.filter(status=DeliveryStatus.QUEUED),
        )
        topic_transition(actor=clerk, topic_id=topic.pk, action="start_consultation")
    with _clock(adopted):
        participants = list(Participant.objects.filter(topic=topic).order_by("pk"))
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
            minutes="与会人员逐一发表意见，记录如下。",
            consensus="原则同意方案，具体意见由班子研究采纳。",
        )
        opinions = [
            consult.opinion_record(
                actor=clerk,
                session_id=session.pk,
                participant_id=participant.pk,
                content=content,
                kind=kind,
            )
            for participant, (content, kind) in zip(
                participants, OPINIONS, strict=False
            )
        ]
        topic_transition(actor=clerk, topic_id=topic.pk, action="start_adoption")
    return opinions


def _adopt(topic: Topic, clerk, opinions: list[Opinion], *, complete: bool) -> None:
    """Step 4: dispositions (one not adopted, explained), summary, decision, vote."""
    day = timezone.localdate()
    for index, opinion in enumerate(opinions):
        outcome = (Outcome.ADOPTED, Outcome.PARTLY, Outcome.NOT_ADOPTED)[index % 3]
        if not complete and index >= 2:
            services.disposition_set(
                actor=clerk,
                topic_id=topic.pk,
                opinion_id=opinion.pk,
                theme="实施方式" if index % 2 else "资金与监督",
            )
            continue
        disposition = services.disposition_set(
            actor=clerk,
            topic_id=topic.pk,
            opinion_id=opinion.pk,
            theme="实施方式" if index % 2 else "资金与监督",
            outcome=outcome,
            reason=(
                "意见合理，已写入决策方案。",
                "分期实施，首期先做群众最急需的部分。",
                "与上级规划要求不符。",
            )[index % 3],
        )
        if outcome != Outcome.ADOPTED:
            services.explanation_add(
                actor=clerk,
                topic_id=topic.pk,
                disposition_id=disposition.pk,
                explained_by=clerk.get_full_name() or clerk.username,
                explained_on=day,
                method="face",
                note="当面说明了采纳情况和理由，对方表示理解。",
            )
    if not complete:
        return
    services.compilation_save(
        actor=clerk,
        topic_id=topic.pk,
        summary=f"共收集意见 {len(opinions)} 条，归为“实施方式”“资金与监督”两类。",
    )
    services.decision_record(
        actor=clerk,
        topic_id=topic.pk,
        meeting_date=day,
        attendees="班子全体成员",
        plan=f"{topic.title}：按协商意见修改后的方案实施，分期推进，定期公示进展。",
        files=[ContentFile(PDF, name="决策方案.pdf")],
    )
    if topic.pk in rules.topics_needing_vote([topic]):
        for numbers in VOTES:
            services.vote_record(
                actor=clerk,
                topic_id=topic.pk,
                kind="villager_reps" if topic.place.is_village else "town_congress",
                held_on=day,
                entitled=30,
                present=24,
                **numbers,
            )


def _implement(topic: Topic, clerk, supervisor, *, finish: bool) -> None:
    participant = Participant.objects.filter(topic=topic).order_by("pk").first()
    task = services.task_create(
        actor=clerk,
        topic_id=topic.pk,
        description="按决策方案组织实施并报告进展",
        responsible_id=participant.person_id,
        deadline=timezone.localdate() + timedelta(days=10),
    )
    services.progress_report(
        actor=clerk,
        task_id=task.pk,
        percent=60,
        reported_on=timezone.localdate(),
        note="已完成招标和首期施工。",
    )
    services.supervision_note_add(
        actor=supervisor, task_id=task.pk, note="请按期完成，完成后及时公示。"
    )
    if finish:
        services.progress_report(
            actor=clerk,
            task_id=task.pk,
            percent=100,
            reported_on=timezone.localdate(),
            note="全部完成，已通过验收。",
        )


def _notice(topic: Topic, clerk, *, start: datetime):
    return services.public_notice_create(
        actor=clerk,
        topic_id=topic.pk,
        subject=NoticeSubject.DECISION,
        title=f"关于“{topic.title}”决策结果的公示",
        body=(
            "经协商和班子联席会议研究，决策方案如下：\n"
            + Decision.objects.filter(topic=topic).values_list("plan", flat=True).last()
            + "\n公示期间如有异议，请向村（镇）反映。"
        ),
        place_ids=[topic.place_id],
        starts_at=start,
        ends_at=start + timedelta(days=7),
        posted_at=f"{topic.place.name}村务公开栏",
    )


def _progress_notice(topic: Topic, clerk, *, start: datetime):
    """§六.5 公示通报实施进展情况： the tasks and their latest reports."""
    return services.public_notice_create(
        actor=clerk,
        topic_id=topic.pk,
        subject=NoticeSubject.PROGRESS,
        title=f"关于“{topic.title}”实施进展情况的公示",
        body="落实任务均已完成，进展报告和照片已存档，欢迎监督。",
        place_ids=[topic.place_id],
        starts_at=start,
        ends_at=start + timedelta(days=7),
        posted_at=f"{topic.place.name}村务公开栏",
    )


def _inform(topic: Topic, clerk) -> None:
    """通报, delivered now: email and SMS sent, paper notices signed for."""
    services.bulletin_send(actor=clerk, topic_id=topic.pk)
    for delivery in Delivery.objects.filter(
        notification__kind=Kind.BULLETIN,
        notification__key__startswith=f"feedback-bulletin:{topic.pk}:",
        status=DeliveryStatus.QUEUED,
    ).order_by("pk"):
        if delivery.channel == Channel.PAPER:
            receipt_record(actor=clerk, delivery_id=delivery.pk, signed_by="本人")
        else:
            delivery_attempt(delivery.pk)


def build(topic: Topic, target: str, *, days_in_state: int) -> None:
    """Carry a topic seeded as a draft to ``target`` through the services."""
    if target not in STATES:
        return
    township = topic.place.township
    clerk = _holder(topic.place, Role.VILLAGE_CLERK, Role.TOWNSHIP_CLERK)
    decider = _holder(topic.place, Role.VILLAGE_SECRETARY, Role.TOWNSHIP_SECRETARY)
    supervisor = _holder(township, Role.TOWNSHIP_CLERK)
    resident = _holder(topic.place, Role.RESIDENT) or _holder(township, Role.RESIDENT)
    now = timezone.now()
    # Replayed backwards from today, so that the topic entered its state
    # ``days_in_state`` days ago: an archived topic went through its 公示
    # before that; one in 结果反馈 has its 公示 running now.
    entered = now - timedelta(days=days_in_state)
    adopted = entered - timedelta(
        days={State.ADOPTING: 0, State.FEEDBACK: 1, State.ARCHIVED: 10}[target]
    )
    opinions = _consultation(topic, clerk, decider, adopted)
    with _clock(adopted + timedelta(hours=1)):
        _adopt(topic, clerk, opinions, complete=target != State.ADOPTING)
    if target == State.ADOPTING:
        return
    start = adopted
    with _clock(start + timedelta(days=1)):
        topic_transition(actor=decider, topic_id=topic.pk, action="start_feedback")
        _implement(topic, clerk, supervisor, finish=target == State.ARCHIVED)
    if target == State.FEEDBACK:
        notice = _notice(topic, clerk, start=now - timedelta(days=1))
        if resident is not None:
            response = services.response_submit(
                actor=resident,
                public_id=notice.public_id,
                kind="opinion",
                content="建议公示期间在村口再张贴一份。",
            )
            services.response_answer(
                actor=clerk, response_id=response.pk, answer="已在村口加贴。"
            )
        return
    with _clock(start + timedelta(days=2)):
        _notice(topic, clerk, start=start + timedelta(days=2))
        _progress_notice(topic, clerk, start=start + timedelta(days=2))
    services.public_notices_sweep(start + timedelta(days=9, minutes=5))
    with _clock(start + timedelta(days=10)):
        _inform(topic, clerk)
        topic_transition(actor=clerk, topic_id=topic.pk, action="archive")
