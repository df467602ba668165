"""Writes to the organisation: places, role grants and rosters.

Each write checks its actor through the committees gate: ``actor=None`` is the
system (seeding, data migrations), a superuser may do everything, and
otherwise the township's administrator grants roles and whoever holds
``manage_rosters`` there edits rosters.
"""

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.models import GroupObjectPermission
from guardian.shortcuts import assign_perm, get_perms_for_model, remove_perm

from core.audit import audit_record

from .models import Membership, Person, Place, PlaceKind, Platform, Role, RoleGrant
from .permissions import (
    forget_place_perms,
    may_edit_places,
    may_manage_roles,
    may_manage_rosters,
)
from .roles import ROLE_PERMISSIONS, ROLE_PLACE_KINDS, group_name

# The code names the place's role groups (roles.group_name): it is fixed.
PLACE_FIELDS = ("kind", "name", "parent")

MEMBERSHIP_FIELDS = (
    "category",
    "position",
    "term_start",
    "term_end",
    "appointed_by",
    "appointed_on",
)


def _sync_group(place: Place, role: str) -> Group:
    """Make the (place, role) group hold exactly the role's permissions on place."""
    group, _created = Group.objects.get_or_create(name=group_name(place.code, role))
    wanted = ROLE_PERMISSIONS[role]
    for perm in get_perms_for_model(Place):
        full = f"committees.{perm.codename}"
        if perm.codename in wanted:
            assign_perm(full, group, place)
        else:
            remove_perm(full, group, place)
    return group


def role_groups_sync() -> int:
    """Make every (place, role) group hold exactly its role's permissions now.

    Runs after each ``migrate`` (committees/apps.py), so a change to
    ROLE_PERMISSIONS in code reaches every place group without a data
    migration. Returns how many permission rows were added or removed.
    """
    place_type = ContentType.objects.get_for_model(Place)
    perm_ids = {p.codename: p.pk for p in get_perms_for_model(Place)}
    pairs = set(RoleGrant.objects.values_list("place_id", "place__code", "role"))
    names = {group_name(code, role) for _pk, code, role in pairs}
    groups = {g.name: g for g in Group.objects.filter(name__in=names)}
    wanted = set()
    for place_id, code, role in pairs:
        name = group_name(code, role)
        if name not in groups:
            groups[name] = Group.objects.create(name=name)
        group = groups[name]
        for codename in ROLE_PERMISSIONS.get(role, ()):
            wanted.add((group.pk, perm_ids[codename], str(place_id)))
    existing = set(
        GroupObjectPermission.objects.filter(
            content_type=place_type, group__in=list(groups.values())
        ).values_list("group_id", "permission_id", "object_pk")
    )
    extra = existing - wanted
    missing = wanted - existing
    with transaction.atomic():
        for group_id, permission_id, object_pk in extra:
            GroupObjectPermission.objects.filter(
                content_type=place_type,
                group_id=group_id,
                permission_id=permission_id,
                object_pk=object_pk,
            ).delete()
        GroupObjectPermission.objects.bulk_create(
            [
                GroupObjectPermission(
                    content_type=place_type,
                    group_id=group_id,
                    permission_id=permission_id,
                    object_pk=object_pk,
                )
                for group_id, permission_id, object_pk in missing
            ],
            ignore_conflicts=True,
        )
    return len(extra) + len(missing)


def _refuse_unless_places(actor) -> None:
    if not may_edit_places(actor):
        raise PermissionDenied(_("您无权修改地方。"))


def _place_data(place: Place) -> dict:
    return {
        "kind": place.kind,
        "name": place.name,
        "code": place.code,
        "parent": place.parent_id,
        "township": place.township_id,
    }


