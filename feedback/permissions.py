"""The one gate for steps 4 and 5: role (via place permissions), place and record."""

from committees import roles
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


def can_respond(user) -> bool:
    """Any resident with an account may respond to a 公示 during its period."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def can_note(user, topic) -> bool:
    return can_record(user, topic) or can_supervise(user, topic)
