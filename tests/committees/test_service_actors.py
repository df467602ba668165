"""Writes to the organisation check their actor, go through services, and audit.

Issue 8 part 5 and issue 7 item 3: role grants and rosters are written by the
township's administrator (or the system, or a superuser); a place group gives
nothing without its RoleGrant; a change to the role table reaches the groups
after ``migrate``.
"""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from guardian.shortcuts import get_perms

from committees import roles
from committees.models import Membership, PlatformKind, Role, RoleGrant
from committees.permissions import (
    forget_place_perms,
    has_place_perm,
    place_perm_holders,
    place_perms,
)
from committees.services import (
    membership_add,
    membership_update,
    role_grant,
    role_groups_sync,
    role_revoke,
)
from core.models import AuditEvent
from tests.factories import (
    PersonFactory,
    PlatformFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

TERM = datetime.date(2026, 1, 1)


@pytest.fixture
def township():
    return TownshipFactory()


@pytest.fixture
def village(township):
    return VillageFactory(parent=township)


def _actor(kind: str, township, village):
    other_township = TownshipFactory()
    return {
        "system": lambda: None,
        "superuser": lambda: UserFactory(is_superuser=True, is_staff=True),
        "administrator": lambda: user_with_role(Role.ADMINISTRATOR, township),
        "other_administrator": lambda: user_with_role(
            Role.ADMINISTRATOR, other_township
        ),
        "township_secretary": lambda: user_with_role(Role.TOWNSHIP_SECRETARY, township),
        "village_secretary": lambda: user_with_role(Role.VILLAGE_SECRETARY, village),
        "plain_user": lambda: UserFactory(),
        "inactive_superuser": lambda: UserFactory(is_superuser=True, is_active=False),
    }[kind]()


ACTORS = {
    "system": True,
    "superuser": True,
    "administrator": True,
    "other_administrator": False,
    "township_secretary": False,
    "village_secretary": False,
    "plain_user": False,
    "inactive_superuser": False,
}


@pytest.mark.parametrize("place_kind", ["township", "village"])
@pytest.mark.parametrize(("kind", "allowed"), ACTORS.items())
def test_role_grant_and_revoke_matrix(township, village, place_kind, kind, allowed):
    actor = _actor(kind, township, village)
    place = township if place_kind == "township" else village
    role = Role.MEMBER
    user = UserFactory()
    if not allowed:
        with pytest.raises(PermissionDenied):
            role_grant(actor=actor, user=user, place=place, role=role)
        assert not RoleGrant.objects.filter(user=user).exists()
        assert not user.groups.exists()
        grant = role_grant(actor=None, user=user, place=place, role=role)
        with pytest.raises(PermissionDenied):
            role_revoke(actor=actor, grant=grant)
        assert RoleGrant.objects.filter(pk=grant.pk).exists()
        assert [e.verb for e in AuditEvent.objects.for_subject(grant)] == ["role_grant"]
        return
    grant = role_grant(actor=actor, user=user, place=place, role=role)
    role_revoke(actor=actor, grant=grant)
    assert not RoleGrant.objects.filter(user=user).exists()


@pytest.mark.parametrize(("kind", "allowed"), ACTORS.items())
def test_roster_writes_matrix(township, village, kind, allowed):
    """manage_rosters on the platform's township is what lets a user edit it."""
    actor = _actor(kind, township, village)
    platform = PlatformFactory(place=village, kind=PlatformKind.VILLAGE_COUNCIL)
    person = PersonFactory()
    existing = membership_add(
        actor=None,
        platform=platform,
        person=PersonFactory(),
        category="masses",
        term_start=TERM,
    )
    events_before = AuditEvent.objects.for_subject(platform).count()
    if not allowed:
        with pytest.raises(PermissionDenied):
            membership_add(
                actor=actor,
                platform=platform,
                person=person,
                category="masses",
                term_start=TERM,
            )
        with pytest.raises(PermissionDenied):
            membership_update(actor=actor, membership=existing, position="主任")
        assert platform.memberships.count() == 1
        existing.refresh_from_db()
        assert existing.position == ""
        assert AuditEvent.objects.for_subject(platform).count() == events_before
        return
    membership_add(
        actor=actor,
        platform=platform,
        person=person,
        category="masses",
        term_start=TERM,
    )
    membership_update(actor=actor, membership=existing, position="主任")
    existing.refresh_from_db()
    assert existing.position == "主任"
    assert AuditEvent.objects.for_subject(platform).count() == events_before + 2


def test_manage_rosters_is_the_permission_checked(township, village, monkeypatch):
    """Without manage_rosters in its role, the administrator may not edit rosters."""
    monkeypatch.setitem(
        roles.ROLE_PERMISSIONS,
        Role.ADMINISTRATOR,
        roles.ROLE_PERMISSIONS[Role.ADMINISTRATOR] - {roles.ROSTERS},
    )
    admin = user_with_role(Role.ADMINISTRATOR, township)
    platform = PlatformFactory(place=village, kind=PlatformKind.VILLAGE_COUNCIL)
    with pytest.raises(PermissionDenied):
        membership_add(
            actor=admin,
            platform=platform,
            person=PersonFactory(),
            category="masses",
            term_start=TERM,
        )


# -- membership_update ------------------------------------------------------------


@pytest.fixture
def full_committee(township):
    """A township committee at its maximum from 2026; one seat ends in 2026."""
    platform = PlatformFactory(place=township, kind=PlatformKind.TOWN_COMMITTEE)
    members = [
        membership_add(
            actor=None,
            platform=platform,
            person=PersonFactory(),
            category="masses",
            term_start=TERM,
            term_end=datetime.date(2028, 12, 31),
        )
        for _ in range(platform.max_members - 1)
    ]
    leaving = membership_add(
        actor=None,
        platform=platform,
        person=PersonFactory(),
        category="masses",
        term_start=TERM,
        term_end=datetime.date(2026, 6, 30),
    )
    successor = membership_add(
        actor=None,
        platform=platform,
        person=PersonFactory(),
        category="masses",
        term_start=datetime.date(2026, 7, 1),
    )
    return platform, members, leaving, successor


def test_update_refuses_a_term_that_overfills_the_roster(full_committee):
    platform, _members, leaving, _successor = full_committee
    events = AuditEvent.objects.for_subject(platform).count()
    with pytest.raises(ValidationError, match="成员已达上限"):
        membership_update(
            actor=None, membership=leaving, term_end=datetime.date(2026, 12, 31)
        )
    leaving.refresh_from_db()
    assert leaving.term_end == datetime.date(2026, 6, 30)
    assert AuditEvent.objects.for_subject(platform).count() == events


def test_update_within_the_size_is_audited_with_before_and_after(full_committee):
    platform, _members, leaving, _successor = full_committee
    admin = UserFactory(is_superuser=True)
    membership_update(
        actor=admin,
        membership=leaving,
        term_end=datetime.date(2026, 3, 31),
        category="expert",
    )
    leaving.refresh_from_db()
    assert (leaving.term_end, leaving.category) == (
        datetime.date(2026, 3, 31),
        "expert",
    )
    event = AuditEvent.objects.for_subject(platform).order_by("-seq").first()
    assert (event.verb, event.actor) == ("membership_update", admin)
    assert event.record_id == leaving.pk
    assert event.data["before"] == {"term_end": "2026-06-30", "category": "masses"}
    assert event.data["after"] == {"term_end": "2026-03-31", "category": "expert"}


def test_an_unchanged_update_writes_nothing(full_committee):
    platform, _members, leaving, _successor = full_committee
    events = AuditEvent.objects.for_subject(platform).count()
    membership_update(actor=None, membership=leaving, position="")
    assert AuditEvent.objects.for_subject(platform).count() == events


def test_update_refuses_an_end_before_the_start(full_committee):
    _platform, _members, leaving, _successor = full_committee
    with pytest.raises(ValidationError):
        membership_update(
            actor=None, membership=leaving, term_end=datetime.date(2025, 1, 1)
        )


def test_update_refuses_platform_or_person_changes(full_committee):
    _platform, _members, leaving, _successor = full_committee
    with pytest.raises(ValidationError):
        membership_update(actor=None, membership=leaving, person=PersonFactory())


# -- the gate reads RoleGrants ------------------------------------------------------


def test_a_place_group_without_a_grant_gives_nothing(village):
    """Put into a role group by hand (say, the admin's user page): no role."""
    holder = user_with_role(Role.VILLAGE_SECRETARY, village)
    group = Group.objects.get(name=f"{village.code}:{Role.VILLAGE_SECRETARY}")
    intruder = UserFactory()
    intruder.groups.add(group)
    forget_place_perms(intruder)
    assert place_perms(intruder) == {}
    assert not has_place_perm(intruder, "approve_topics", village.pk)
    assert place_perm_holders("approve_topics", {village.pk}) == {village.pk: [holder]}
    assert has_place_perm(holder, "approve_topics", village.pk)


def test_the_grant_for_another_place_does_not_count(township, village):
    """A grant elsewhere does not cover membership of this place's group."""
    user = user_with_role(Role.VILLAGE_SECRETARY, VillageFactory(parent=township))
    user.groups.add(
        Group.objects.get_or_create(name=f"{village.code}:village_secretary")[0]
    )
    role_grant(actor=None, user=UserFactory(), place=village, role="village_secretary")
    forget_place_perms(user)
    assert not has_place_perm(user, "approve_topics", village.pk)


# -- role table changes reach the groups ------------------------------------------


def test_migrate_resyncs_the_place_groups_when_a_role_changes(village, monkeypatch):
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    group = Group.objects.get(name=f"{village.code}:{Role.VILLAGE_CLERK}")
    assert "approve_topics" not in get_perms(group, village)
    monkeypatch.setitem(
        roles.ROLE_PERMISSIONS,
        Role.VILLAGE_CLERK,
        (roles.ROLE_PERMISSIONS[Role.VILLAGE_CLERK] | {"approve_topics"})
        - {"run_topics"},
    )

    call_command("migrate", verbosity=0)

    assert "approve_topics" in get_perms(group, village)
    assert "run_topics" not in get_perms(group, village)
    forget_place_perms(clerk)
    assert has_place_perm(clerk, "approve_topics", village.pk)
    assert role_groups_sync() == 0


def test_resync_creates_a_missing_group_permission_set(village):
    user_with_role(Role.VILLAGE_CLERK, village)
    group = Group.objects.get(name=f"{village.code}:{Role.VILLAGE_CLERK}")
    from guardian.shortcuts import remove_perm

    remove_perm("committees.view_topics", group, village)
    assert role_groups_sync() == 1
    assert "view_topics" in get_perms(group, village)


# -- admin: place groups belong to the role services --------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_user_admin_does_not_offer_place_groups_and_keeps_them(admin_client, village):
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    staff_group = Group.objects.create(name="统计人员")
    url = reverse("admin:auth_user_change", args=[clerk.pk])
    page = admin_client.get(url)
    choices = {
        str(g.pk) for g in page.context["adminform"].form.fields["groups"].queryset
    }
    assert str(staff_group.pk) in choices
    place_group = clerk.groups.get()
    assert str(place_group.pk) not in choices
    secretary_group = Group.objects.get_or_create(
        name=f"{village.code}:{Role.VILLAGE_SECRETARY}"
    )[0]
    data = {
        "username": clerk.username,
        "password": clerk.password,
        "is_active": "on",
        "groups": [staff_group.pk, secretary_group.pk],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }
    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert not clerk.groups.filter(pk=secretary_group.pk).exists()
    data["groups"] = [staff_group.pk]
    saved = admin_client.post(url, data)
    assert saved.status_code == 302
    assert set(clerk.groups.values_list("name", flat=True)) == {
        "统计人员",
        place_group.name,
    }


def test_group_admin_hides_place_groups(admin_client, village):
    user_with_role(Role.VILLAGE_CLERK, village)
    Group.objects.create(name="统计人员")
    page = admin_client.get(reverse("admin:auth_group_changelist"))
    names = [g.name for g in page.context["cl"].result_list]
    assert names == ["统计人员"]
    place_group = Group.objects.get(name=f"{village.code}:{Role.VILLAGE_CLERK}")
    hidden = admin_client.get(reverse("admin:auth_group_change", args=[place_group.pk]))
    assert hidden.status_code == 302


def test_membership_change_in_admin_goes_through_the_service(
    admin_client, full_committee
):
    platform, _members, leaving, _successor = full_committee
    url = reverse("admin:committees_membership_change", args=[leaving.pk])
    data = {
        "category": "masses",
        "position": "",
        "term_end": "2026-12-31",
        "appointed_by": "",
        "appointed_on": "",
    }
    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert "成员已达上限" in refused.content.decode()
    leaving.refresh_from_db()
    assert leaving.term_end == datetime.date(2026, 6, 30)
    data["term_end"] = "2026-05-31"
    data["position"] = "委员"
    assert admin_client.post(url, data).status_code == 302
    leaving.refresh_from_db()
    assert (leaving.term_end, leaving.position) == (datetime.date(2026, 5, 31), "委员")
    event = AuditEvent.objects.for_subject(platform).order_by("-seq").first()
    assert event.verb == "membership_update"


def test_admin_refuses_a_roster_edit_without_the_right(client, village):
    staff = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="committees", codename__endswith="membership"
        )
    )
    client.force_login(staff)
    platform = PlatformFactory(place=village, kind=PlatformKind.VILLAGE_COUNCIL)
    response = client.post(
        reverse("admin:committees_membership_add"),
        {
            "platform": platform.pk,
            "person": PersonFactory().pk,
            "category": "masses",
            "term_start": "2026-01-01",
        },
    )
    assert response.status_code == 200
    assert "无权管理这个平台的名册" in response.content.decode()
    assert not Membership.objects.exists()
