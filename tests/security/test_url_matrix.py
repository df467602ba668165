"""Every URL × every role × own/other place: the status each one gets.

The table is checked against the URL configuration itself (``get_resolver()``),
so a new URL without a row fails ``test_every_url_has_a_row`` naming it.

Adding a URL is one line in ``TABLE``: the URL name, the method, the target it
needs (a builder in ``TARGETS``, which makes the object at the own or the other
place and returns the URL's kwargs), then the status per role in the column
order of ``ROLES`` for the own place and, for URLs about an object, for the
other place. "own" is a place the role works at (a village of a township
role's township); "other" is a village of another township.

A POST row sends the ``data`` its builder returns (ids of the objects it made)
merged with the row's own ``data`` (the fields a valid request fills in; a
callable value is called per request, for files and dates), so a refusal is the
gate's and not the form's.

Statuses: 200 shown, 302 redirected (to the login page for anonymous users,
or back after a POST), 403 refused to a role that sees the object, 404 for
what the role may not see, 405 wrong method.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from committees.models import Membership, Role
from committees.services import person_for_user
from consult import services as consult
from feedback import services as feedback
from feedback.models import Disposition, Outcome
from notifications.models import Channel, Delivery, DeliveryStatus, Notification
from tests.factories import (
    OpinionFactory,
    ParticipantFactory,
    PersonFactory,
    PlatformFactory,
    SessionFactory,
    TopicFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)
from tests.feedback.conftest import add_opinions, add_participants
from tests.feedback.helpers import dispose_all, png, run_notice, to_feedback
from topics.catalogue import Category
from topics.states import State

pytestmark = pytest.mark.django_db

# Column order of every row.
ROLES = (
    "anonymous",
    Role.RESIDENT,
    Role.MEMBER,
    Role.VILLAGE_CLERK,
    Role.VILLAGE_SECRETARY,
    Role.TOWNSHIP_CLERK,
    Role.TOWNSHIP_DEPUTY,
    Role.TOWNSHIP_SECRETARY,
    Role.ADMINISTRATOR,
    "superuser",
)
VILLAGE_ROLES = {Role.RESIDENT, Role.MEMBER, Role.VILLAGE_CLERK, Role.VILLAGE_SECRETARY}

# Namespaces checked as a whole through one of their URLs: the admin guards
# every page of its own with the same staff check.
WHOLE_NAMESPACES = {"admin": "admin:index"}


@dataclass
class World:
    township: object
    village: object
    other_village: object
    user: object  # the requesting user (None for anonymous)
    identity: str = ""  # a column of IDENTITIES, when the user is one

    def place(self, scope: str):
        return self.village if scope == "own" else self.other_village


def _invitee(world: World, scope: str, identity: str):
    """The person a builder invites (``participant``) or makes responsible
    (``responsible``): the requesting user when they are that identity."""
    if scope == "own" and world.identity == identity:
        return person_for_user(world.user)
    return PersonFactory(place=world.place(scope))


def _join(world: World, scope: str, topic) -> None:
    """The participant identity takes part in every topic made at its place."""
    if scope == "own" and world.identity == "participant":
        ParticipantFactory(topic=topic, person=person_for_user(world.user))


def _recipient(world: World, scope: str):
    """Own: the requesting user; other: someone else."""
    if scope == "own" and world.user is not None:
        return person_for_user(world.user)
    return person_for_user(UserFactory())


def _notice(world: World, scope: str, **fields) -> Notification:
    topic = TopicFactory(place=world.place(scope), state=State.PREPARING)
    return Notification.objects.create(
        key=f"matrix-{topic.pk}-{scope}",
        kind="topic_submitted",
        about=topic,
        subject="通知",
        body="正文",
        **fields,
    )


def _delivery(
    world: World, scope: str, channel: str, status=DeliveryStatus.SENT, **notice_fields
) -> Delivery:
    return Delivery.objects.create(
        notification=_notice(world, scope, **notice_fields),
        person=_recipient(world, scope),
        channel=channel,
        status=status,
    )


# -- consult: a topic in 协商准备 or 开展协商 at the own or the other place, set up
# by its village clerk through the services where a real state matters.

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00"
    b"\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _pdf():
    return SimpleUploadedFile("方案.pdf", PDF, content_type="application/pdf")


def _png():
    return SimpleUploadedFile("签到表.png", PNG, content_type="image/png")


def _local(days: float) -> str:
    """A datetime-local form value ``days`` from now."""
    moment = timezone.localtime() + timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M")


def _today() -> str:
    return datetime.date.today().isoformat()


def _clerk(place):
    return user_with_role(Role.VILLAGE_CLERK, place)


def _preparing(world, scope):
    """协商准备: a planned meeting, one participant (a list lacking categories),
    a roster to invite from, a paper notice to sign for, a stored material."""
    place = world.place(scope)
    clerk = _clerk(place)
    topic = TopicFactory(place=place, state=State.PREPARING)
    session = consult.session_plan(
        actor=clerk,
        topic_id=topic.pk,
        form="v_meeting",
        starts_at=timezone.now() + timedelta(days=10),
        ends_at=timezone.now() + timedelta(days=10, hours=2),
        location="村委会会议室",
        agenda="方案说明，逐项协商。",
        host="李书记",
    )
    participant = ParticipantFactory(
        topic=topic, person=_invitee(world, scope, "participant")
    )
    platform = PlatformFactory(place=place, kind="village_council")
    Membership.objects.create(
        platform=platform,
        person=PersonFactory(),
        category="merchant",
        term_start=timezone.localdate() - timedelta(days=100),
    )
    notice = Notification.objects.create(
        key=f"matrix-consult-{topic.pk}",
        kind="meeting_notice",
        about=topic,
        subject="参会通知",
        body="正文",
    )
    delivery = Delivery.objects.create(
        notification=notice,
        person=participant.person,
        channel=Channel.PAPER,
        status=DeliveryStatus.QUEUED,
    )
    version = consult.material_upload(actor=clerk, topic_id=topic.pk, upload=_pdf())
    data = {
        "participant": participant.pk,
        "platform": platform.pk,
        "delivery": delivery.pk,
    }
    return {"topic_id": topic.pk, "session": session, "version": version, "data": data}


def _prep_topic(world, scope):
    built = _preparing(world, scope)
    return {"topic_id": built["topic_id"], "data": built["data"]}


def _consulting(world, scope, form="v_meeting"):
    """开展协商: a session under way (started an hour ago, open for another)."""
    topic = TopicFactory(place=world.place(scope), state=State.CONSULTING)
    session = SessionFactory(
        topic=topic,
        form=form,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    participant = ParticipantFactory(
        topic=topic, person=_invitee(world, scope, "participant")
    )
    return session, {"session_id": session.pk, "data": {"participant": participant.pk}}


def _session(form):
    return lambda world, scope: _consulting(world, scope, form)[1]


def _online_comment(world, scope):
    session, target = _consulting(world, scope, "v_online")
    opinion = OpinionFactory(topic=session.topic, session=session, source="online")
    target["data"]["opinion"] = opinion.pk
    return target


def _photo(world, scope):
    session, _target = _consulting(world, scope)
    clerk = _clerk(session.topic.place)
    photo = consult.photo_upload(actor=clerk, session_id=session.pk, upload=_png())
    return {"photo_id": photo.pk}


def _draft(world, scope):
    return {"pk": TopicFactory(place=world.place(scope), state=State.DRAFT).pk}


def _topic_id(world, scope):
    return {"topic_id": TopicFactory(place=world.place(scope)).pk}


# -- feedback: a topic in 成果落实 or 结果反馈 at the own or the other place, its
# records written by its village clerk through the services (tests/feedback).


def _adopting(world, scope):
    """成果落实: opinions with themes, one not adopted (to explain); a category
    the law puts to a statutory vote."""
    place = world.place(scope)
    clerk = _clerk(place)
    topic = TopicFactory(place=place, state=State.ADOPTING, category=Category.V4)
    add_participants(topic, 2)
    first, _second = add_opinions(topic, 2)
    _join(world, scope, topic)
    dispose_all(topic, clerk)
    feedback.disposition_set(
        actor=clerk,
        topic_id=topic.pk,
        opinion_id=first.pk,
        theme="道路",
        outcome=Outcome.NOT_ADOPTED,
        reason="与村庄规划不符。",
    )
    disposition = Disposition.objects.get(opinion=first)
    data = {"opinion_id": first.pk, "disposition_id": disposition.pk}
    return {"topic_id": topic.pk, "data": data}


def _in_feedback(world, scope):
    """结果反馈: step 4 done, a task, a running 公示 with a posted photo and a
    resident's response not yet answered."""
    place = world.place(scope)
    clerk = _clerk(place)
    secretary = user_with_role(Role.VILLAGE_SECRETARY, place)
    topic = TopicFactory(place=place, state=State.ADOPTING, category=Category.V2)
    add_participants(topic, 2)
    add_opinions(topic, 2)
    _join(world, scope, topic)
    to_feedback(topic, clerk, secretary)
    person = _invitee(world, scope, "responsible")
    task = feedback.task_create(
        actor=clerk,
        topic_id=topic.pk,
        description="组织施工",
        responsible_id=person.pk,
        deadline=timezone.localdate() + timedelta(days=10),
    )
    notice = run_notice(topic, clerk)
    photo = feedback.public_notice_photo_add(
        actor=clerk, notice_id=notice.pk, upload=png()
    )
    report = feedback.progress_report(
        actor=clerk,
        task_id=task.pk,
        percent=10,
        reported_on=timezone.localdate(),
        note="已备料。",
        files=[png()],
    )
    response = feedback.response_submit(
        actor=user_with_role(Role.RESIDENT, place),
        public_id=notice.public_id,
        kind="objection",
        content="工期太长。",
    )
    return {
        "topic": topic,
        "task": task,
        "notice": notice,
        "photo": photo,
        "progress_file": report.attachments.get(),
        "response": response,
        "data": {"places": place.pk, "responsible": person.pk},
    }


