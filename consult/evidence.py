"""The step 2 and 3 evidence consult provides, answered for many topics at once.

Each check costs a constant number of queries however many topics it is given
(``topics.evidence.missing_many`` calls it once per page).
"""

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db.models import Min

from committees.models import missing_categories
from notifications.models import Delivery, DeliveryStatus

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


def has_participants(topics: Sequence) -> set[int]:
    """A list exists, and any §七 category it lacks is explained in writing."""
    ids = _ids(topics)
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
        topic_id
        for topic_id, present in categories.items()
        if {str(c) for c in missing_categories(present)}
        <= explained.get(topic_id, set())
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


def has_notices(topics: Sequence) -> set[int]:
    """Every participant notified at least XST_NOTICE_MIN_DAYS before the first
    session, by the latest round of notices (a moved session re-notifies)."""
    ids = _ids(topics)
    persons: dict[int, set[int]] = {}
    for topic_id, person_id in Participant.objects.filter(topic_id__in=ids).values_list(
        "topic_id", "person_id"
    ):
        persons.setdefault(topic_id, set()).add(person_id)
    result = set()
    for topic_id, status in notice_status(ids).items():
        wanted = persons.get(topic_id)
        if not wanted or status["round"] is None or status["deadline"] is None:
            continue
        sent = status["sent"]
        if all(p in sent and sent[p] <= status["deadline"] for p in wanted):
            result.add(topic_id)
    return result


def has_materials(topics: Sequence) -> set[int]:
    return set(
        MaterialVersion.objects.filter(topic_id__in=_ids(topics)).values_list(
            "topic_id", flat=True
        )
    )


def has_session(topics: Sequence) -> set[int]:
    """A meeting or interview recorded with attendance, minutes and an opinion,
    or a written or online consultation closed with its answers collected."""
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
        minutes = current.records.get(pk, {}).get("minutes")
        if pk not in with_opinions:
            continue
        if (kind in MEETING_KINDS and minutes and pk in attended) or (
            kind in COLLECTED_KINDS and closed_at
        ):
            result.add(topic_id)
    return result
