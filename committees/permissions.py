"""The one gate for place-bound permissions.

A user's object permissions on places are read once per request in one query
and cached on the user object, so pages ask freely without adding queries.

A role group counts only together with the RoleGrant it follows from: a user
put into a place group by other means (the admin's user page, a script) gains
nothing, since RoleGrant is the source of truth and only the role services
write both.
"""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Value
from django.db.models.functions import Concat
from guardian.models import GroupObjectPermission, UserObjectPermission

from .models import Place, Platform, RoleGrant
from .roles import ROLES, ROSTERS, group_name


def _granted_group_names(**filters):
    """The role group names the matching RoleGrant rows stand for."""
    return (
        RoleGrant.objects.filter(**filters)
        .annotate(
            group_name=Concat(
                "place__code", Value(":"), "role", output_field=CharField()
            )
        )
        .values("group_name")
    )


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
        group__user=user,
        content_type=place_type,
        group__name__in=_granted_group_names(user=user),
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

    The reverse of place_perms, for many places in four queries: who must be
    told about what happens there. Group members count only with their grant.
    """
    place_type = ContentType.objects.get_for_model(Place)
    object_pks = [str(pk) for pk in place_ids]
    by_group = set(
        GroupObjectPermission.objects.filter(
            content_type=place_type,
            permission__codename=codename,
            object_pk__in=object_pks,
            group__user__isnull=False,
        ).values_list("object_pk", "group__user", "group__name")
    )
    granted = {
        (user_id, group_name(code, role))
        for user_id, code, role in RoleGrant.objects.filter(
            user_id__in={user_id for _pk, user_id, _name in by_group}
        ).values_list("user_id", "place__code", "role")
    }
    pairs = {
        (object_pk, user_id)
        for object_pk, user_id, name in by_group
        if (user_id, name) in granted
    }
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


def _administers(user, codename: str, place: Place) -> bool:
    """The system (None), a superuser, or a holder of ``codename`` on the township."""
    if user is None:
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    # A county has no township: it answers for itself.
    return has_place_perm(user, codename, place.township_id or place.pk)


def may_edit_places(user) -> bool:
    """Add or change places: the system (None) or whoever may change any place.

    Places are the map every township sits on: no place-bound role changes
    them, only a model-wide grant (a superuser's, or one given in the admin).
    """
    if user is None:
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.has_perm("committees.change_place")


def may_manage_roles(user, place: Place) -> bool:
    """Grant or revoke roles at a place: its township's administrator.

    ``user=None`` is the system (seeding, migrations); a superuser may too.
    """
    return _administers(user, ROLES, place)


def may_manage_rosters(user, platform: Platform) -> bool:
    """Edit a platform's roster: who holds ``manage_rosters`` on its township."""
    return _administers(user, ROSTERS, platform.place)


def may_set_step_limits(user, place: Place) -> bool:
    """Change how long a step may take at a place: the township's administrator."""
    return _administers(user, ROLES, place)


def may_set_rule_data(user, place: Place) -> bool:
    """Change a township's vote rules (categories, meeting kinds): its administrator."""
    return _administers(user, ROLES, place)