def _dossier(world, scope):
    """A topic at the place with a finished export, and a bulk export of its
    township."""
    from django.core.files.base import ContentFile

    from dossier.models import BulkExport, DossierExport, ExportStatus

    place = world.place(scope)
    topic = TopicFactory(place=place, state=State.ARCHIVED)
    export = DossierExport(
        topic=topic, head_count=0, head_hash="", status=ExportStatus.DONE
    )
    export.file.save("d.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    export.save()
    bulk = BulkExport(place=place.parent, year=2026, status=ExportStatus.DONE)
    bulk.file.save("d.zip", ContentFile(b"PK"), save=False)
    bulk.save()
    return {"topic_id": topic.pk, "export_id": export.pk, "bulk_id": bulk.pk}


def _fb(*keys):
    """Kwargs of a topic in 结果反馈: (kwarg, object, attribute) picked per row."""

    def build(world, scope):
        built = _in_feedback(world, scope)
        kwargs = {kwarg: getattr(built[obj], attr) for kwarg, obj, attr in keys}
        return {**kwargs, "data": built["data"]}

    return build


TARGETS: dict[str, Callable[[World, str], dict]] = {
    "none": lambda world, scope: {},
    "draft": _draft,
    "submit_draft": lambda world, scope: {**_draft(world, scope), "action": "submit"},
    "topic_id": _topic_id,
    "topic_subject": lambda world, scope: {
        "label": "topic",
        "pk": _topic_id(world, scope)["topic_id"],
    },
    "inbox_delivery": lambda world, scope: {
        "delivery_id": _delivery(world, scope, Channel.INBOX).pk
    },
    "event_delivery": lambda world, scope: {
        "delivery_id": _delivery(
            world, scope, Channel.INBOX, event_start=timezone.now()
        ).pk
    },
    "paper_delivery": lambda world, scope: {
        # Printed and not yet signed for: the receipt is still to be recorded.
        "delivery_id": _delivery(
            world, scope, Channel.PAPER, status=DeliveryStatus.QUEUED
        ).pk
    },
    "notice": lambda world, scope: {"notification_id": _notice(world, scope).pk},
    "preparing": _prep_topic,
    "planned_session": lambda world, scope: {
        "session_id": _preparing(world, scope)["session"].pk
    },
    "material": lambda world, scope: {
        "version_id": _preparing(world, scope)["version"].pk
    },
    "meeting": _session("v_meeting"),
    "written": _session("v_written"),
    "online": _online_comment,
    "photo": _photo,
    "adopting": _adopting,
    "fb_topic": _fb(("topic_id", "topic", "pk")),
    "fb_task": _fb(("task_id", "task", "pk")),
    "fb_notice": _fb(("notice_id", "notice", "pk")),
    "fb_response": _fb(("response_id", "response", "pk")),
    "fb_attachment": _fb(("attachment_id", "photo", "pk")),
    "fb_progress_file": _fb(("attachment_id", "progress_file", "pk")),
    "dossier_topic": lambda w, s: {"topic_id": _dossier(w, s)["topic_id"]},
    "dossier_export": lambda w, s: {"export_id": _dossier(w, s)["export_id"]},
    "dossier_bulk": lambda w, s: {"bulk_id": _dossier(w, s)["bulk_id"]},
    "fb_public": _fb(("public_id", "notice", "public_id")),
    "fb_public_topic": _fb(("topic_id", "notice", "topic_id")),
    "fb_public_file": _fb(
        ("public_id", "notice", "public_id"), ("attachment_id", "photo", "pk")
    ),
}


@dataclass(frozen=True)
class Row:
    method: str
    target: str
    own: str
    other: str | None = None
    data: dict = field(default_factory=dict)


RECEIPT = {"signed_by": "张三", "signed_on": _today}
SESSION = {
    "form": "v_meeting",
    "starts_at": lambda: _local(12),
    "ends_at": lambda: _local(12.1),
    "location": "村委会会议室",
    "agenda": "方案说明，逐项协商。",
    "host": "李书记",
}
VOTE = {
    "kind": "villager_reps",
    "held_on": _today,
    "entitled": 30,
    "present": 25,
    "in_favour": 20,
    "against": 4,
    "abstain": 1,
}
RESPONSE = {"kind": "opinion", "content": "支持。"}
NOTICE = {
    "subject": "progress",
    "title": "关于落实进展的公示",
    "body": "进展如下……",
    "starts_at": lambda: _local(1),
    "ends_at": lambda: _local(8),
}

#                                                 anon res mem vc  vs  tc  td  ts  adm su
TABLE: dict[str, Row] = {
    "dashboard": Row("GET", "none",                "302 200 200 200 200 200 200 200 200 200"),
    "favicon": Row("GET", "none",                  "200 200 200 200 200 200 200 200 200 200"),
    "healthz": Row("GET", "none",                  "200 200 200 200 200 200 200 200 200 200"),
    "login": Row("GET", "none",                    "200 302 302 302 302 302 302 302 302 302"),
    "logout": Row("POST", "none",                  "302 302 302 302 302 302 302 302 302 302"),
    "set_language": Row("POST", "none",            "302 302 302 302 302 302 302 302 302 302"),
    "admin:index": Row("GET", "none",              "302 302 302 302 302 302 302 302 302 200"),
    "topics:list": Row("GET", "none",              "302 200 200 200 200 200 200 200 200 200"),
    "topics:create": Row("GET", "none",            "302 403 403 200 200 200 200 200 403 403"),
    "topics:detail": Row("GET", "draft",           "302 404 404 200 200 200 200 200 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    "topics:edit": Row("GET", "draft",             "302 404 404 200 200 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404"),
    "topics:act": Row("POST", "submit_draft",      "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"state": "draft"}),
    "notifications:inbox": Row("GET", "none",      "302 200 200 200 200 200 200 200 200 200"),
    "notifications:mark_all_read": Row("POST", "none", "302 302 302 302 302 302 302 302 302 302"),
    "notifications:preferences": Row("GET", "none", "302 200 200 200 200 200 200 200 200 200"),
    "notifications:mark_read": Row("POST", "inbox_delivery", "302 302 302 302 302 302 302 302 302 302", other="302 404 404 404 404 404 404 404 404 404"),
    "notifications:ics": Row("GET", "event_delivery", "302 200 200 200 200 200 200 200 200 200", other="302 404 404 404 404 404 404 404 404 404"),
    "notifications:print": Row("GET", "notice",    "302 404 404 200 200 404 404 404 404 404", other="302 404 404 404 404 404 404 404 404 404"),
    "notifications:receipt": Row("POST", "paper_delivery", "302 404 404 302 302 404 404 404 404 404", other="302 404 404 404 404 404 404 404 404 404", data=RECEIPT),
    "notifications:subject_deliveries": Row("GET", "topic_subject", "302 404 404 200 200 404 404 404 404 404", other="302 404 404 404 404 404 404 404 404 404"),
    "notifications:topic_deliveries": Row("GET", "topic_id", "302 404 404 200 200 404 404 404 404 404", other="302 404 404 404 404 404 404 404 404 404"),
    "consult:mine": Row("GET", "none",             "302 200 200 200 200 200 200 200 200 200"),
    "consult:prepare": Row("GET", "preparing",     "302 404 404 200 200 200 200 200 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    "consult:sessions": Row("GET", "preparing",    "302 404 404 200 200 200 200 200 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    "consult:session_add": Row("POST", "preparing", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data=SESSION),
    "consult:roster_add": Row("POST", "preparing", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404"),
    "consult:person_add": Row("POST", "preparing", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"name": "赵六", "category": "masses"}),
    "consult:participant_remove": Row("POST", "preparing", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404"),
    "consult:gap_explain": Row("POST", "preparing", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"reason": "本村暂无相关界别人员。"}),
    "consult:meeting_notice_send": Row("POST", "preparing", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404"),
    "consult:meeting_notice_receipt": Row("POST", "preparing", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data=RECEIPT),
    "consult:material_upload": Row("POST", "preparing", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"title": "方案", "file": _pdf}),
    "consult:material_send": Row("POST", "preparing", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404"),
    "consult:pre_opinion": Row("POST", "preparing", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"content": "建议增加路灯。", "kind": "suggestion"}),
    # A material not made public: anonymous users are sent to log in.
    "consult:material_download": Row("GET", "material", "302 404 404 200 200 200 200 200 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    "consult:session_edit": Row("POST", "planned_session", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data=SESSION),
    "consult:session": Row("GET", "meeting",       "302 404 404 200 200 200 200 200 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    "consult:attendance": Row("POST", "meeting",   "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"status": "present"}),
    "consult:record": Row("POST", "meeting",       "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"minutes": "会议纪要。"}),
    "consult:opinion_add": Row("POST", "meeting",  "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"content": "建议增加路灯。", "kind": "suggestion"}),
    "consult:photo_add": Row("POST", "meeting",    "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"file": _png}),
    "consult:photo_download": Row("GET", "photo",  "302 404 404 200 200 200 200 200 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    "consult:written_send": Row("POST", "written", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404"),
    "consult:written_answer": Row("POST", "written", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"content": "建议增加路灯。", "kind": "suggestion"}),
    "consult:close": Row("POST", "written",        "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404"),
    # Online: residents and members of the place comment; the clerks who see
    # it moderate.
    "consult:comment": Row("POST", "online",       "302 302 302 403 403 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"content": "支持。"}),
    "consult:hide": Row("POST", "online",          "302 403 403 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"reason": "与议题无关。"}),
    # feedback, step 4 (成果落实): the village clerk and secretary record; the
    # township and the administrator read.
    "feedback:adopt": Row("GET", "adopting",      "302 404 404 200 200 200 200 200 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    "feedback:disposition": Row("POST", "adopting", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"theme": "道路", "outcome": "adopted", "reason": "符合规划。"}),
    "feedback:compile": Row("POST", "adopting",   "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"summary": "意见集中在道路。"}),
    "feedback:explanation": Row("POST", "adopting", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"explained_by": "村主任", "explained_on": _today, "method": "face", "note": "上门说明。"}),
    "feedback:decision": Row("POST", "adopting",  "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"meeting_date": _today, "attendees": "书记、主任", "plan": "加宽至 5 米。"}),
    "feedback:vote_mark": Row("POST", "adopting", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"reason": "涉及集体资产。"}),
    "feedback:vote": Row("POST", "adopting",      "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data=VOTE),
    # feedback, step 5 (结果反馈): 跟踪督办 is the township's; notes are written by
    # who records or supervises.
    "feedback:implement": Row("GET", "fb_topic",  "302 404 404 200 200 200 200 200 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    "feedback:task_create": Row("POST", "fb_topic", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"description": "修补路面", "deadline": lambda: (timezone.localdate() + timedelta(days=5)).isoformat()}),
    "feedback:progress": Row("POST", "fb_task",   "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"percent": 50, "reported_on": _today, "note": "按计划推进。"}),
    "feedback:task_close": Row("POST", "fb_task", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"reason": "方案调整。"}),
    "feedback:supervise": Row("POST", "fb_task",  "302 404 404 403 403 302 302 302 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"note": "请按期完成。"}),
    "feedback:public_notice_create": Row("POST", "fb_topic", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data=NOTICE),
    "feedback:public_notice_withdraw": Row("POST", "fb_notice", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"reason": "内容有误。"}),
    "feedback:public_notice_cover_progress": Row("POST", "fb_notice", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404"),
    "feedback:public_notice_photo_add": Row("POST", "fb_notice", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"file": png}),
    "feedback:response_answer": Row("POST", "fb_response", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"answer": "按法定程序办理。"}),
    "feedback:response_spam": Row("POST", "fb_response", "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"reason": "与公示无关的广告。"}),
    # Every account has the page; it lists the tasks the account is responsible for.
    "feedback:my_tasks": Row("GET", "none",       "302 200 200 200 200 200 200 200 200 200"),
    "feedback:bulletin": Row("POST", "fb_topic",  "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404"),
    "feedback:note": Row("POST", "fb_topic",      "302 404 404 302 302 302 302 302 403 404", other="302 404 404 404 404 404 404 404 404 404", data={"text": "补充说明。"}),
    "feedback:attachment": Row("GET", "fb_attachment", "302 404 404 200 200 200 200 200 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    # 公示 pages: public without an account; residents and members of the places
    # a 公示 covers respond, anyone else is told why not.
    "public_notices": Row("GET", "none",          "200 200 200 200 200 200 200 200 200 200"),
    "public_topic_notices": Row("GET", "fb_public_topic", "200 200 200 200 200 200 200 200 200 200", other="200 200 200 200 200 200 200 200 200 200"),
    "public_notice": Row("GET", "fb_public",      "200 200 200 200 200 200 200 200 200 200", other="200 200 200 200 200 200 200 200 200 200"),
    "public_notice_print": Row("GET", "fb_public", "200 200 200 200 200 200 200 200 200 200", other="200 200 200 200 200 200 200 200 200 200"),
    "public_notice_file": Row("GET", "fb_public_file", "200 200 200 200 200 200 200 200 200 200", other="200 200 200 200 200 200 200 200 200 200"),
    "public_notice_respond": Row("POST", "fb_public", "302 302 302 403 403 403 403 403 403 403", other="302 403 403 403 403 403 403 403 403 403", data=RESPONSE),
    # 一事一档: the administrator exports and downloads; anyone may verify a file.
    "dossier:export": Row("POST", "dossier_topic", "302 404 404 404 404 404 404 404 302 404", other="302 404 404 404 404 404 404 404 404 404"),
    "dossier:status": Row("GET", "dossier_export", "302 404 404 404 404 404 404 404 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    "dossier:download": Row("GET", "dossier_export", "302 404 404 404 404 404 404 404 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    "dossier:bulk": Row("GET", "none", "302 404 404 404 404 404 404 404 200 404"),
    "dossier:bulk_status": Row("GET", "dossier_bulk", "302 404 404 404 404 404 404 404 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    "dossier:bulk_download": Row("GET", "dossier_bulk", "302 404 404 404 404 404 404 404 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    "dossier:verify": Row("GET", "none", "200 200 200 200 200 200 200 200 200 200"),
}  # fmt: skip


def url_names(patterns=None, namespace: str = "") -> tuple[set[str], list[str]]:
    """Every URL name in the configuration, and the patterns that have none."""
    names: set[str] = set()
    unnamed: list[str] = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if entry.namespace and entry.namespace in WHOLE_NAMESPACES:
                names.add(WHOLE_NAMESPACES[entry.namespace])
                continue
            more, nameless = url_names(entry.url_patterns, inner)
            names |= more
            unnamed += nameless
        elif isinstance(entry, URLPattern):
            if entry.name:
                names.add(f"{namespace}{entry.name}")
            else:
                unnamed.append(f"{namespace}{entry.pattern}")
    return names, unnamed


def test_every_url_has_a_row():
    names, unnamed = url_names()
    missing = sorted(names - set(TABLE))
    stale = sorted(set(TABLE) - names)
    assert not unnamed, f"URL patterns without a name (name them): {unnamed}"
    assert not missing, (
        "URLs without a row in tests/security/test_url_matrix.py TABLE: "
        + ", ".join(missing)
    )
    assert not stale, f"TABLE rows for URLs that no longer exist: {stale}"


def test_every_row_is_well_formed():
    for name, row in TABLE.items():
        assert row.target in TARGETS, name
        assert len(row.own.split()) == len(ROLES), name
        if row.other is not None:
            assert len(row.other.split()) == len(ROLES), name
        takes_object = row.target != "none"
        assert (row.other is not None) == takes_object, (
            f"{name}: a URL about an object needs an 'other' place column"
        )


def _cases():
    for name, row in TABLE.items():
        for scope, statuses in (("own", row.own), ("other", row.other)):
            if statuses is None:
                continue
            for role, status in zip(ROLES, statuses.split(), strict=True):
                yield pytest.param(
                    name, role, scope, int(status), id=f"{name}-{role}-{scope}"
                )


def _world(role: str) -> World:
    township = TownshipFactory()
    village = VillageFactory(parent=township)
    other_village = VillageFactory(parent=TownshipFactory())
    if role == "anonymous":
        user = None
    elif role == "superuser":
        user = UserFactory(is_staff=True, is_superuser=True)
    else:
        user = user_with_role(role, village if role in VILLAGE_ROLES else township)
    return World(township, village, other_village, user)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _sessions_notified(monkeypatch):
    """The table asks the gate, not the lead-time rule of §六.2 (tested in
    tests/consult): the sessions it builds count as notified in time."""
    from consult.services import sessions

    monkeypatch.setattr(sessions, "_notified", lambda session: None)


@pytest.mark.parametrize(("name", "role", "scope", "expected"), list(_cases()))
def test_status(name, role, scope, expected):
    row = TABLE[name]
    world = _world(role)
    kwargs = TARGETS[row.target](world, scope)
    data = {**kwargs.pop("data", {}), **row.data}
    data = {key: value() if callable(value) else value for key, value in data.items()}
    url = reverse(name, kwargs=kwargs or None)
    client = Client(raise_request_exception=False)
    if world.user is not None:
        client.force_login(world.user)
    response = client.post(url, data) if row.method == "POST" else client.get(url)
    assert response.status_code == expected, (
        f"{row.method} {url} as {role} ({scope} place): "
        f"{response.status_code}, table says {expected}"
    )


# -- identities inside a place (issue 16): who takes part, who is responsible,
# whose village a 公示 covers. Each request is about an object at the own
# place (the village); "township2" is the clerk of a second township.
#
#   participant    a member invited to the topic (a participant record)
#   responsible    a member who is the responsible person of the topic's task
#   resident_here  a resident of the village (the 公示's place)
#   resident_next  a resident of another village of the same township
#   township2      the clerk of another township

IDENTITIES = (
    "participant",
    "responsible",
    "resident_here",
    "resident_next",
    "township2",
)

# The row of TABLE names the method, target and data; a key with " | " names a
# URL checked against another target than its row's.
#                                                        par res here next tw2
IDENTITY_TABLE: dict[str, str] = {
    "dashboard":                                         "200 200 200 200 200",
    "consult:mine":                                      "200 200 200 200 200",
    "feedback:my_tasks":                                 "200 200 200 200 200",
    "topics:detail":                                     "404 404 404 404 404",
    "notifications:print":                               "404 404 404 404 404",
    "consult:prepare":                                   "200 404 404 404 404",
    "consult:sessions":                                  "200 404 404 404 404",
    "consult:session_add":                               "403 404 404 404 404",
    "consult:roster_add":                                "403 404 404 404 404",
    "consult:person_add":                                "403 404 404 404 404",
    "consult:participant_remove":                        "403 404 404 404 404",
    "consult:gap_explain":                               "403 404 404 404 404",
    "consult:meeting_notice_send":                       "403 404 404 404 404",
    "consult:meeting_notice_receipt":                    "403 404 404 404 404",
    "consult:material_upload":                           "403 404 404 404 404",
    "consult:material_send":                             "403 404 404 404 404",
    "consult:pre_opinion":                               "302 404 404 404 404",
    "consult:material_download":                         "200 404 404 404 404",
    "consult:session_edit":                              "403 404 404 404 404",
    "consult:session":                                   "200 404 404 404 404",
    "consult:attendance":                                "403 404 404 404 404",
    "consult:record":                                    "403 404 404 404 404",
    "consult:opinion_add":                               "403 404 404 404 404",
    "consult:photo_add":                                 "403 404 404 404 404",
    # Sign-in sheets show residents' signatures: staff only, as on the page.
    "consult:photo_download":                            "404 404 404 404 404",
    "consult:written_send":                              "403 404 404 404 404",
    "consult:written_answer":                            "302 404 404 404 404",
    "consult:close":                                     "403 404 404 404 404",
    "consult:comment":                                   "302 302 302 404 404",
    "consult:hide":                                      "403 403 403 404 404",
    "feedback:adopt":                                    "404 404 404 404 404",
    "feedback:disposition":                              "404 404 404 404 404",
    "feedback:compile":                                  "404 404 404 404 404",
    "feedback:explanation":                              "404 404 404 404 404",
    "feedback:decision":                                 "404 404 404 404 404",
    "feedback:vote_mark":                                "404 404 404 404 404",
    "feedback:vote":                                     "404 404 404 404 404",
    # The responsible person works from their own page, not the staff's.
    "feedback:implement":                                "404 404 404 404 404",
    "feedback:task_create":                              "404 404 404 404 404",
    "feedback:progress":                                 "404 302 404 404 404",
    "feedback:task_close":                               "404 404 404 404 404",
    "feedback:supervise":                                "404 404 404 404 404",
    "feedback:public_notice_create":                     "404 404 404 404 404",
    "feedback:public_notice_withdraw":                   "404 404 404 404 404",
    "feedback:public_notice_cover_progress":             "404 404 404 404 404",
    "feedback:public_notice_photo_add":                  "404 404 404 404 404",
    "feedback:response_answer":                          "404 404 404 404 404",
    "feedback:response_spam":                            "404 404 404 404 404",
    "feedback:bulletin":                                 "404 404 404 404 404",
    "feedback:note":                                     "404 404 404 404 404",
    "feedback:attachment":                               "404 404 404 404 404",
    "feedback:attachment | fb_progress_file":            "404 200 404 404 404",
    "public_notices":                                    "200 200 200 200 200",
    "public_topic_notices":                              "200 200 200 200 200",
    "public_notice":                                     "200 200 200 200 200",
    "public_notice_print":                               "200 200 200 200 200",
    "public_notice_file":                                "200 200 200 200 200",
    "public_notice_respond":                             "302 302 302 403 403",
}  # fmt: skip

# The URLs of steps 2-5 each have an identity row.
IDENTITY_PREFIXES = ("consult:", "feedback:", "public_")


def test_every_step_url_has_an_identity_row():
    names, _unnamed = url_names()
    wanted = {name for name in names if name.startswith(IDENTITY_PREFIXES)}
    listed = {key.split(" | ")[0] for key in IDENTITY_TABLE}
    assert not wanted - listed, f"URLs without an identity row: {wanted - listed}"
    assert listed <= names, f"identity rows for unknown URLs: {listed - names}"
    for key, statuses in IDENTITY_TABLE.items():
        assert len(statuses.split()) == len(IDENTITIES), key
        target = key.split(" | ")[1] if " | " in key else None
        assert target is None or target in TARGETS, key


def _identity_cases():
    for key, statuses in IDENTITY_TABLE.items():
        for identity, status in zip(IDENTITIES, statuses.split(), strict=True):
            yield pytest.param(key, identity, int(status), id=f"{key}-{identity}")


def _identity_world(identity: str) -> World:
    township = TownshipFactory()
    village = VillageFactory(parent=township)
    other_village = VillageFactory(parent=TownshipFactory())
    user = {
        "participant": lambda: user_with_role(Role.MEMBER, village),
        "responsible": lambda: user_with_role(Role.MEMBER, village),
        "resident_here": lambda: user_with_role(Role.RESIDENT, village),
        "resident_next": lambda: user_with_role(
            Role.RESIDENT, VillageFactory(parent=township)
        ),
        "township2": lambda: user_with_role(Role.TOWNSHIP_CLERK, TownshipFactory()),
    }[identity]()
    return World(township, village, other_village, user, identity)


@pytest.mark.parametrize(("key", "identity", "expected"), list(_identity_cases()))
def test_identity_status(key, identity, expected):
    name, _sep, target = key.partition(" | ")
    row = TABLE[name]
    world = _identity_world(identity)
    kwargs = TARGETS[target or row.target](world, "own")
    data = {**kwargs.pop("data", {}), **row.data}
    data = {key: value() if callable(value) else value for key, value in data.items()}
    url = reverse(name, kwargs=kwargs or None)
    client = Client(raise_request_exception=False)
    client.force_login(world.user)
    response = client.post(url, data) if row.method == "POST" else client.get(url)
    assert response.status_code == expected, (
        f"{row.method} {url} as {identity}: "
        f"{response.status_code}, table says {expected}"
    )
