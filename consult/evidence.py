"""The step 2 and 3 evidence consult provides, answered for many topics at once.

Each check costs a constant number of queries however many topics it is given
(``topics.evidence.missing_many`` calls it once per page).
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Min
from django.utils.translation import gettext as _

from committees.models import MemberCategory, missing_categories
from core.text import join_list
from notifications.models import Delivery, DeliveryStatus, Kind, Notification
from topics.models import Topic

from .corrected import current_records
from .models import (
    KIND_OF_FORM,
    MaterialVersion,
    NoticeRound,
    Opinion,
    Participant,
    Plan,
    Session,
    SessionKind,
)

MEETING_KINDS = (SessionKind.MEETING, SessionKind.INTERVIEW)
COLLECTED_KINDS = (SessionKind.WRITTEN, SessionKind.ONLINE)


def _ids(topics: Sequence) -> list[int]:
    return [topic.pk for topic in topics]


def has_plan(topics: Sequence) -> set[int]:
    """At least one session planned with time, place (for meetings) and agenda."""
    rows = (
        Session.objects.filter(topic_id__in=_ids(topics))
        .exclude(agenda="")
        .values_list("topic_id", "form", "location")
    )
    return {
        topic_id
        for topic_id, form, location in rows
        if location or KIND_OF_FORM[form] in COLLECTED_KINDS
    }


def _unexplained_gaps(ids: list[int]) -> dict[int, list[str]]:
    """Per topic with a list: the §七 categories it lacks with no written reason."""
    categories: dict[int, set[str]] = {}
    for topic_id, category in Participant.objects.filter(topic_id__in=ids).values_list(
        "topic_id", "category"
    ):
        categories.setdefault(topic_id, set()).add(category)
    explained = {
        topic_id: set(gap)
        for topic_id, gap in Plan.objects.filter(topic_id__in=ids)
        .exclude(gap_reason="")
        .values_list("topic_id", "gap_categories")
    }
    return {
        topic_id: [
            str(c)
            for c in missing_categories(present)
            if str(c) not in explained.get(topic_id, set())
        ]
        for topic_id, present in categories.items()
    }


def has_participants(topics: Sequence) -> set[int]:
    """A list exists, and any §七 category it lacks is explained in writing."""
    return {
        topic_id for topic_id, gap in _unexplained_gaps(_ids(topics)).items() if not gap
    }


def participants_lacking(topics: Sequence) -> dict[int, str]:
    """What a topic's list lacks, said exactly: the §七 categories missing and
    what to do (a topic without any list keeps the requirement's own label)."""
    return {
        topic_id: _(
            "参与协商对象名单缺少以下界别：%(categories)s。"
            "请补充这些界别的人员，或写明缺少的理由"
        )
        % {"categories": join_list(MemberCategory(c).label for c in gap)}
        for topic_id, gap in _unexplained_gaps(_ids(topics)).items()
        if gap
    }


def notice_status(topic_ids: list[int]) -> dict[int, dict]:
    """Per topic: the first session's start, the deadline for notices, and for
    each participant person the moment their notice of the latest round
    counted as sent (delivered online or paper receipt signed)."""
    firsts = dict(
        Session.objects.filter(topic_id__in=topic_ids)
        .values("topic_id")
        .annotate(first=Min("starts_at"))
        .values_list("topic_id", "first")
    )
    latest: dict[int, NoticeRound] = {}
    for notice in NoticeRound.objects.filter(topic_id__in=topic_ids).order_by("number"):
        latest[notice.topic_id] = notice
    sent: dict[int, dict[int, object]] = {}
    rows = Delivery.objects.filter(
        notification_id__in=[n.notification_id for n in latest.values()],
        status__in=(DeliveryStatus.SENT, DeliveryStatus.READ),
        sent_at__isnull=False,
    ).values_list("notification_id", "person_id", "sent_at")
    for notification_id, person_id, sent_at in rows:
        known = sent.setdefault(notification_id, {})
        if person_id not in known or sent_at < known[person_id]:
            known[person_id] = sent_at
    lead = timedelta(days=settings.XST_NOTICE_MIN_DAYS)
    result = {}
    for topic_id in topic_ids:
        notice = latest.get(topic_id)
        first = firsts.get(topic_id)
        result[topic_id] = {
            "first": first,
            "deadline": first - lead if first else None,
            "round": notice,
            "sent": sent.get(notice.notification_id, {}) if notice else {},
        }
    return result


def notice_entry(session: Session) -> dict:
    """How a round of notices names a session: its time and place as sent."""
    return {
        "id": session.pk,
        "starts_at": session.starts_at.astimezone(UTC).isoformat(),
        "ends_at": session.ends_at.astimezone(UTC).isoformat(),
        "location": session.location,
    }


def notified_sessions(
    topic_ids: Iterable[int], session_ids: Iterable[int] | None = None
) -> set[int]:
    """The sessions (of these topics, or only ``session_ids``) whose every
    participant was notified at least XST_NOTICE_MIN_DAYS before the session
    starts, by a round naming the session at its current time and place.

    Four queries whatever the number of topics and sessions.
    """
    topic_ids = list(topic_ids)
    sessions = Session.objects.filter(topic_id__in=topic_ids)
    if session_ids is not None:
        sessions = sessions.filter(pk__in=list(session_ids))
    persons: dict[int, set[int]] = {}
    for topic_id, person_id in Participant.objects.filter(
        topic_id__in=topic_ids
    ).values_list("topic_id", "person_id"):
        persons.setdefault(topic_id, set()).add(person_id)
    rounds = list(
        NoticeRound.objects.filter(topic_id__in=topic_ids).values_list(
            "topic_id", "notification_id", "sessions"
        )
    )
    earliest: dict[tuple[int, int], datetime] = {}
    for notification_id, person_id, sent_at in Delivery.objects.filter(
        notification_id__in=[row[1] for row in rounds],
        status__in=(DeliveryStatus.SENT, DeliveryStatus.READ),
        sent_at__isnull=False,
    ).values_list("notification_id", "person_id", "sent_at"):
        key = (notification_id, person_id)
        if key not in earliest or sent_at < earliest[key]:
            earliest[key] = sent_at
    lead = timedelta(days=settings.XST_NOTICE_MIN_DAYS)
    result = set()
    for session in sessions.only("pk", "topic_id", "starts_at", "ends_at", "location"):
        wanted = persons.get(session.topic_id)
        if not wanted:
            continue
        entry = notice_entry(session)
        naming = [
            notification_id
            for topic_id, notification_id, entries in rounds
            if topic_id == session.topic_id and entry in entries
        ]
        deadline = session.starts_at - lead
        if all(
            any(
                (n, person) in earliest and earliest[(n, person)] <= deadline
                for n in naming
            )
            for person in wanted
        ):
            result.add(session.pk)
    return result


def has_notices(topics: Sequence) -> set[int]:
    """Every session planned is notified in time to every participant by a round
    naming it as it now stands (a session planned or moved later needs a new
    round, sent at least XST_NOTICE_MIN_DAYS before it)."""
    ids = _ids(topics)
    planned: dict[int, set[int]] = {}
    for pk, topic_id in Session.objects.filter(topic_id__in=ids).values_list(
        "pk", "topic_id"
    ):
        planned.setdefault(topic_id, set()).add(pk)
    notified = notified_sessions(ids)
    return {topic_id for topic_id, pks in planned.items() if pks <= notified}


def has_materials(topics: Sequence) -> set[int]:
    """A material reached the participants before the first session: uploaded
    before a meeting notice (which names and links it) or a 资料 notice sent to
    them, both before the first session starts."""
    ids = _ids(topics)
    uploaded = dict(
        MaterialVersion.objects.filter(topic_id__in=ids)
        .values("topic_id")
        .annotate(first=Min("uploaded_at"))
        .values_list("topic_id", "first")
    )
    if not uploaded:
        return set()
    firsts = dict(
        Session.objects.filter(topic_id__in=list(uploaded))
        .values("topic_id")
        .annotate(first=Min("starts_at"))
        .values_list("topic_id", "first")
    )
    sent = Notification.objects.filter(
        about_type=ContentType.objects.get_for_model(Topic),
        about_id__in=list(uploaded),
        kind__in=(Kind.MEETING_NOTICE, Kind.MATERIAL),
    ).values_list("about_id", "created_at")
    return {
        topic_id
        for topic_id, created_at in sent
        if uploaded[topic_id] <= created_at
        and (firsts.get(topic_id) is None or created_at <= firsts[topic_id])
    }


def has_session(topics: Sequence) -> set[int]:
    """A meeting or interview recorded with attendance, minutes and an opinion
    (a meeting also with its consensus, or none reached and the points
    disputed), or a written or online consultation closed with its answers collected."""
    ids = _ids(topics)
    sessions = list(
        Session.objects.filter(topic_id__in=ids, recorded_at__isnull=False).values_list(
            "pk", "topic_id", "form", "closed_at"
        )
    )
    session_ids = [row[0] for row in sessions]
    # Minutes and attendance as they stand after any later correction.
    current = current_records(session_ids)
    attended = {pk for pk, rows in current.attendance.items() if rows}
    with_opinions = set(
        Opinion.objects.filter(session_id__in=session_ids, is_hidden=False).values_list(
            "session_id", flat=True
        )
    )
    result = set()
    for pk, topic_id, form, closed_at in sessions:
        kind = KIND_OF_FORM[form]
        record = current.records.get(pk, {})
        if pk not in with_opinions:
            continue
        if (kind in MEETING_KINDS and record.get("minutes") and pk in attended) or (
            kind in COLLECTED_KINDS and closed_at
        ):
            if kind == SessionKind.MEETING and not _consensus_recorded(record):
                continue
            result.add(topic_id)
    return result


def _consensus_recorded(record: dict) -> bool:
    """§六.3 达成协商共识： the consensus reached, or that none was reached and
    what remains disputed."""
    if record.get("no_consensus"):
        return bool(record.get("disputed"))
    return bool(record.get("consensus"))
