"""Role grants and rosters: the writes to the organisation."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import assign_perm, get_perms

from committees import roles
from committees.models import (
    MemberCategory,
    Membership,
    Place,
    PlaceKind,
    PlatformKind,
    Role,
    RoleGrant,
)
from committees.permissions import place_perms
from committees.services import membership_add, role_grant, role_revoke
from core.models import AuditEvent
from tests.factories import (
    BodyFactory,
    PersonFactory,
    PlatformFactory,
    TopicFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)
from topics.selectors import visible_topics

pytestmark = pytest.mark.django_db

UTC8 = datetime.timezone(datetime.timedelta(hours=8))

TOWNSHIP_ROLES = [Role.TOWNSHIP_SECRETARY, Role.TOWNSHIP_DEPUTY, Role.TOWNSHIP_CLERK]
VILLAGE_ROLES = [Role.VILLAGE_SECRETARY, Role.VILLAGE_CLERK]


@pytest.fixture
def township():
    return TownshipFactory(code="zhenx", name="镇X")


@pytest.fixture
def village(township):
    return VillageFactory(parent=township, code="cuna", name="村A")


def place_for(role: str, township: Place, village: Place) -> Place:
    return village if PlaceKind.VILLAGE in roles.ROLE_PLACE_KINDS[role] else township


# -- role_grant -----------------------------------------------------------------


@pytest.mark.parametrize("role", Role.values)
def test_grant_puts_the_user_in_the_place_role_group(role, township, village):
    """One group per (place, role), holding exactly the role's permissions there."""
    place = place_for(role, township, village)
    user = UserFactory()
    admin = user_with_role(Role.ADMINISTRATOR, township)

    grant = role_grant(actor=admin, user=user, place=place, role=role)

    group = Group.objects.get(name=f"{place.code}:{role}")
    assert set(get_perms(group, place)) == set(roles.ROLE_PERMISSIONS[role])
    assert list(user.groups.all()) == [group]
    assert (grant.user, grant.place, grant.role, grant.granted_by) == (
        user,
        place,
        role,
        admin,
    )
    event = AuditEvent.objects.for_subject(grant).get()
    assert (event.verb, event.actor, event.data) == (
        "role_grant",
        admin,
        {"role": role},
    )


@pytest.mark.parametrize("role", Role.values)
def test_role_groups_never_hold_a_model_wide_permission(role, township, village):
    """No model-wide grant: guardian and fsm fall back to those, opening all."""
    place = place_for(role, township, village)
    user = UserFactory()
    role_grant(actor=None, user=user, place=place, role=role)

    assert not Permission.objects.filter(group__user=user).exists()
    assert not user.user_permissions.exists()
    fresh = type(user).objects.get(pk=user.pk)
    for codename in roles.ROLE_PERMISSIONS[role]:
        assert not fresh.has_perm(f"committees.{codename}")
        assert fresh.has_perm(f"committees.{codename}", place)


def test_grants_are_only_on_the_place_granted(township, village):
    """A group's object permissions all point at its own place."""
    sibling = VillageFactory(parent=township)
    user = UserFactory()
    role_grant(actor=None, user=user, place=village, role=Role.VILLAGE_SECRETARY)
    role_grant(actor=None, user=UserFactory(), place=sibling, role=Role.VILLAGE_CLERK)

    rows = GroupObjectPermission.objects.filter(group__user=user)
    assert {row.object_pk for row in rows} == {str(village.pk)}
    assert not UserObjectPermission.objects.exists()
    assert not user.has_perm("committees.view_topics", sibling)


def test_granting_twice_is_one_grant(township):
    user = UserFactory()
    first = role_grant(actor=None, user=user, place=township, role=Role.TOWNSHIP_CLERK)
    again = role_grant(actor=None, user=user, place=township, role=Role.TOWNSHIP_CLERK)
    assert first == again
    assert RoleGrant.objects.filter(user=user).count() == 1
    assert AuditEvent.objects.for_subject(first).count() == 1


def test_second_holder_joins_the_same_group_and_it_stays_exact(township):
    """Re-syncing the group on a new grant removes anything added by hand."""
    first, second = UserFactory(), UserFactory()
    role_grant(actor=None, user=first, place=township, role=Role.TOWNSHIP_CLERK)
    group = Group.objects.get(name=f"{township.code}:{Role.TOWNSHIP_CLERK}")
    assign_perm("committees.approve_topics", group, township)
    role_grant(actor=None, user=second, place=township, role=Role.TOWNSHIP_CLERK)

    assert set(group.user_set.all()) == {first, second}
    assert set(get_perms(group, township)) == set(
        roles.ROLE_PERMISSIONS[Role.TOWNSHIP_CLERK]
    )


@pytest.mark.parametrize("role", VILLAGE_ROLES)
def test_a_village_role_cannot_be_granted_on_a_township(role, township):
    user = UserFactory()
    with pytest.raises(ValidationError) as refused:
        role_grant(actor=None, user=user, place=township, role=role)
    assert refused.value.messages == [
        f"角色“{Role(role).label}”不能授予在{township.name}。"
    ]
    assert not RoleGrant.objects.exists()
    assert not user.groups.exists()


