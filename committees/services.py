"""Writes to the organisation: role grants and rosters."""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, get_perms_for_model, remove_perm

from core.audit import audit_record

from .models import Membership, Person, Place, Platform, Role, RoleGrant
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
            audit_record(
                subject=grant, actor=actor, verb="role_grant", data={"role": role}
            )
    return grant


def role_revoke(*, actor, grant: RoleGrant) -> None:
    with transaction.atomic():
        group = Group.objects.filter(name=group_name(grant.place.code, grant.role))
        grant.user.groups.remove(*group)
        audit_record(
            subject=grant, actor=actor, verb="role_revoke", data={"role": grant.role}
        )
        grant.delete()


def person_for_user(user) -> Person:
    """The person record behind an account, created on first need."""
    person = Person.objects.filter(user=user).first()
    if person is None:
        person = Person.objects.create(
            user=user,
            name=user.get_full_name() or user.get_username(),
            email=user.email or "",
        )
    return person


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
    """Put a person on a platform's roster, refusing to exceed its size (§八)."""
    with transaction.atomic():
        Platform.objects.select_for_update().get(pk=platform.pk)
        today = timezone.localdate()
        current = platform.memberships.filter(term_start__lte=today).exclude(
            term_end__lt=today
        )
        if platform.max_members is not None and current.count() >= (
            platform.max_members
        ):
            raise ValidationError(
                _("%(platform)s的成员已达上限(%(max)d 名)。")
                % {"platform": platform.name, "max": platform.max_members}
            )
        if current.filter(person=person).exists():
            raise ValidationError(_("该人员已在本平台的现任名册中。"))
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
        membership.full_clean()
        membership.save()
        audit_record(
            subject=platform,
            actor=actor,
            verb="membership_add",
            data={"person": person.pk, "category": category},
        )
    return membership
