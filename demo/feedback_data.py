"""Demo topics in steps 4 and 5 (成果落实, 结果反馈, 已归档) built from real records.

seed_demo creates each such topic in 成果落实 with its step 2-3 rows (participants
from the place's roster, a recorded session, opinions: consult's models,
written minimally here because this branch has consult's records but not its
demo), then this module drives it on through feedback's services and the
topic's real transitions. The procedure is replayed at past dates (the clock
is set back while the services run), so an archived topic's 公示 really ran
its full period. Called once per topic: seed_demo skips topics that exist.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from django.core.files.base import ContentFile
from django.utils import timezone

from committees.models import MemberCategory, Membership, Person, Role, RoleGrant
from consult.models import Opinion, OpinionSource, Participant, Session
from feedback import rules, services
from feedback.models import Decision, NoticeSubject, Outcome
from notifications.delivery import delivery_attempt
from notifications.models import Channel, Delivery, DeliveryStatus, Kind
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
    """The state seed_demo creates a topic in: steps 4-5 start at 成果落实."""
    return State.ADOPTING if target in STATES else target


def _consultation(topic: Topic, clerk, when: datetime) -> list[Opinion]:
    """The step 2-3 rows feedback builds on: participants, a session, opinions."""
    members = list(
        Membership.objects.filter(platform__place=topic.place)
        .select_related("person")
        .order_by("pk")[:6]
    )
    people = [(m.person, m.category) for m in members] or [
        (p, MemberCategory.MASSES)
        for p in Person.objects.filter(place=topic.place).order_by("pk")[:6]
    ]
    participants = [
        Participant.objects.get_or_create(
            topic=topic, person=person, defaults={"category": category}
        )[0]
        for person, category in people
    ]
    session = Session.objects.create(
        topic=topic,
        form=topic.forms[0],
        starts_at=when,
        ends_at=when + timedelta(hours=2),
        location=f"{topic.place.name}会议室",
        agenda=f"协商：{topic.title}",
        host=clerk.get_full_name() or clerk.username,
        minutes="与会人员逐一发表意见，记录如下。",
        consensus="原则同意方案，具体意见由班子研究采纳。",
        recorded_at=when + timedelta(hours=2),
        created_by=clerk,
    )
    return [
        Opinion.objects.create(
            topic=topic,
            source=OpinionSource.SESSION,
            session=session,
            participant=participant,
            author=participant.person,
            author_name=participant.person.name,
            content=content,
            kind=kind,
            submitted_by=clerk,
            created_at=when + timedelta(hours=1),
        )
        for participant, (content, kind) in zip(participants, OPINIONS, strict=False)
    ]


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
    return services.notice_create(
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
    """Carry a topic seeded in 成果落实 to ``target`` through the services."""
    if target not in STATES:
        return
    township = topic.place.parent if topic.place.is_village else topic.place
    clerk = _holder(topic.place, Role.VILLAGE_CLERK, Role.TOWNSHIP_CLERK)
    decider = _holder(topic.place, Role.VILLAGE_SECRETARY, Role.TOWNSHIP_SECRETARY)
    supervisor = _holder(township, Role.TOWNSHIP_CLERK)
    resident = _holder(topic.place, Role.RESIDENT) or _holder(township, Role.RESIDENT)
    now = timezone.now()
    # Replayed backwards from today: an archived topic went through its 公示
    # weeks ago; one in 结果反馈 has its 公示 running now.
    start = now - timedelta(days=days_in_state + 20)
    with _clock(start):
        opinions = _consultation(topic, clerk, start - timedelta(days=3))
        _adopt(topic, clerk, opinions, complete=target != State.ADOPTING)
    if target == State.ADOPTING:
        return
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
    services.notices_sweep(start + timedelta(days=9, minutes=5))
    with _clock(start + timedelta(days=10)):
        _inform(topic, clerk)
        topic_transition(actor=clerk, topic_id=topic.pk, action="archive")