def place_create(
    *, actor, kind: str, name: str, code: str, parent: Place | None = None
) -> Place:
    """Add a place, with its township set from its kind and parent.

    Not audited: a new place holds nothing yet. Moving one is (place_update).
    """
    _refuse_unless_places(actor)
    place = Place(kind=kind, name=name, code=code, parent=parent)
    place.township_id = place.derived_township_id()
    with transaction.atomic():
        place.full_clean()
        place.save()
        if place.kind == PlaceKind.TOWNSHIP:
            # A township is its own township: its id exists from the insert on.
            place.township = place
            place.save(update_fields=["township"])
    return place


def place_update(*, actor, place: Place, **changes) -> Place:
    """Change a place's kind, name or parent; its township follows.

    A place with places under it keeps its kind: they were checked against it
    (a village's parent is a township), and their townships rest on it.
    """
    unknown = set(changes) - set(PLACE_FIELDS)
    if unknown:
        raise ValidationError(
            _("这些字段不能在此修改：%(fields)s")
            % {"fields": "、".join(sorted(unknown))}
        )
    _refuse_unless_places(actor)
    with transaction.atomic():
        current = Place.objects.select_for_update().get(pk=place.pk)
        before = _place_data(current)
        for name, value in changes.items():
            setattr(current, name, value)
        if current.kind != before["kind"] and current.children.exists():
            raise ValidationError(
                {"kind": [_("该地方下辖还有其他地方，不能更改类型。")]}
            )
        current.township_id = current.derived_township_id()
        current.full_clean()
        after = _place_data(current)
        changed = [name for name in before if before[name] != after[name]]
        if not changed:
            return current
        current.save(update_fields=[*PLACE_FIELDS, "township"])
        audit_record(
            subject=current,
            actor=actor,
            verb="place_update",
            data={
                "before": {name: before[name] for name in changed},
                "after": {name: after[name] for name in changed},
            },
        )
    return current


def _refuse_unless_roles(actor, place: Place) -> None:
    if not may_manage_roles(actor, place):
        raise PermissionDenied(_("只有本镇的管理员才能授予或撤销角色。"))


def _refuse_unless_rosters(actor, platform: Platform) -> None:
    if not may_manage_rosters(actor, platform):
        raise PermissionDenied(_("您无权管理这个平台的名册。"))


def role_grant(*, actor, user, place: Place, role: str) -> RoleGrant:
    _refuse_unless_roles(actor, place)
    if role not in ROLE_PERMISSIONS:
        raise ValidationError(_("未知的角色。"))
    if place.kind not in ROLE_PLACE_KINDS[role]:
        raise ValidationError(
            _("角色“%(role)s”不能授予在%(place)s。")
            % {"role": Role(role).label, "place": place.name}
        )
    with transaction.atomic():
        grant, created = RoleGrant.objects.get_or_create(
            user=user, place=place, role=role, defaults={"granted_by": actor}
        )
        if created:
            group = _sync_group(place, role)
            user.groups.add(group)
            forget_place_perms(user)
            audit_record(
                subject=grant, actor=actor, verb="role_grant", data={"role": role}
            )
    return grant


def role_revoke(*, actor, grant: RoleGrant) -> None:
    _refuse_unless_roles(actor, grant.place)
    with transaction.atomic():
        group = Group.objects.filter(name=group_name(grant.place.code, grant.role))
        grant.user.groups.remove(*group)
        forget_place_perms(grant.user)
        audit_record(
            subject=grant, actor=actor, verb="role_revoke", data={"role": grant.role}
        )
        grant.delete()


