"""The evidence of steps 4 and 5, each answering for many topics at once.

Every check costs a fixed number of queries whatever the number of topics
(``topics.evidence.missing_many`` asks each once per page).
"""

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q

from consult.selectors import topic_opinions, topic_participants
from notifications.models import DeliveryStatus
from topics.evidence import provide

from . import rules
from .models import (
    NEEDS_EXPLANATION,
    Bulletin,
    Compilation,
    Decision,
    NoticeResponse,
    NoticeStatus,
    NoticeSubject,
    ProgressReport,
    PublicNotice,
    Task,
    TaskStatus,
    Vote,
)

# The sweep publishes and ends a 公示 within its interval of the set times.
SWEEP_SLACK = timedelta(minutes=10)


def _ids(topics: Sequence) -> list[int]:
    return [t.pk for t in topics]


def _lacking(queryset) -> set[int]:
    return set(queryset.values_list("topic_id", flat=True).distinct())


def compiled(topics: Sequence) -> set[int]:
    """A summary exists and every counted opinion has a theme."""
    ids = _ids(topics)
    done = set(
        Compilation.objects.filter(topic_id__in=ids).values_list("topic_id", flat=True)
    )
    return done - _lacking(
        topic_opinions(ids).filter(disposition__isnull=True).order_by()
    )


def disposed(topics: Sequence) -> set[int]:
    """Every counted opinion has an outcome with its reason."""
    ids = _ids(topics)
    undecided = _lacking(
        topic_opinions(ids)
        .filter(Q(disposition__isnull=True) | Q(disposition__outcome=""))
        .order_by()
    )
    return set(ids) - undecided


def explained(topics: Sequence) -> set[int]:
    """Every opinion not (or partly) adopted has an explanation on record."""
    ids = _ids(topics)
    owed = _lacking(
        topic_opinions(ids)
        .filter(
            disposition__outcome__in=NEEDS_EXPLANATION,
            disposition__explanations__isnull=True,
        )
        .order_by()
    )
    return set(ids) - owed


def decided(topics: Sequence) -> set[int]:
    return _lacking(Decision.objects.filter(topic_id__in=_ids(topics)))


def voted(topics: Sequence) -> set[int]:
    return _lacking(Vote.objects.filter(topic_id__in=_ids(topics), passed=True))


def tasked(topics: Sequence) -> set[int]:
    return _lacking(Task.objects.filter(topic_id__in=_ids(topics)))


def progressed(topics: Sequence) -> set[int]:
    """At least one task, none still open (each done with a 100% report, or closed
    with a reason), and at least one progress report on the topic: implementation
    was followed up, not only declared over (DOMAIN §4 step 5: 跟踪督办)."""
    ids = _ids(topics)
    tasks = Task.objects.filter(topic_id__in=ids)
    reported = set(
        ProgressReport.objects.filter(task__topic_id__in=ids)
        .values_list("task__topic_id", flat=True)
        .distinct()
    )
    unfinished = _lacking(
        tasks.filter(
            Q(status=TaskStatus.OPEN)
            | Q(status=TaskStatus.DONE, reports__isnull=True)
            | Q(status=TaskStatus.CLOSED, close_reason="")
        )
    )
    return (_lacking(tasks) - unfinished) & reported


def publicised(topics: Sequence) -> set[int]:
    """A 公示 of the decision ran its full period, every response is answered
    or marked as spam, and no 公示 of the topic is still scheduled or running."""
    ids = _ids(topics)
    notices = PublicNotice.objects.filter(topic_id__in=ids)
    ran = set()
    period = timedelta(days=settings.XST_PUBLIC_NOTICE_MIN_DAYS)
    for topic_id, published, ended in notices.filter(
        subject=NoticeSubject.DECISION, status=NoticeStatus.ENDED
    ).values_list("topic_id", "published_at", "ended_at"):
        if published and ended and ended - published >= period - SWEEP_SLACK:
            ran.add(topic_id)
    pending = _lacking(
        notices.filter(status__in=[NoticeStatus.SCHEDULED, NoticeStatus.PUBLISHED])
    )
    unanswered = set(
        NoticeResponse.objects.filter(
            notice__topic_id__in=ids, answered_at__isnull=True, spam_at__isnull=True
        ).values_list("notice__topic_id", flat=True)
    )
    return ran - pending - unanswered


