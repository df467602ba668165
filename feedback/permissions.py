"""The one gate for steps 4 and 5: role (via place permissions), place and record."""

from django.utils.translation import gettext_lazy

from committees import roles
from committees.models import Person, Place, Role, RoleGrant
from committees.permissions import has_place_perm
from topics import permissions as topic_perm


def can_view(user, topic) -> bool:
    return topic_perm.can_view(user, topic)


def can_record(user, topic) -> bool:
    """Record dispositions, decisions, votes, tasks, 公示 and 通报 (文书, 书记)."""
    return has_place_perm(user, roles.RUN, topic.place_id)


def can_supervise(user, topic) -> bool:
    """跟踪督办 is the township's: a township role that runs the procedure."""
    return has_place_perm(user, roles.RUN, topic.place.township_id)


def can_report(user, task) -> bool:
    """The clerk, or the responsible person themself, reports progress."""
    if can_record(user, task.topic):
        return True
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and task.responsible.user_id == user.pk
    )


NOT_IN_SCOPE = gettext_lazy(
    "只有本公示范围内的群众和协商委员可以提出意见；如有意见，请联系村（居）委会。"
)


def respond_scope(notice) -> set[int]:
    """The places whose people may respond: those the 公示 covers, and the
    villages of a township it covers."""
    place_ids = {p.pk for p in notice.places.all()}
    villages = Place.objects.filter(parent_id__in=place_ids).values_list(
        "pk", flat=True
    )
    return place_ids | set(villages)


def can_respond(user, notice) -> bool:
    """Residents and members of the places a 公示 covers respond to it."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    scope = respond_scope(notice)
    return (
        RoleGrant.objects.filter(
            user=user, place_id__in=scope, role__in=[Role.RESIDENT, Role.MEMBER]
        ).exists()
        or Person.objects.filter(user=user, place_id__in=scope).exists()
    )


def can_note(user, topic) -> bool:
    return can_record(user, topic) or can_supervise(user, topic)
