"""Steps 2 and 3 of the demo topics: plans, participants, notices, materials,
sessions and opinions (``seed_demo`` calls ``seed_consult``).

Topics that reached 协商准备 through the services are prepared through the
consult services too, so their records and audit chains are the real ones:

- 青溪镇国土空间总体规划: complete except the notice lead time (the seminar is
  two days away, the notices went out today), so a visitor sees why it cannot
  move on;
- 西岭村闲置农房盘活发展民宿方案: complete, ready to start the consultation.

Topics seeded directly in 开展协商 get their earlier records as history
(created as they would have been, each named on the topic's chain by one
``demo_seed`` event): a township topic with its inspection and meeting held
and a written consultation of the 25 committee members running now; a village
topic whose meeting was held but not yet recorded; a village topic with a
recorded meeting and an online consultation open to residents, one comment
hidden by the clerk.

Running it again changes nothing: a topic that already has participants is
left alone.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from committees.models import Membership, Person, Platform, PlatformKind
from consult import services
from consult.evidence import notice_entry
from consult.models import (
    Attendance,
    Material,
    MaterialVersion,
    NoticeRound,
    Opinion,
    Participant,
    Plan,
    Session,
)
from notifications.models import Channel, Delivery, DeliveryStatus, Kind, Notification
from notifications.services import receipt_record
from topics.catalogue import Form
from topics.models import Topic
from topics.records import topic_event

from .data import SEED_REASON_HISTORY

User = get_user_model()

# A one-page PDF; enough for the type check and a download.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

PLAN_TITLE = "青溪镇国土空间总体规划（2026—2035年）镇区部分"
READY_TITLE = "西岭村闲置农房盘活发展民宿方案"
RIVER_TITLE = "青溪溪道综合治理及滨水步道建设"
ROAD_TITLE = "东坑村村道硬化及路灯安装"
SEWER_TITLE = "南塘村生活污水管网接户改造"


def _upload(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf")


def _topic(title: str) -> Topic | None:
    return Topic.objects.filter(title=title).select_related("place").first()


def _fresh(topic: Topic | None) -> bool:
    return topic is not None and not Participant.objects.filter(topic=topic).exists()


def _platform(topic: Topic, kind: str) -> Platform:
    return Platform.objects.get(place=topic.place, kind=kind)


def _receipts(clerk, topic: Topic) -> None:
    """The clerk records the signed receipts of the paper notices."""
    notice = NoticeRound.objects.filter(topic=topic).order_by("-number").first()
    for paper in notice.notification.deliveries.filter(
        channel=Channel.PAPER, status=DeliveryStatus.QUEUED
    ).select_related("person"):
        receipt_record(
            actor=clerk,
            delivery_id=paper.pk,
            signed_by=paper.person.name,
        )


def _prepare_plan_topic(clerk) -> None:
    topic = _topic(PLAN_TITLE)
    if not _fresh(topic):
        return
    starts = (timezone.localtime() + timedelta(days=2)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    services.session_plan(
        actor=clerk,
        topic_id=topic.pk,
        form=Form.T_SEMINAR,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        location="镇政府三楼会议室",
        agenda="一、县规划局介绍规划初稿；二、专家研讨城镇开发边界和工业用地布局；"
        "三、形成咨询意见。",
        host="镇党委副书记",
    )
    services.participants_from_roster(
        actor=clerk,
        topic_id=topic.pk,
        platform_id=_platform(topic, PlatformKind.TOWN_ADVISORY).pk,
    )
    services.participant_add_person(
        actor=clerk,
        topic_id=topic.pk,
        name="县自然资源和规划局规划股",
        category="department",
        organisation="县自然资源和规划局",
    )
    services.participants_gap_explain(
        actor=clerk,
        topic_id=topic.pk,
        reason="本次为专家研讨咨询，委员会委员另以书面征询参与；其余界别在书面征询中覆盖。",
    )
    services.material_upload(
        actor=clerk,
        topic_id=topic.pk,
        upload=_upload("规划初稿说明.pdf"),
        title="国土空间总体规划初稿（镇区部分）说明",
    )
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    _receipts(clerk, topic)


def _prepare_ready_topic(clerk) -> None:
    topic = _topic(READY_TITLE)
    if not _fresh(topic):
        return
    starts = (timezone.localtime() + timedelta(days=9)).replace(
        hour=19, minute=0, second=0, microsecond=0
    )
    services.session_plan(
        actor=clerk,
        topic_id=topic.pk,
        form=Form.V_MEETING,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location="西岭村村委会会议室",
        agenda="一、村委会说明农房流转方案；二、农户和经营户代表发言；"
        "三、逐项协商租金、期限和收益分配。",
        host="西岭村党支部书记",
    )
    services.participants_from_roster(
        actor=clerk,
        topic_id=topic.pk,
        platform_id=_platform(topic, PlatformKind.VILLAGE_COUNCIL).pk,
    )
    for name, organisation in (
        ("西岭民宿经营户代表", "西岭村民宿经营户"),
        ("闲置农房户主代表", "西岭村三组"),
    ):
        services.participant_add_person(
            actor=clerk,
            topic_id=topic.pk,
            name=name,
            category="stakeholder",
            organisation=organisation,
        )
    services.participants_gap_explain(
        actor=clerk,
        topic_id=topic.pk,
        reason="本村议事会无政协委员、统战人士和专业界人士；已邀请镇农业农村办列席。",
    )
    services.material_upload(
        actor=clerk,
        topic_id=topic.pk,
        upload=_upload("农房流转方案.pdf"),
        title="闲置农房流转及民宿运营方案（征求意见稿）",
        is_public=True,
    )
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    _receipts(clerk, topic)


# -- topics seeded in 开展协商: their history


def _seed_event(topic: Topic, record, what: str, **data) -> None:
    topic_event(
        topic,
        actor=None,
        verb="demo_seed",
        record=record,
        reason=SEED_REASON_HISTORY,
        data={"what": what, **data},
    )


def _history_participants(topic: Topic, platform: Platform) -> list[Participant]:
    memberships = Membership.objects.filter(platform=platform).select_related("person")
    participants = [
        Participant.objects.create(
            topic=topic,
            person=m.person,
            category=m.category,
            platform=platform,
            created_at=topic.state_changed_at - timedelta(days=20),
        )
        for m in memberships
    ]
    plan = Plan.objects.create(
        topic=topic,
        gap_reason="名单以平台现任成员为准，缺项界别已另行征求意见。",
        gap_categories=[
            "party_deputy",
            "npc_deputy",
            "cppcc_member",
            "united_front",
            "professional",
            "department",
            "masses",
            "stakeholder",
        ],
    )
    _seed_event(topic, plan, "participants", count=len(participants))
    return participants


def _history_session(topic: Topic, form: str, days_ago: float, **fields) -> Session:
    starts = timezone.now() - timedelta(days=days_ago)
    session = Session.objects.create(
        topic=topic,
        form=form,
        starts_at=starts,
        ends_at=fields.pop("ends_at", starts + timedelta(hours=2)),
        created_at=starts - timedelta(days=10),
        **fields,
    )
    _seed_event(topic, session, "session", form=form)
    return session


def _history_notice(
    topic: Topic, participants, first: Session, *, number: int = 1
) -> None:
    """A round of notices a week before ``first``, naming the topic's sessions
    planned so far (a session planned later needs a round of its own)."""
    sent = first.starts_at - timedelta(days=7)
    sessions = list(Session.objects.filter(topic=topic).order_by("starts_at", "pk"))
    notification = Notification.objects.create(
        key=f"consult:notice:{topic.pk}:{number}",
        kind=Kind.MEETING_NOTICE,
        about=topic,
        subject=f"参会通知：{topic.title}",
        body=first.agenda,
        event_start=first.starts_at,
        event_end=first.ends_at,
        location=first.location,
        created_at=sent,
    )
    Delivery.objects.bulk_create(
        Delivery(
            notification=notification,
            person=p.person,
            channel=Channel.INBOX if p.person.user_id else Channel.PAPER,
            status=DeliveryStatus.READ if p.person.user_id else DeliveryStatus.SENT,
            created_at=sent,
            sent_at=sent,
            read_at=sent + timedelta(hours=3) if p.person.user_id else None,
            receipt_signed_by="" if p.person.user_id else p.person.name,
        )
        for p in participants
    )
    notice = NoticeRound.objects.create(
        topic=topic,
        number=number,
        notification=notification,
        first_starts_at=sessions[0].starts_at,
        sessions=[notice_entry(session) for session in sessions],
        sent_at=sent,
    )
    _seed_event(topic, notice, "notice", recipients=len(participants))


def _history_material(topic: Topic, title: str, name: str) -> None:
    import hashlib

    material = Material.objects.create(
        topic=topic, title=title, created_at=topic.state_changed_at
    )
    version = MaterialVersion(
        material=material,
        topic=topic,
        number=1,
        name=name,
        content_type="application/pdf",
        size=len(DEMO_PDF),
        sha256=hashlib.sha256(DEMO_PDF).hexdigest(),
        uploaded_at=material.created_at,
    )
    version.file.save(name, ContentFile(DEMO_PDF), save=False)
    version.save()
    _seed_event(topic, version, "material", sha256=version.sha256)


def _history_meeting(topic, session, participants, opinions, *, minutes=True):
    Attendance.objects.bulk_create(
        Attendance(
            session=session,
            participant=p,
            status=("present", "present", "present", "leave", "absent")[i % 5],
            recorded_at=session.ends_at,
        )
        for i, p in enumerate(participants)
    )
    if minutes:
        Session.objects.filter(pk=session.pk).update(recorded_at=session.ends_at)
    Opinion.objects.bulk_create(
        Opinion(
            topic=topic,
            source="session",
            session=session,
            participant=participants[i % len(participants)],
            author=participants[i % len(participants)].person,
            author_name=participants[i % len(participants)].person.name,
            content=content,
            kind=kind,
            created_at=session.starts_at + timedelta(minutes=20 * (i + 1)),
        )
        for i, (content, kind) in enumerate(opinions)
    )
    _seed_event(
        topic, session, "record", attendance=len(participants), opinions=len(opinions)
    )


def _river() -> None:
    topic = _topic(RIVER_TITLE)
    if not _fresh(topic):
        return
    committee = Platform.objects.get(
        place=topic.place, kind=PlatformKind.TOWN_COMMITTEE
    )
    participants = _history_participants(topic, committee)
    inspection = _history_session(
        topic,
        Form.T_INSPECTION,
        30,
        location="青溪溪道东坑段至南塘段现场",
        agenda="实地查看淤积河段、破损护岸和拟建步道线路。",
        host="镇党委副书记",
        minutes="委员们沿溪查看了4处淤积河段和2处护岸破损点，听取了水利站情况介绍。",
        consensus="清淤和护岸修复应在汛期前完成。",
    )
    meeting = _history_session(
        topic,
        Form.T_MEETING,
        20,
        location="镇政府三楼会议室",
        agenda="一、项目方案说明；二、委员审议发言；三、形成协商意见。",
        host="镇党委书记",
        minutes="会议听取了项目方案说明，12名委员发言，逐项讨论了征地补偿和步道线路。",
        consensus="同意实施清淤和护岸修复；步道线路尽量避开基本农田。",
        disputed="临时占地补偿标准是否参照县里的最新标准，会后再征求沿岸农户意见。",
    )
    _history_notice(topic, participants, inspection)
    _history_material(topic, "溪道综合治理项目可行性研究报告（摘要）", "可研摘要.pdf")
    _history_meeting(
        topic,
        inspection,
        participants,
        [("南塘段护岸破损严重，建议优先修复。", "suggestion")],
    )
    _history_meeting(
        topic,
        meeting,
        participants,
        [
            ("步道建议采用透水材料，减少对农田排水的影响。", "suggestion"),
            ("临时占地补偿标准偏低，不同意按旧标准执行。", "objection"),
            ("项目资金中镇级配套部分从哪里来？", "question"),
            ("建议施工期间保留沿岸农户的机耕通道。", "suggestion"),
        ],
    )
    # The written consultation of the committee, running now: two thirds have
    # answered, the rest are waiting (the clerk sees who at a glance).
    written = _history_session(
        topic,
        Form.T_WRITTEN,
        3,
        ends_at=timezone.now() + timedelta(days=4),
        agenda="请就滨水步道线路比选方案（甲、乙两案）书面提出意见。",
        host="镇协商办",
    )
    _history_notice(topic, participants, written, number=2)
    answered = participants[: len(participants) * 2 // 3]
    # Answers come in every few hours since it opened, and never after now.
    now = timezone.now()
    spacing = min(timedelta(hours=5), (now - written.starts_at) / (len(answered) + 1))
    Opinion.objects.bulk_create(
        Opinion(
            topic=topic,
            source="written",
            session=written,
            participant=p,
            author=p.person,
            author_name=p.person.name,
            content=("赞成甲案，线路短、占地少。", "赞成乙案，景观效果更好。")[i % 2],
            kind="suggestion",
            created_at=min(written.starts_at + spacing * (i + 1), now),
            updated_at=min(written.starts_at + spacing * (i + 1), now),
        )
        for i, p in enumerate(answered)
    )
    _seed_event(topic, written, "written", answers=len(answered))


def _road() -> None:
    topic = _topic(ROAD_TITLE)
    if not _fresh(topic):
        return
    council = Platform.objects.get(place=topic.place, kind=PlatformKind.VILLAGE_COUNCIL)
    participants = _history_participants(topic, council)
    meeting = _history_session(
        topic,
        Form.V_MEETING,
        2,
        location="东坑村村委会会议室",
        agenda="一、村道硬化和路灯安装方案说明；二、筹资方式；三、占地补偿。",
        host="东坑村党支部书记",
    )
    _history_notice(topic, participants, meeting)
    _history_material(topic, "村道硬化及路灯安装预算表", "预算表.pdf")
    # Held, attendance taken from the sign-in sheet; minutes not yet typed up.
    _history_meeting(topic, meeting, participants, [], minutes=False)


def _sewer() -> None:
    topic = _topic(SEWER_TITLE)
    if not _fresh(topic):
        return
    council = Platform.objects.get(place=topic.place, kind=PlatformKind.VILLAGE_COUNCIL)
    participants = _history_participants(topic, council)
    meeting = _history_session(
        topic,
        Form.V_MEETING,
        25,
        location="南塘村文化礼堂",
        agenda="一、污水管网接户方案说明；二、户内改造费用分担；三、管线走向。",
        host="南塘村党支部书记",
        minutes="村民代表就费用分担和管线经过宅基地、鱼塘的问题充分讨论。",
        consensus="户内改造费用村集体承担六成、农户承担四成。",
        disputed="经过鱼塘的管线是否需要补偿，待网上协商后再定。",
    )
    _history_notice(topic, participants, meeting)
    _history_material(topic, "污水管网接户改造方案", "接户方案.pdf")
    _history_meeting(
        topic,
        meeting,
        participants,
        [
            ("困难户的四成费用建议由村里再减免。", "suggestion"),
            ("管线经过鱼塘要赔偿鱼苗损失。", "objection"),
        ],
    )
    online = _history_session(
        topic,
        Form.V_ONLINE,
        5,
        ends_at=timezone.now() + timedelta(days=5),
        agenda="管线经过鱼塘的处理办法，欢迎村民留言。",
        host="南塘村村委会",
    )
    _history_notice(topic, participants, online, number=2)
    residents = list(
        User.objects.filter(
            role_grants__place=topic.place, role_grants__role="resident"
        ).order_by("username")
    )
    comments = [
        ("建议管线沿鱼塘塘埂铺设，不影响养鱼。", False, ""),
        ("<b>加我微信，低价承接管道工程</b>", True, "广告，与议题无关"),
        ("施工请避开鱼苗投放的三月份。", False, ""),
    ]
    for i, (content, hidden, reason) in enumerate(comments):
        author = residents[i % len(residents)] if residents else None
        opinion = Opinion.objects.create(
            topic=topic,
            source="online",
            session=online,
            author=Person.objects.filter(user=author).first() if author else None,
            author_name=(author.get_full_name() or author.username)
            if author
            else "村民",
            content=content,
            submitted_by=author,
            is_hidden=hidden,
            hidden_reason=reason,
            created_at=online.starts_at + timedelta(days=i + 1),
        )
        if hidden:
            topic_event(
                topic,
                actor=None,
                verb="opinion_hide",
                record=opinion,
                before={"is_hidden": False},
                after={"is_hidden": True},
                reason=reason,
            )
    _seed_event(topic, online, "online", comments=len(comments))


def seed_consult(users: dict) -> None:
    """Give the demo topics of steps 2 and 3 their records; idempotent."""
    with transaction.atomic():
        _prepare_plan_topic(users["town_clerk"])
        _prepare_ready_topic(users["v2_clerk"])
        _river()
        _road()
        _sewer()
