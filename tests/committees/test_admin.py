"""The admin: every page opens; grants and rosters are written by the services."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from committees.models import (
    Body,
    Membership,
    Person,
    Place,
    Platform,
    PlatformKind,
    Role,
    RoleGrant,
)
from committees.permissions import forget_place_perms
from core.models import AuditEvent
from tests.factories import (
    PersonFactory,
    PlatformFactory,
    TopicFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)
from topics import selectors
from topics.models import StepLimit, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def admin_url(model, view: str, *args) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def test_every_registered_changelist_opens(admin_client):
    village = VillageFactory()
    TopicFactory(place=village)
    user_with_role(Role.VILLAGE_CLERK, village)
    for model in admin.site._registry:
        response = admin_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, model


def test_change_pages_of_the_organisation_and_topics_open(admin_client):
    village = VillageFactory()
    topic = TopicFactory(place=village)
    grant = user_with_role(Role.VILLAGE_CLERK, village).role_grants.get()
    platform = PlatformFactory(place=village.parent)
    membership = Membership.objects.create(
        platform=platform,
        person=PersonFactory(),
        category="masses",
        term_start=datetime.date(2025, 1, 1),
    )
    limit = StepLimit.objects.create(
        place=village, state="preparing", max_days=10, remind_before_days=2
    )
    for obj in (
        village,
        topic.body,
        platform,
        membership.person,
        membership,
        grant,
        topic,
        limit,
    ):
        response = admin_client.get(admin_url(type(obj), "change", obj.pk))
        assert response.status_code == 200, obj
    page = admin_client.get(admin_url(Topic, "change", topic.pk)).content.decode()
    assert reverse("topics:detail", args=[topic.pk]) in page
    roster = admin_client.get(admin_url(Platform, "change", platform.pk))
    assert membership.person.name in roster.content.decode()
    assert f"{admin_url(Membership, 'add')}?platform={platform.pk}" in (
        roster.content.decode()
    )


@pytest.mark.parametrize(
    "model", [Place, Body, Platform, Person, Membership, RoleGrant, StepLimit]
)
def test_add_pages_open(admin_client, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 200


def test_adding_a_role_grant_goes_through_the_service(admin_client, superuser):
    village = VillageFactory()
    topic = TopicFactory(place=village)
    user = UserFactory()
    browser = Client()
    browser.force_login(user)
    detail = reverse("topics:detail", args=[topic.pk])
    assert browser.get(detail).status_code == 404
    response = admin_client.post(
        admin_url(RoleGrant, "add"),
        {"user": user.pk, "place": village.pk, "role": Role.VILLAGE_CLERK},
    )
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=user)
    assert (grant.place, grant.role, grant.granted_by) == (
        village,
        Role.VILLAGE_CLERK,
        superuser,
    )
    assert user.groups.filter(name=f"{village.code}:village_clerk").exists()
    assert browser.get(detail).status_code == 200
    event = AuditEvent.objects.for_subject(grant).get()
    assert (event.verb, event.actor) == ("role_grant", superuser)


def test_a_role_grant_for_the_wrong_kind_of_place_is_refused_on_the_form(
    admin_client,
):
    township = TownshipFactory()
    user = UserFactory()
    response = admin_client.post(
        admin_url(RoleGrant, "add"),
        {"user": user.pk, "place": township.pk, "role": Role.VILLAGE_CLERK},
    )
    assert response.status_code == 200
    assert "不能授予在" in response.content.decode()
    assert not RoleGrant.objects.exists()
    assert not user.groups.exists()


def test_a_duplicate_role_grant_is_refused_on_the_form(admin_client):
    village = VillageFactory()
    user = user_with_role(Role.VILLAGE_CLERK, village)
    response = admin_client.post(
        admin_url(RoleGrant, "add"),
        {"user": user.pk, "place": village.pk, "role": Role.VILLAGE_CLERK},
    )
    assert response.status_code == 200
    assert "已有这一角色" in response.content.decode()
    assert RoleGrant.objects.count() == 1


def test_existing_role_grants_cannot_be_changed(admin_client):
    village = VillageFactory()
    grant = user_with_role(Role.VILLAGE_CLERK, village).role_grants.get()
    response = admin_client.post(
        admin_url(RoleGrant, "change", grant.pk),
        {"user": grant.user_id, "place": village.pk, "role": Role.VILLAGE_SECRETARY},
    )
    assert response.status_code == 403
    grant.refresh_from_db()
    assert grant.role == Role.VILLAGE_CLERK


def test_deleting_a_role_grant_revokes_it_through_the_service(admin_client):
    village = VillageFactory()
    TopicFactory(place=village)
    user = user_with_role(Role.VILLAGE_CLERK, village)
    grant = user.role_grants.get()
    response = admin_client.post(
        admin_url(RoleGrant, "delete", grant.pk), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not RoleGrant.objects.exists()
    assert not user.groups.exists()
    forget_place_perms(user)
    assert not selectors.visible_topics(user).exists()
    assert AuditEvent.objects.filter(verb="role_revoke").count() == 1


def test_bulk_deleting_role_grants_revokes_each(admin_client):
    village = VillageFactory()
    users = [user_with_role(Role.VILLAGE_CLERK, village) for _ in range(2)]
    keep = user_with_role(Role.VILLAGE_SECRETARY, village)
    response = admin_client.post(
        admin_url(RoleGrant, "changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [u.role_grants.get().pk for u in users],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert list(RoleGrant.objects.values_list("user", flat=True)) == [keep.pk]
    assert not Group.objects.filter(user__in=users).exists()
    assert keep.groups.exists()
    assert AuditEvent.objects.filter(verb="role_revoke").count() == 2


def membership_data(platform, person, **overrides) -> dict:
    data = {
        "platform": platform.pk,
        "person": person.pk,
        "category": "masses",
        "position": "",
        "term_start": "2025-01-01",
        "term_end": "",
        "appointed_by": "镇党委",
        "appointed_on": "",
    }
    data.update(overrides)
    return data


def test_adding_a_member_goes_through_the_roster_service(admin_client, superuser):
    platform = PlatformFactory()
    person = PersonFactory()
    response = admin_client.post(
        admin_url(Membership, "add"), membership_data(platform, person)
    )
    assert response.status_code == 302
    membership = Membership.objects.get()
    assert (membership.platform, membership.person) == (platform, person)
    event = AuditEvent.objects.for_subject(platform).get()
    assert (event.verb, event.actor) == ("membership_add", superuser)


def test_a_full_roster_is_refused_on_the_form(admin_client):
    platform = PlatformFactory(kind=PlatformKind.TOWN_COMMITTEE)
    for person in PersonFactory.create_batch(platform.max_members):
        Membership.objects.create(
            platform=platform,
            person=person,
            category="masses",
            term_start=datetime.date(2024, 1, 1),
        )
    response = admin_client.post(
        admin_url(Membership, "add"), membership_data(platform, PersonFactory())
    )
    assert response.status_code == 200
    assert "成员已达上限" in response.content.decode()
    assert Membership.objects.count() == platform.max_members
    assert not AuditEvent.objects.for_subject(platform).exists()


def test_topics_are_read_only_in_the_admin(admin_client):
    topic = TopicFactory(title="原标题")
    assert admin_client.get(admin_url(Topic, "add")).status_code == 403
    response = admin_client.post(
        admin_url(Topic, "change", topic.pk), {"title": "新标题"}
    )
    assert response.status_code == 403
    deleted = admin_client.post(admin_url(Topic, "delete", topic.pk), {"post": "yes"})
    assert deleted.status_code == 403
    topic.refresh_from_db()
    assert topic.title == "原标题"
    assert Topic.objects.filter(pk=topic.pk).exists()


def test_step_limits_are_editable_in_the_admin(admin_client):
    village = VillageFactory()
    response = admin_client.post(
        admin_url(StepLimit, "add"),
        {
            "place": village.pk,
            "state": "preparing",
            "max_days": 12,
            "remind_before_days": 3,
        },
    )
    assert response.status_code == 302
    assert StepLimit.objects.get().max_days == 12


def test_place_codes_are_fixed_once_created(admin_client):
    township = TownshipFactory(code="oldcode")
    response = admin_client.post(
        admin_url(type(township), "change", township.pk),
        {"kind": "township", "name": "新名称", "code": "newcode", "parent": ""},
    )
    assert response.status_code == 302
    township.refresh_from_db()
    assert (township.name, township.code) == ("新名称", "oldcode")
