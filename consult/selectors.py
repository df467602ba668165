"""Reads of consult's records, each in a constant number of queries."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from committees.models import MemberCategory, Platform, missing_categories
from notifications.models import Channel, Delivery, DeliveryStatus
from topics.models import Topic

from .corrected import CurrentAttendance, current_records
from .evidence import notice_status
from .models import (
    AttendanceStatus,
    Material,
    MaterialVersion,
    Opinion,
    Participant,
    Plan,
    Session,
    SignInPhoto,
)


def topic_opinions(topic_ids: Iterable[int]) -> QuerySet[Opinion]:
    """The opinions that count for these topics: never the hidden ones."""
    return (
        Opinion.objects.filter(topic_id__in=list(topic_ids), is_hidden=False)
        .select_related("author", "session", "participant__person")
        .order_by("topic_id", "created_at", "pk")
    )


def topic_participants(topic_ids: Iterable[int]) -> QuerySet[Participant]:
    return (
        Participant.objects.filter(topic_id__in=list(topic_ids))
        .select_related("person")
        .order_by("topic_id", "category", "name", "pk")
    )


def participant_topic_ids(user) -> set[int]:
    """The topics the user is invited to through a participant record."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return set(
        Participant.objects.filter(person__user=user).values_list("topic_id", flat=True)
    )


# -- pages


@dataclass
class NoticeRow:
    participant: Participant
    deliveries: list = field(default_factory=list)
    counted_at: object = None
    in_time: bool = False
    paper_delivery: object = None

    @property
    def read(self) -> bool:
        return any(d.read_at for d in self.deliveries)


def composition(participants: list[Participant]) -> tuple[list, list]:
    """(category label, count) of a list, and the §七 categories it lacks."""
    counts: dict[str, int] = {}
    for participant in participants:
        counts[participant.category] = counts.get(participant.category, 0) + 1
    rows = [
        (MemberCategory(c).label, n)
        for c, n in sorted(counts.items(), key=lambda item: -item[1])
    ]
    return rows, [c.label for c in missing_categories(counts)]


def notice_rows(topic, participants: list[Participant]) -> tuple[list, dict]:
    """Per participant: the notices of the latest round, on which channel, sent
    and read when, and whether in time for ``prepare.notices``."""
    status = notice_status([topic.pk])[topic.pk]
    notice = status["round"]
    deliveries: dict[int, list] = {}
    if notice is not None:
        for delivery in Delivery.objects.filter(
            notification_id=notice.notification_id
        ).order_by("channel", "pk"):
            deliveries.setdefault(delivery.person_id, []).append(delivery)
    rows = []
    for participant in participants:
        mine = deliveries.get(participant.person_id, [])
        counted = status["sent"].get(participant.person_id)
        rows.append(
            NoticeRow(
                participant=participant,
                deliveries=mine,
                counted_at=counted,
                in_time=bool(
                    counted and status["deadline"] and counted <= status["deadline"]
                ),
                paper_delivery=next(
                    (
                        d
                        for d in mine
                        if d.channel == Channel.PAPER
                        and d.status == DeliveryStatus.QUEUED
                    ),
                    None,
                ),
            )
        )
    return rows, status


def topic_materials(topic_ids: Iterable[int]) -> list[Material]:
    return list(
        Material.objects.filter(topic_id__in=list(topic_ids))
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=MaterialVersion.objects.select_related("uploaded_by").order_by(
                    "-number"
                ),
            )
        )
        .order_by("topic_id", "created_at", "pk")
    )


def topic_sessions(topic_ids: Iterable[int]) -> list[Session]:
    sessions = list(
        Session.objects.filter(topic_id__in=list(topic_ids))
        .select_related("interviewee__person")
        .annotate(
            opinion_count=Count(
                "opinions", filter=Q(opinions__is_hidden=False), distinct=True
            ),
        )
        .order_by("topic_id", "starts_at", "pk")
    )
    # Attendance as it stands after any correction.
    current = current_records([s.pk for s in sessions])
    for session in sessions:
        session.attendance_count = len(current.attendance.get(session.pk, {}))
    return sessions


def prepare_page(topic) -> dict:
    participants = list(topic_participants([topic.pk]).select_related("platform"))
    categories, lacking = composition(participants)
    rows, status = notice_rows(topic, participants)
    plan = Plan.objects.filter(topic=topic).first()
    platforms = list(
        Platform.objects.filter(
            place_id__in=[topic.place_id, topic.place.township_id]
        ).order_by("place__kind", "kind")
    )
    return {
        "sessions": topic_sessions([topic.pk]),
        "participants": participants,
        "categories": categories,
        "lacking": lacking,
        "plan": plan,
        "notice_rows": rows,
        "notice_status": status,
        "materials": topic_materials([topic.pk]),
        "pre_opinions": list(
            topic_opinions([topic.pk]).filter(source=Opinion.Source.PRE)
        ),
        "platforms": platforms,
    }


