"""The one gate for place-bound permissions.

A user's object permissions on places are read once per request in one query
and cached on the user object, so pages ask freely without adding queries.
"""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from guardian.models import GroupObjectPermission, UserObjectPermission

from .models import Place

_CACHE_ATTR = "_xst_place_perms"


def place_perms(user) -> dict[int, frozenset[str]]:
    """Map place id -> permission codenames the user holds on that place."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    place_type = ContentType.objects.get_for_model(Place)
    rows = GroupObjectPermission.objects.filter(
        group__user=user, content_type=place_type
    ).values_list("object_pk", "permission__codename")
    direct = UserObjectPermission.objects.filter(
        user=user, content_type=place_type
    ).values_list("object_pk", "permission__codename")
    collected: dict[int, set[str]] = {}
    for object_pk, codename in rows.union(direct, all=True):
        collected.setdefault(int(object_pk), set()).add(codename)
    result = {pk: frozenset(codes) for pk, codes in collected.items()}
    setattr(user, _CACHE_ATTR, result)
    return result


def forget_place_perms(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def has_place_perm(user, codename: str, place_id: int | None) -> bool:
    if place_id is None:
        return False
    return codename in place_perms(user).get(place_id, frozenset())


def places_with_perm(user, codename: str) -> set[int]:
    return {pk for pk, codes in place_perms(user).items() if codename in codes}


def place_perm_holders(codename: str, place_ids: set[int]) -> dict[int, list]:
    """Active users holding a permission on each place (by role group or directly).

    The reverse of place_perms, for many places in three queries: who must be
    told about what happens there.
    """
    place_type = ContentType.objects.get_for_model(Place)
    object_pks = [str(pk) for pk in place_ids]
    pairs = set(
        GroupObjectPermission.objects.filter(
            content_type=place_type,
            permission__codename=codename,
            object_pk__in=object_pks,
            group__user__isnull=False,
        ).values_list("object_pk", "group__user")
    )
    pairs |= set(
        UserObjectPermission.objects.filter(
            content_type=place_type,
            permission__codename=codename,
            object_pk__in=object_pks,
        ).values_list("object_pk", "user")
    )
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .in_bulk({user_id for _pk, user_id in pairs})
    )
    holders: dict[int, list] = {}
    for object_pk, user_id in sorted(pairs):
        if user_id in users:
            holders.setdefault(int(object_pk), []).append(users[user_id])
    return holders