def progress_publicised(topics: Sequence) -> set[int]:
    """§六.5 公示通报实施进展情况： a 公示 of implementation progress ran its full
    period, or a decision 公示 the clerk marked as covering progress ran its
    period with progress reported by its end; every response is answered and
    no 公示 of the topic is still scheduled or running."""
    ids = _ids(topics)
    notices = PublicNotice.objects.filter(topic_id__in=ids)
    period = timedelta(days=settings.XST_PUBLIC_NOTICE_MIN_DAYS)
    first_report: dict[int, object] = {}
    for topic_id, created_at in ProgressReport.objects.filter(
        task__topic_id__in=ids
    ).values_list("task__topic_id", "created_at"):
        if topic_id not in first_report or created_at < first_report[topic_id]:
            first_report[topic_id] = created_at
    ran = set()
    for topic_id, subject, published, ended in (
        notices.filter(status=NoticeStatus.ENDED)
        .filter(
            Q(subject=NoticeSubject.PROGRESS)
            | Q(subject=NoticeSubject.DECISION, covers_progress=True)
        )
        .values_list("topic_id", "subject", "published_at", "ended_at")
    ):
        if not (published and ended and ended - published >= period - SWEEP_SLACK):
            continue
        reported = first_report.get(topic_id)
        if subject == NoticeSubject.PROGRESS or (reported and reported <= ended):
            ran.add(topic_id)
    pending = _lacking(
        notices.filter(status__in=[NoticeStatus.SCHEDULED, NoticeStatus.PUBLISHED])
    )
    unanswered = set(
        NoticeResponse.objects.filter(
            notice__topic_id__in=ids, answered_at__isnull=True
        ).values_list("notice__topic_id", flat=True)
    )
    return ran - pending - unanswered


def informed(topics: Sequence) -> set[int]:
    """Every participant has a 通报 delivered: sent, read or signed for on paper."""
    ids = _ids(topics)
    wanted: dict[int, set[int]] = {}
    for participant in topic_participants(ids):
        wanted.setdefault(participant.topic_id, set()).add(participant.person_id)
    reached = set(
        Bulletin.objects.filter(
            topic_id__in=ids,
            notification__deliveries__person_id=F("person_id"),
            notification__deliveries__status__in=[
                DeliveryStatus.SENT,
                DeliveryStatus.READ,
            ],
        ).values_list("topic_id", "person_id")
    )
    return {
        topic_id
        for topic_id, persons in wanted.items()
        if persons and all((topic_id, p) in reached for p in persons)
    }


def register() -> None:
    provide("adopt.compiled", check_many=compiled, url_name="feedback:adopt")
    provide("adopt.dispositions", check_many=disposed, url_name="feedback:adopt")
    provide("adopt.explanations", check_many=explained, url_name="feedback:adopt")
    provide("adopt.decision", check_many=decided, url_name="feedback:adopt")
    provide(
        "adopt.vote",
        check_many=voted,
        applies_many=rules.topics_needing_vote,
        url_name="feedback:adopt",
    )
    provide("feedback.tasks", check_many=tasked, url_name="feedback:implement")
    provide("feedback.progress", check_many=progressed, url_name="feedback:implement")
    provide(
        "feedback.public_notice", check_many=publicised, url_name="feedback:implement"
    )
    provide(
        "feedback.progress_notice",
        check_many=progress_publicised,
        url_name="feedback:implement",
    )
    provide("feedback.informed", check_many=informed, url_name="feedback:implement")
