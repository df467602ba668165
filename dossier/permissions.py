"""Who may export and read dossiers: ``export_dossiers`` on the topic's place,
or on the township over a village topic; always only topics the user sees."""

from committees import roles
from committees.permissions import has_place_perm
from topics import permissions as topic_perm


def can_export(user, topic) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if not topic_perm.can_view(user, topic):
        return False
    if has_place_perm(user, roles.EXPORT, topic.place_id):
        return True
    return topic.place.is_village and has_place_perm(
        user, roles.EXPORT, topic.place.parent_id
    )


def can_export_place(user, place) -> bool:
    """Bulk export of a place's topics: the permission on it or its township."""
    if not getattr(user, "is_authenticated", False):
        return False
    if has_place_perm(user, roles.EXPORT, place.pk):
        return True
    return place.is_village and has_place_perm(user, roles.EXPORT, place.parent_id)
