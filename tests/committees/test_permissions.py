"""The place-permission gate: what a user holds where, read once and cached."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from committees import roles
from committees.models import Role
from committees.permissions import (
    forget_place_perms,
    has_place_perm,
    place_perm_holders,
    place_perms,
    places_with_perm,
)
from committees.services import role_grant, role_revoke
from tests.factories import TownshipFactory, UserFactory, VillageFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as a new request would load it: no cached permissions."""
    return type(user).objects.get(pk=user.pk)


def grant(user, role, place):
    role_grant(actor=None, user=user, place=place, role=role)


def queries_of_first_call(user) -> int:
    user = fresh(user)
    with CaptureQueriesContext(connection) as ctx:
        place_perms(user)
    return len(ctx)


def test_place_perms_maps_each_place_to_its_codenames():
    township = TownshipFactory()
    village = VillageFactory(parent=township)
    user = UserFactory()
    grant(user, Role.TOWNSHIP_DEPUTY, township)
    grant(user, Role.MEMBER, village)
    grant(user, Role.RESIDENT, township)

    assert place_perms(fresh(user)) == {
        township.pk: frozenset(
            {"view_topics", "draft_topics", "revise_topics", "run_topics"}
            | {"view_village_topics"}
        )
    }


def test_two_roles_on_one_place_add_up():
    village = VillageFactory()
    user = UserFactory()
    grant(user, Role.VILLAGE_CLERK, village)
    grant(user, Role.VILLAGE_SECRETARY, village)
    assert place_perms(fresh(user))[village.pk] == (
        roles.ROLE_PERMISSIONS[Role.VILLAGE_CLERK]
        | roles.ROLE_PERMISSIONS[Role.VILLAGE_SECRETARY]
    )


def test_the_second_call_costs_no_query(django_assert_num_queries):
    village = VillageFactory()
    user = fresh(UserFactory())
    grant(user, Role.VILLAGE_CLERK, village)
    first = place_perms(user)
    with django_assert_num_queries(0):
        assert place_perms(user) is first
        assert has_place_perm(user, roles.DRAFT, village.pk)
        assert places_with_perm(user, roles.RUN) == {village.pk}


def test_the_first_call_costs_the_same_for_one_role_or_many():
    """One query whatever the number of grants: pages may ask freely."""
    township = TownshipFactory()
    few, many = UserFactory(), UserFactory()
    grant(few, Role.TOWNSHIP_CLERK, township)
    grant(many, Role.TOWNSHIP_SECRETARY, township)
    grant(many, Role.ADMINISTRATOR, township)
    for _ in range(6):
        village = VillageFactory(parent=township)
        grant(many, Role.VILLAGE_SECRETARY, village)
        grant(many, Role.VILLAGE_CLERK, village)

    place_perms(fresh(few))  # warm the content-type cache
    assert queries_of_first_call(few) == queries_of_first_call(many) == 1
    assert len(place_perms(fresh(many))) == 7


def test_a_grant_and_a_revoke_show_at_once_on_the_user_in_hand():
    village = VillageFactory()
    user = fresh(UserFactory())
    assert place_perms(user) == {}
    created = role_grant(actor=None, user=user, place=village, role=Role.VILLAGE_CLERK)
    assert has_place_perm(user, roles.VIEW, village.pk)
    role_revoke(actor=None, grant=created)
    assert place_perms(user) == {}


def test_forget_place_perms_reads_again():
    village = VillageFactory()
    user = fresh(UserFactory())
    place_perms(user)
    grant(fresh(user), Role.VILLAGE_CLERK, village)
    assert place_perms(user) == {}  # still the cached answer
    forget_place_perms(user)
    assert place_perms(user) == {village.pk: roles.ROLE_PERMISSIONS["village_clerk"]}


def test_anonymous_and_inactive_users_hold_nothing(django_assert_num_queries):
    village = VillageFactory()
    user = UserFactory()
    grant(user, Role.VILLAGE_SECRETARY, village)
    user = fresh(user)
    user.is_active = False
    with django_assert_num_queries(0):
        assert place_perms(AnonymousUser()) == {}
        assert place_perms(user) == {}
        assert not has_place_perm(user, roles.VIEW, village.pk)


def test_no_place_means_no_permission(django_assert_num_queries):
    user = fresh(UserFactory())
    with django_assert_num_queries(0):
        assert has_place_perm(user, roles.VIEW, None) is False


def test_places_with_perm_lists_only_places_holding_that_permission():
    township = TownshipFactory()
    village_a = VillageFactory(parent=township)
    village_b = VillageFactory(parent=township)
    user = UserFactory()
    grant(user, Role.TOWNSHIP_CLERK, township)
    grant(user, Role.VILLAGE_SECRETARY, village_a)
    grant(user, Role.MEMBER, village_b)
    user = fresh(user)

    assert places_with_perm(user, roles.VIEW) == {township.pk, village_a.pk}
    assert places_with_perm(user, roles.APPROVE) == {village_a.pk}
    assert places_with_perm(user, roles.VIEW_VILLAGES) == {township.pk}
    assert places_with_perm(user, roles.WITHDRAW_VILLAGES) == set()


def test_place_perm_holders_lists_active_holders_per_place():
    """Who holds a permission where: by role group or a direct grant, active only."""
    town = TownshipFactory()
    a, b = VillageFactory(parent=town), VillageFactory(parent=town)
    secretary_a, secretary_b = UserFactory(), UserFactory()
    grant(secretary_a, Role.VILLAGE_SECRETARY, a)
    grant(secretary_b, Role.VILLAGE_SECRETARY, b)
    clerk_a = UserFactory()
    grant(clerk_a, Role.VILLAGE_CLERK, a)
    direct = UserFactory()
    assign_perm("committees.approve_topics", direct, a)
    retired = UserFactory(is_active=False)
    grant(retired, Role.VILLAGE_SECRETARY, a)

    holders = place_perm_holders(roles.APPROVE, {a.pk})

    assert set(holders) == {a.pk}
    assert {u.pk for u in holders[a.pk]} == {secretary_a.pk, direct.pk}