def persons_for_users(users) -> list[Person]:
    """The person record behind each account, created in bulk on first need."""
    by_pk = {user.pk: user for user in users}
    found = {p.user_id: p for p in Person.objects.filter(user_id__in=list(by_pk))}
    missing = [user for pk, user in by_pk.items() if pk not in found]
    if missing:
        # ignore_conflicts: a concurrent request may create the same person.
        Person.objects.bulk_create(
            [
                Person(
                    user=user,
                    name=user.get_full_name() or user.get_username(),
                    email=user.email or "",
                )
                for user in missing
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        created = Person.objects.filter(user_id__in=[u.pk for u in missing])
        found.update({p.user_id: p for p in created})
    return [found[pk] for pk in by_pk]


def person_for_user(user) -> Person:
    """The person record behind an account, created on first need."""
    return persons_for_users([user])[0]


def _most_at_once(memberships: list[Membership], start) -> int:
    """The most of these memberships in force on one day from ``start`` on."""
    # The count only rises on a day a term begins, so those days suffice.
    days = {start} | {m.term_start for m in memberships if m.term_start > start}
    return max(
        sum(
            1
            for m in memberships
            if m.term_start <= day and (m.term_end is None or day <= m.term_end)
        )
        for day in days
    )


def _check_roster_fits(membership: Membership) -> None:
    """The roster stays within its size and holds a person once per term (§八)."""
    platform = membership.platform
    term_start, term_end = membership.term_start, membership.term_end
    overlapping = platform.memberships.exclude(term_end__lt=term_start)
    if term_end is not None:
        overlapping = overlapping.filter(term_start__lte=term_end)
    if membership.pk is not None:
        overlapping = overlapping.exclude(pk=membership.pk)
    overlapping = list(overlapping)
    if platform.max_members is not None and (
        _most_at_once(overlapping, term_start) >= platform.max_members
    ):
        raise ValidationError(
            _("%(platform)s的成员已达上限（%(max)d 名）。")
            % {"platform": platform.name, "max": platform.max_members}
        )
    if any(m.person_id == membership.person_id for m in overlapping):
        raise ValidationError(_("该人员在这段任期内已在本平台名册中。"))


def membership_add(
    *,
    actor,
    platform: Platform,
    person: Person,
    category: str,
    term_start,
    term_end=None,
    position: str = "",
    appointed_by: str = "",
    appointed_on=None,
) -> Membership:
    """Put a person on a platform's roster, refusing to exceed its size (§八).

    The roster is checked over the whole new term, not just today: the next
    term's roster is often entered before the current one ends, and a member
    appointed from a later date must still fit on that date.
    """
    _refuse_unless_rosters(actor, platform)
    membership = Membership(
        platform=platform,
        person=person,
        category=category,
        position=position,
        term_start=term_start,
        term_end=term_end,
        appointed_by=appointed_by,
        appointed_on=appointed_on,
    )
    with transaction.atomic():
        Platform.objects.select_for_update().get(pk=platform.pk)
        membership.full_clean()
        _check_roster_fits(membership)
        membership.save()
        audit_record(
            subject=platform,
            actor=actor,
            verb="membership_add",
            data={"person": person.pk, "category": category},
        )
    return membership


def membership_update(*, actor, membership: Membership, **changes) -> Membership:
    """Change a roster entry's category, position, term or appointment.

    Platform and person stay (a different person is a new membership); the
    size rule is checked again over the changed term, and the change is
    audited on the platform with its before and after values.
    """
    unknown = set(changes) - set(MEMBERSHIP_FIELDS)
    if unknown:
        raise ValidationError(
            _("这些字段不能在此修改：%(fields)s")
            % {"fields": "、".join(sorted(unknown))}
        )
    platform = membership.platform
    _refuse_unless_rosters(actor, platform)
    with transaction.atomic():
        Platform.objects.select_for_update().get(pk=platform.pk)
        current = Membership.objects.get(pk=membership.pk)
        before = {name: getattr(current, name) for name in changes}
        changed = [name for name, value in changes.items() if before[name] != value]
        if not changed:
            return current
        for name in changed:
            setattr(current, name, changes[name])
        current.full_clean()
        _check_roster_fits(current)
        current.save(update_fields=changed)
        audit_record(
            subject=platform,
            actor=actor,
            verb="membership_update",
            record=current,
            data={
                "person": current.person_id,
                "before": {name: _plain(before[name]) for name in changed},
                "after": {name: _plain(changes[name]) for name in changed},
            },
        )
    return current


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
