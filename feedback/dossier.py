"""feedback's sections of the dossier (一事一档): steps 4 and 5, and the notes
appended after archiving.

Registered in ``FeedbackConfig.ready()`` through ``topics.dossier``; each
``collect`` reads one topic in a fixed number of queries.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from consult.models import Opinion
from topics.dossier import AFTER_ARCHIVE, register_section

from .models import (
    Attachment,
    Bulletin,
    Compilation,
    Decision,
    Disposition,
    Explanation,
    Note,
    NoticeResponse,
    ProgressReport,
    PublicNotice,
    SupervisionNote,
    Task,
    Vote,
)


def _attachments(topic) -> dict[tuple[str, int], list[Attachment]]:
    """The topic's attachments keyed by what they belong to."""
    owners: dict[tuple[str, int], list[Attachment]] = {}
    for attachment in Attachment.objects.filter(topic=topic).order_by(
        "uploaded_at", "pk"
    ):
        for owner in ("decision", "report", "notice"):
            owner_id = getattr(attachment, f"{owner}_id")
            if owner_id:
                owners.setdefault((owner, owner_id), []).append(attachment)
    return owners


def _adoption(topic) -> dict:
    dispositions = list(
        Disposition.objects.filter(topic=topic)
        .select_related("opinion__participant__person", "decided_by")
        .prefetch_related(
            Prefetch("explanations", queryset=Explanation.objects.order_by("pk"))
        )
        .order_by("theme", "opinion__created_at", "pk")
    )
    themes: dict[str, list[Disposition]] = {}
    for disposition in dispositions:
        themes.setdefault(disposition.theme, []).append(disposition)
    undisposed = list(
        Opinion.objects.filter(topic=topic, is_hidden=False, disposition__isnull=True)
        .select_related("participant__person")
        .order_by("created_at", "pk")
    )
    owners = _attachments(topic)
    decisions = list(
        Decision.objects.filter(topic=topic)
        .select_related("recorded_by")
        .order_by("meeting_date", "pk")
    )
    for decision in decisions:
        decision.dossier_files = owners.get(("decision", decision.pk), [])
    return {
        "compilation": Compilation.objects.filter(topic=topic).first(),
        "themes": sorted(themes.items()),
        "undisposed": undisposed,
        "decisions": decisions,
        "votes": list(Vote.objects.filter(topic=topic).order_by("held_on", "pk")),
    }


def _feedback(topic) -> dict:
    owners = _attachments(topic)
    tasks = list(
        Task.objects.filter(topic=topic)
        .select_related("responsible")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=ProgressReport.objects.select_related("reported_by"),
            ),
            Prefetch(
                "supervision_notes",
                queryset=SupervisionNote.objects.select_related("written_by"),
            ),
        )
        .order_by("deadline", "pk")
    )
    for task in tasks:
        for report in task.reports.all():
            report.dossier_files = owners.get(("report", report.pk), [])
    notices = list(
        PublicNotice.objects.filter(topic=topic)
        .prefetch_related(
            "places",
            Prefetch(
                "responses",
                queryset=NoticeResponse.objects.select_related("author"),
            ),
        )
        .order_by("starts_at", "pk")
    )
    for notice in notices:
        notice.dossier_files = owners.get(("notice", notice.pk), [])
    bulletins = list(
        Bulletin.objects.filter(topic=topic)
        .select_related("person", "sent_by")
        .order_by("sent_at", "person__name", "pk")
    )
    return {"tasks": tasks, "notices": notices, "bulletins": bulletins}


def _notes(topic) -> dict:
    return {
        "notes": list(
            Note.objects.filter(topic=topic)
            .select_related("written_by")
            .order_by("written_at", "pk")
        )
    }


def register() -> None:
    register_section(
        4,
        10,
        "dossier/sections/adoption.html",
        _adoption,
        key="feedback.adoption",
        title=_("意见处理、决策与表决"),
    )
    register_section(
        5,
        10,
        "dossier/sections/feedback.html",
        _feedback,
        key="feedback.feedback",
        title=_("落实、公示与通报"),
    )
    register_section(
        AFTER_ARCHIVE,
        10,
        "dossier/sections/notes.html",
        _notes,
        key="feedback.notes",
        title=_("归档后补充说明"),
    )