@pytest.mark.parametrize("role", [*TOWNSHIP_ROLES, Role.ADMINISTRATOR])
def test_a_township_role_cannot_be_granted_on_a_village(role, village):
    user = UserFactory()
    with pytest.raises(ValidationError) as refused:
        role_grant(actor=None, user=user, place=village, role=role)
    assert refused.value.messages == [
        f"角色“{Role(role).label}”不能授予在{village.name}。"
    ]
    assert not RoleGrant.objects.exists()


def test_an_unknown_role_is_refused(township):
    with pytest.raises(ValidationError) as refused:
        role_grant(actor=None, user=UserFactory(), place=township, role="mayor")
    assert refused.value.messages == ["未知的角色。"]


# -- role_revoke ----------------------------------------------------------------


def test_revoke_removes_access_at_once(village):
    """After a revoke the user sees nothing more, even through the object in hand."""
    user = UserFactory()
    grant = role_grant(actor=None, user=user, place=village, role=Role.VILLAGE_CLERK)
    topic = TopicFactory(place=village, body=BodyFactory(place=village))
    assert list(visible_topics(user)) == [topic]

    role_revoke(actor=None, grant=grant)

    assert place_perms(user) == {}
    assert not visible_topics(user).exists()
    fresh = type(user).objects.get(pk=user.pk)
    assert place_perms(fresh) == {}
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    assert not fresh.groups.exists()


def test_revoke_is_audited_on_the_grant(village):
    admin = user_with_role(Role.ADMINISTRATOR, village.parent)
    grant = role_grant(
        actor=admin, user=UserFactory(), place=village, role=Role.VILLAGE_CLERK
    )
    grant_pk = grant.pk
    role_revoke(actor=admin, grant=grant)
    events = AuditEvent.objects.filter(subject_id=grant_pk).order_by("seq")
    assert [(e.verb, e.actor) for e in events] == [
        ("role_grant", admin),
        ("role_revoke", admin),
    ]


def test_revoke_leaves_other_holders_and_other_roles_alone(township, village):
    """Revoking one grant touches neither another holder nor the user's other role."""
    user, colleague = UserFactory(), UserFactory()
    clerk = role_grant(actor=None, user=user, place=village, role=Role.VILLAGE_CLERK)
    role_grant(actor=None, user=user, place=village, role=Role.MEMBER)
    role_grant(actor=None, user=colleague, place=village, role=Role.VILLAGE_CLERK)
    role_grant(actor=None, user=user, place=township, role=Role.TOWNSHIP_CLERK)

    role_revoke(actor=None, grant=clerk)

    user = type(user).objects.get(pk=user.pk)
    assert place_perms(user) == {
        township.pk: roles.ROLE_PERMISSIONS[Role.TOWNSHIP_CLERK]
    }
    assert place_perms(type(colleague).objects.get(pk=colleague.pk)) == {
        village.pk: roles.ROLE_PERMISSIONS[Role.VILLAGE_CLERK]
    }


def test_a_user_with_roles_in_two_villages_sees_both(township):
    """Two grants add up; a third village stays closed."""
    village_a, village_b, village_c = (VillageFactory(parent=township) for _ in "abc")
    user = UserFactory()
    role_grant(actor=None, user=user, place=village_a, role=Role.VILLAGE_CLERK)
    role_grant(actor=None, user=user, place=village_b, role=Role.VILLAGE_SECRETARY)
    topics = {
        place: TopicFactory(place=place, body=BodyFactory(place=place))
        for place in (village_a, village_b, village_c)
    }

    user = type(user).objects.get(pk=user.pk)
    assert set(visible_topics(user)) == {topics[village_a], topics[village_b]}


# -- membership_add ---------------------------------------------------------------

TODAY = datetime.date(2026, 3, 1)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _today():
    """Roster rules speak of "current" members: fix the day they are judged on."""
    with time_machine.travel(datetime.datetime(2026, 3, 1, 10, 0, tzinfo=UTC8)):
        yield


def fill(platform, n: int, *, term_start=None, term_end=None) -> None:
    Membership.objects.bulk_create(
        Membership(
            platform=platform,
            person=PersonFactory(),
            category=MemberCategory.MASSES,
            term_start=term_start or TODAY - 365 * DAY,
            term_end=term_end,
        )
        for _ in range(n)
    )


def add(platform, person=None, **fields):
    return membership_add(
        actor=None,
        platform=platform,
        person=person or PersonFactory(),
        category=fields.pop("category", MemberCategory.ENTERPRISE),
        term_start=fields.pop("term_start", TODAY),
        **fields,
    )


@pytest.fixture
def committee(township):
    return PlatformFactory(place=township, kind=PlatformKind.TOWN_COMMITTEE)


