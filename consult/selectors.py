"""Reads of consult's records, each in a constant number of queries."""

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import Opinion, Participant


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
        .order_by("topic_id", "category", "person__name", "pk")
    )


def participant_topic_ids(user) -> set[int]:
    """The topics the user is invited to through a participant record."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return set(
        Participant.objects.filter(person__user=user).values_list("topic_id", flat=True)
    )
