"""Reads of steps 4 and 5, each page in a fixed number of queries."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from consult.selectors import topic_opinions, topic_participants
from notifications.models import Delivery

from . import rules
from .models import (
    Attachment,
    Bulletin,
    Compilation,
    Decision,
    Note,
    NoticeResponse,
    NoticeStatus,
    ProgressReport,
    PublicNotice,
    Task,
    Vote,
    VoteMark,
)


@dataclass
class Theme:
    name: str
    opinions: list = field(default_factory=list)


def adoption(topic) -> dict:
    """Everything the step-4 page shows."""
    opinions = list(
        topic_opinions([topic.pk])
        .select_related("disposition")
        .prefetch_related("disposition__explanations")
    )
    themes: dict[str, Theme] = {}
    for opinion in opinions:
        disposition = getattr(opinion, "disposition", None)
        name = disposition.theme if disposition else ""
        themes.setdefault(name, Theme(name)).opinions.append(opinion)
    return {
        "opinions": opinions,
        "themes": sorted(themes.values(), key=lambda t: (t.name == "", t.name)),
        "compilation": Compilation.objects.filter(topic=topic).first(),
        "decisions": list(
            Decision.objects.filter(topic=topic).prefetch_related("attachments")
        ),
        "votes": list(Vote.objects.filter(topic=topic)),
        "needs_vote": topic.pk in rules.topics_needing_vote([topic]),
        "vote_mark": VoteMark.objects.filter(topic=topic).first(),
    }


def implementation(topic) -> dict:
    """Everything the step-5 page shows."""
    tasks = list(
        Task.objects.filter(topic=topic)
        .select_related("responsible")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=ProgressReport.objects.select_related(
                    "reported_by"
                ).prefetch_related("attachments"),
            ),
            "supervision_notes__written_by",
        )
    )
    notices = list(
        PublicNotice.objects.filter(topic=topic).prefetch_related(
            "places",
            "attachments",
            Prefetch(
                "responses",
                queryset=NoticeResponse.objects.select_related("author__person"),
            ),
        )
    )
    participants = list(topic_participants([topic.pk]))
    bulletins = {
        b.person_id: b
        for b in Bulletin.objects.filter(topic=topic).select_related("notification")
    }
    delivered = {}
    for delivery in Delivery.objects.filter(
        notification_id__in=[b.notification_id for b in bulletins.values()]
    ).order_by("pk"):
        delivered.setdefault(delivery.person_id, []).append(delivery)
    rows = [
        (p, bulletins.get(p.person_id), delivered.get(p.person_id, []))
        for p in participants
    ]
    return {
        "tasks": tasks,
        "notices": notices,
        "bulletin_rows": rows,
        "notes": list(
            Note.objects.filter(topic=topic).select_related("written_by__person")
        ),
    }


def public_notices(*, place_id: int | None = None) -> QuerySet[PublicNotice]:
    """公示 residents may see: published or ended, never scheduled or withdrawn."""
    qs = (
        PublicNotice.objects.filter(
            status__in=[NoticeStatus.PUBLISHED, NoticeStatus.ENDED]
        )
        .select_related("topic__place")
        .prefetch_related("places")
        .order_by("-starts_at", "-pk")
    )
    if place_id:
        qs = qs.filter(places__id=place_id)
    return qs


def public_notice(public_id) -> PublicNotice | None:
    return (
        public_notices()
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=Attachment.objects.order_by("purpose", "pk"),
            ),
            Prefetch(
                "responses",
                queryset=NoticeResponse.objects.order_by("created_at", "pk"),
            ),
        )
        .filter(public_id=public_id)
        .first()
    )


def own_tasks(user) -> list[Task]:
    """The tasks whose responsible person is the user, with their own reports,
    attachments and supervision notes: all a responsible person is shown."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Task.objects.filter(responsible__user=user)
        .select_related("topic__place", "responsible")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=ProgressReport.objects.prefetch_related("attachments"),
            ),
            "supervision_notes",
        )
        .order_by("status", "deadline", "pk")
    )


def own_task(user, task_id: int) -> Task | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Task.objects.select_related("topic__place")
        .filter(pk=task_id, responsible__user=user)
        .first()
    )


def is_own_attachment(user, attachment: Attachment) -> bool:
    """A progress report's file, seen by the responsible person of its task."""
    if attachment.report_id is None or not getattr(user, "is_authenticated", False):
        return False
    return Task.objects.filter(
        reports__pk=attachment.report_id, responsible__user=user
    ).exists()


def attachment(pk: int) -> Attachment | None:
    return (
        Attachment.objects.select_related("topic__place", "notice")
        .filter(pk=pk)
        .first()
    )
