"""The one gate for topics: role (via place permissions), place and state."""

from committees import roles
from committees.permissions import has_place_perm, places_with_perm

from .states import State


def _own(user, codename: str, topic) -> bool:
    return has_place_perm(user, codename, topic.place_id)


def _township(user, codename: str, topic) -> bool:
    """A permission held on the township over the topic's village."""
    return topic.place.is_village and has_place_perm(
        user, codename, topic.place.parent_id
    )


def can_view(user, topic) -> bool:
    return _own(user, roles.VIEW, topic) or _township(user, roles.VIEW_VILLAGES, topic)


def can_create_in(user, place) -> bool:
    return has_place_perm(user, roles.DRAFT, place.pk)


def creatable_place_ids(user) -> set[int]:
    return places_with_perm(user, roles.DRAFT)


def can_edit(user, topic) -> bool:
    return topic.state == State.DRAFT and _own(user, roles.DRAFT, topic)


def can_submit(user, topic) -> bool:
    return _own(user, roles.DRAFT, topic)


def can_approve(user, topic) -> bool:
    return _own(user, roles.APPROVE, topic)


def can_return(user, topic) -> bool:
    return _own(user, roles.REVISE, topic)


def can_run(user, topic) -> bool:
    return _own(user, roles.RUN, topic)


def can_decide(user, topic) -> bool:
    return _own(user, roles.DECIDE, topic)


def can_withdraw(user, topic) -> bool:
    return _own(user, roles.WITHDRAW, topic) or _township(
        user, roles.WITHDRAW_VILLAGES, topic
    )
