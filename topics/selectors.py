"""Reads of topics, filtered to what the user may see."""

from django.db.models import Q, QuerySet

from committees import roles
from committees.permissions import places_with_perm
from core.models import AuditEvent

from .models import Topic


def visible_topics(user) -> QuerySet[Topic]:
    own = places_with_perm(user, roles.VIEW)
    townships = places_with_perm(user, roles.VIEW_VILLAGES)
    if not own and not townships:
        return Topic.objects.none()
    return Topic.objects.filter(Q(place_id__in=own) | Q(place__parent_id__in=townships))


def topic_list(user, *, state=None, place_id=None, category=None) -> QuerySet[Topic]:
    qs = visible_topics(user).select_related("place", "body", "created_by")
    if state:
        qs = qs.filter(state=state)
    if place_id:
        qs = qs.filter(place_id=place_id)
    if category:
        qs = qs.filter(category=category)
    return qs


def topic_detail(user, pk: int) -> Topic | None:
    return (
        visible_topics(user)
        .select_related("place", "place__parent", "body", "created_by")
        .filter(pk=pk)
        .first()
    )


def topic_history(topic: Topic) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_subject(topic).select_related("actor").order_by("seq")
