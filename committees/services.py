"""Writes to the organisation: role grants and rosters."""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, get_perms_for_model, remove_perm

from core.audit import audit_record

from .models import Membership, Person, Place, Platform, Role, RoleGrant
from .permissions import forget_place_perms
from .roles import ROLE_PERMISSIONS, ROLE_PLACE_KINDS, group_name


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


def role_grant(*, actor, user, place: Place, role: str) -> RoleGrant:
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
        overlapping = platform.memberships.exclude(term_end__lt=term_start)
        if term_end is not None:
            overlapping = overlapping.filter(term_start__lte=term_end)
        overlapping = list(overlapping)
        if platform.max_members is not None and (
            _most_at_once(overlapping, term_start) >= platform.max_members
        ):
            raise ValidationError(
                _("%(platform)s的成员已达上限(%(max)d 名)。")
                % {"platform": platform.name, "max": platform.max_members}
            )
        if any(m.person_id == person.pk for m in overlapping):
            raise ValidationError(_("该人员在这段任期内已在本平台名册中。"))
        membership.save()
        audit_record(
            subject=platform,
            actor=actor,
            verb="membership_add",
            data={"person": person.pk, "category": category},
        )
    return membership
