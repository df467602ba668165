"""consult's sections of the dossier (一事一档): steps 2 and 3.

Registered in ``ConsultConfig.ready()`` through ``topics.dossier``. Each
``collect`` reads one topic's records in a fixed number of queries (prefetches,
never a query per row), so a dossier with 300 opinions costs what one with 3
does.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from committees.models import MemberCategory, missing_categories
from notifications.models import Delivery
from topics.dossier import register_section

from .models import (
    Attendance,
    Correction,
    Material,
    MaterialVersion,
    NoticeRound,
    Opinion,
    Participant,
    Plan,
    Session,
    SignInPhoto,
)


def _preparation(topic) -> dict:
    plan = Plan.objects.filter(topic=topic).first()
    participants = list(
        Participant.objects.filter(topic=topic)
        .select_related("person", "platform")
        .order_by("category", "person__name", "pk")
    )
    present = {p.category for p in participants}
    missing = [MemberCategory(c).label for c in missing_categories(present)]
    rounds = list(
        NoticeRound.objects.filter(topic=topic)
        .select_related("sent_by", "notification")
        .order_by("number")
    )
    notification_ids = [r.notification_id for r in rounds if r.notification_id]
    deliveries: dict[int, list[Delivery]] = {}
    for delivery in (
        Delivery.objects.filter(notification_id__in=notification_ids)
        .select_related("person")
        .order_by("person__name", "channel", "pk")
    ):
        deliveries.setdefault(delivery.notification_id, []).append(delivery)
    for notice_round in rounds:
        notice_round.dossier_deliveries = deliveries.get(
            notice_round.notification_id, []
        )
    materials = list(
        Material.objects.filter(topic=topic)
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=MaterialVersion.objects.select_related("uploaded_by").order_by(
                    "number"
                ),
            )
        )
        .order_by("created_at", "pk")
    )
    return {
        "plan": plan,
        "participants": participants,
        "missing_categories": missing,
        "rounds": rounds,
        "materials": materials,
    }


def _consultation(topic) -> dict:
    sessions = list(
        Session.objects.filter(topic=topic)
        .select_related("interviewee__person")
        .prefetch_related(
            Prefetch(
                "attendances",
                queryset=Attendance.objects.select_related(
                    "participant__person"
                ).order_by("participant__person__name", "pk"),
            ),
            Prefetch(
                "photos",
                queryset=SignInPhoto.objects.order_by("uploaded_at", "pk"),
            ),
            Prefetch(
                "corrections",
                queryset=Correction.objects.select_related(
                    "participant__person", "created_by"
                ).order_by("created_at", "pk"),
            ),
        )
        .order_by("starts_at", "pk")
    )
    opinions = list(
        Opinion.objects.filter(topic=topic)
        .select_related("participant__person", "hidden_by")
        .order_by("created_at", "pk")
    )
    by_session: dict[int | None, list[Opinion]] = {}
    for opinion in opinions:
        by_session.setdefault(opinion.session_id, []).append(opinion)
    for session in sessions:
        session.dossier_opinions = by_session.get(session.pk, [])
    return {
        "sessions": sessions,
        "opinions_before": by_session.get(None, []),
        "opinion_count": len(opinions),
    }


def register() -> None:
    register_section(
        2,
        10,
        "dossier/sections/preparation.html",
        _preparation,
        key="consult.preparation",
        title=_("协商方案、参与对象、通知与资料"),
    )
    register_section(
        3,
        10,
        "dossier/sections/consultation.html",
        _consultation,
        key="consult.consultation",
        title=_("协商活动与意见"),
    )