@dataclass
class AttendanceRow:
    participant: Participant
    attendance: CurrentAttendance | None
    answer: Opinion | None = None


def session_page(
    session: Session, *, moderator: bool, own: Participant | None = None
) -> dict:
    """The session page. A written consultation's answers are the clerk's to
    see (``moderator``); anyone else sees only their own answer (``own``)."""
    topic_id = session.topic_id
    participants = list(topic_participants([topic_id]))
    if session.interviewee_id:
        participants = [p for p in participants if p.pk == session.interviewee_id]
    current = current_records([session.pk])
    attendance = current.attendance.get(session.pk, {})
    opinions = Opinion.objects.filter(session=session).select_related(
        "participant__person", "hidden_by"
    )
    if not moderator:
        opinions = opinions.filter(is_hidden=False)
    opinions = list(opinions.order_by("created_at", "pk"))
    answers = {
        o.participant_id: o
        for o in opinions
        if o.source == Opinion.Source.WRITTEN and not o.is_hidden
    }
    rows = [
        AttendanceRow(p, attendance.get(p.pk), answers.get(p.pk)) for p in participants
    ]
    if session.is_written and not moderator:
        mine = own.pk if own else None
        rows = [row for row in rows if row.participant.pk == mine]
        opinions = [o for o in opinions if mine and o.participant_id == mine]
    if session.is_written:
        # Who has not answered comes first, at a glance.
        rows.sort(key=lambda row: row.answer is not None)
    return {
        "rows": rows,
        # Minutes, consensus and disputed points as they stand after any
        # correction, and the corrections themselves (更正记录).
        "record": current.records.get(session.pk, {}),
        "corrections": current.history.get(session.pk, []),
        "opinions": opinions,
        "photos": list(SignInPhoto.objects.filter(session=session).order_by("pk")),
        "unanswered": [r for r in rows if r.answer is None],
        "present": sum(
            1
            for r in rows
            if r.attendance
            and r.attendance.status
            in (AttendanceStatus.PRESENT, AttendanceStatus.REPRESENTED)
        ),
    }


def participant_dashboard(user) -> list[dict]:
    """For each topic the user is invited to: the plan, the materials, the
    notices and the written consultations waiting for their answer."""
    participations = list(
        Participant.objects.filter(person__user=user)
        .select_related("topic__place", "person")
        .order_by("-topic__created_at", "-topic_id")
    )
    topic_ids = [p.topic_id for p in participations]
    if not topic_ids:
        return []
    sessions: dict[int, list] = {}
    for session in Session.objects.filter(topic_id__in=topic_ids).order_by(
        "starts_at", "pk"
    ):
        sessions.setdefault(session.topic_id, []).append(session)
    materials: dict[int, list] = {}
    for material in topic_materials(topic_ids):
        materials.setdefault(material.topic_id, []).append(material)
    notices: dict[int, list] = {}
    for delivery in (
        Delivery.objects.filter(
            person__user=user,
            notification__about_type=ContentType.objects.get_for_model(Topic),
            notification__about_id__in=topic_ids,
            channel=Channel.INBOX,
        )
        .select_related("notification")
        .order_by("-notification__created_at", "-pk")
    ):
        notices.setdefault(delivery.notification.about_id, []).append(delivery)
    answered = set(
        Opinion.objects.filter(
            participant__in=participations, source=Opinion.Source.WRITTEN
        ).values_list("session_id", flat=True)
    )
    now = timezone.now()
    result = []
    for participation in participations:
        topic_sessions_ = sessions.get(participation.topic_id, [])
        result.append(
            {
                "participant": participation,
                "topic": participation.topic,
                "sessions": topic_sessions_,
                "materials": materials.get(participation.topic_id, []),
                "notices": notices.get(participation.topic_id, []),
                "waiting": [
                    s
                    for s in topic_sessions_
                    if s.is_written
                    and not s.closed_at
                    and s.pk not in answered
                    and s.starts_at <= now <= s.ends_at
                ],
            }
        )
    # What waits for the member's answer comes first, the nearest deadline
    # first; the rest keep their order (newest topic first).
    result.sort(
        key=lambda row: (
            not row["waiting"],
            min((s.ends_at for s in row["waiting"]), default=now),
        )
    )
    return result