def test_the_thirtieth_member_of_the_town_committee_is_accepted(committee):
    fill(committee, 29)
    membership = add(committee, position="委员")
    assert membership.pk is not None
    event = AuditEvent.objects.for_subject(committee).get()
    assert event.verb == "membership_add"
    assert event.data == {
        "person": membership.person_id,
        "category": MemberCategory.ENTERPRISE,
    }


@pytest.mark.parametrize(
    "kind", [PlatformKind.TOWN_COMMITTEE, PlatformKind.TOWN_ADVISORY]
)
def test_the_thirty_first_current_member_is_refused(township, kind):
    """Both township platforms hold at most 30 members at a time (§八)."""
    platform = PlatformFactory(place=township, kind=kind)
    fill(platform, 30)
    before = Membership.objects.count()
    with pytest.raises(ValidationError) as refused:
        add(platform)
    assert refused.value.messages == [f"{platform.name}的成员已达上限（30 名）。"]
    assert Membership.objects.count() == before
    assert not AuditEvent.objects.for_subject(platform).exists()


def test_former_members_do_not_count_against_the_limit(committee):
    fill(committee, 29)
    fill(committee, 5, term_start=TODAY - 800 * DAY, term_end=TODAY - DAY)
    assert add(committee).pk is not None


def test_a_member_appointed_from_a_later_date_counts_on_that_date(committee):
    """29 serving + 1 starting next month: one more open-ended member is too many."""
    fill(committee, 29)
    fill(committee, 1, term_start=TODAY + 30 * DAY)
    with pytest.raises(ValidationError) as refused:
        add(committee)
    assert refused.value.messages == [f"{committee.name}的成员已达上限（30 名）。"]


def test_the_next_terms_roster_may_be_entered_before_the_current_ends(committee):
    """换届: 30 members until the end of the month, 30 new ones from the day after."""
    fill(committee, 30, term_end=TODAY + 29 * DAY)
    for _ in range(30):
        add(committee, term_start=TODAY + 30 * DAY)
    with pytest.raises(ValidationError):
        add(committee, term_start=TODAY + 30 * DAY)
    assert committee.memberships.count() == 60


def test_a_short_term_fits_between_two_full_periods(committee):
    """Only the days the new term covers matter."""
    fill(committee, 30, term_start=TODAY - 100 * DAY, term_end=TODAY - DAY)
    fill(committee, 30, term_start=TODAY + 10 * DAY)
    assert add(committee, term_end=TODAY + 9 * DAY).pk is not None
    with pytest.raises(ValidationError):
        add(committee, term_end=TODAY + 10 * DAY)


def test_a_village_council_has_no_upper_limit(village):
    platform = PlatformFactory(place=village, kind=PlatformKind.VILLAGE_COUNCIL)
    fill(platform, 40)
    assert add(platform).pk is not None


def test_a_person_already_on_the_current_roster_is_refused(committee):
    person = PersonFactory()
    add(committee, person, term_start=TODAY - 10 * DAY)
    with pytest.raises(ValidationError) as refused:
        add(committee, person, category=MemberCategory.EXPERT)
    assert refused.value.messages == ["该人员在这段任期内已在本平台名册中。"]
    assert Membership.objects.filter(person=person).count() == 1


def test_a_person_appointed_for_a_later_term_cannot_be_added_twice(committee):
    person = PersonFactory()
    add(committee, person, term_start=TODAY + 30 * DAY)
    with pytest.raises(ValidationError):
        add(committee, person, term_end=TODAY + 30 * DAY)
    assert Membership.objects.filter(person=person).count() == 1


def test_a_member_may_be_appointed_again_for_the_next_term(committee):
    """Former members, and serving members for the term after theirs, are welcome."""
    person = PersonFactory()
    add(committee, person, term_start=TODAY - 800 * DAY, term_end=TODAY - DAY)
    add(committee, person, term_end=TODAY + 99 * DAY)
    assert add(committee, person, term_start=TODAY + 100 * DAY).pk is not None
    assert Membership.objects.filter(person=person).count() == 3


def test_a_term_ending_before_it_starts_is_refused_in_chinese(committee):
    with pytest.raises(ValidationError) as refused:
        add(committee, term_end=TODAY - DAY)
    assert refused.value.messages == ["任期结束日期不能早于任期开始日期。"]
    assert not Membership.objects.exists()


def test_an_unknown_category_is_refused(committee):
    with pytest.raises(ValidationError) as refused:
        add(committee, category="celebrity")
    assert "category" in refused.value.message_dict
    assert not Membership.objects.exists()


@pytest.mark.parametrize("role", list(Role))
def test_no_role_can_be_granted_on_a_county(role):
    """Roles are held in a township or a village; a county grant would see nothing."""
    county = Place.objects.create(kind=PlaceKind.COUNTY, name="某县", code="cty")
    with pytest.raises(ValidationError):
        role_grant(actor=None, user=UserFactory(), place=county, role=role)
    assert not RoleGrant.objects.exists()
