"""A place's township: stored, query-free, kept right by the place services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from committees.models import Place, PlaceKind
from committees.services import place_create, place_update
from core.models import AuditEvent
from tests.factories import TownshipFactory, UserFactory, VillageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    return place_create(actor=None, kind=PlaceKind.COUNTY, name="某县", code="cty")


@pytest.fixture
def township(county):
    return TownshipFactory(parent=county, name="镇X")


@pytest.fixture
def village(township):
    return VillageFactory(parent=township, name="村A")


def test_a_township_under_a_county_is_its_own_township(county, township):
    assert township.parent_id == county.pk
    assert township.township_id == township.pk
    assert county.township_id is None


def test_a_villages_township_is_its_parent(township, village):
    assert village.township_id == township.pk
    assert Place.objects.get(pk=village.pk).township_id == township.pk


def test_the_township_of_a_loaded_place_costs_no_query(
    township, village, django_assert_num_queries
):
    loaded = list(Place.objects.filter(pk__in=[township.pk, village.pk]))
    with django_assert_num_queries(0):
        assert {p.township_id for p in loaded} == {township.pk}


def test_moving_a_village_moves_its_township_and_is_audited(county, village):
    other = TownshipFactory(parent=county, name="镇Y")
    moved = place_update(actor=None, place=village, parent=other)
    assert Place.objects.get(pk=village.pk).township_id == other.pk == moved.township_id
    event = AuditEvent.objects.get(verb="place_update", subject_id=village.pk)
    assert event.data["after"]["township"] == other.pk


def test_a_place_with_places_under_it_keeps_its_kind(township, village):
    with pytest.raises(ValidationError) as refused:
        place_update(actor=None, place=township, kind=PlaceKind.VILLAGE)
    assert "kind" in refused.value.message_dict
    assert Place.objects.get(pk=township.pk).kind == PlaceKind.TOWNSHIP


def test_only_a_model_wide_grant_edits_places(township):
    clerk = UserFactory()
    with pytest.raises(PermissionDenied):
        place_update(actor=clerk, place=township, name="改名")
    with pytest.raises(PermissionDenied):
        place_create(actor=clerk, kind=PlaceKind.TOWNSHIP, name="新镇", code="new")


def test_the_database_refuses_a_village_without_its_township(township):
    with pytest.raises(IntegrityError), transaction.atomic():
        Place.objects.create(
            kind=PlaceKind.VILLAGE, name="村B", code="vb", parent=township
        )


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_fills_existing_rows():
    executor = MigrationExecutor(connection)
    before = [("committees", "0004_permission_name_full_width")]
    after = [("committees", "0005_place_township")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("committees", "Place")
    county = old.objects.create(kind="county", name="某县", code="m-c")
    township = old.objects.create(
        kind="township", name="某镇", code="m-t", parent=county
    )
    village = old.objects.create(
        kind="village", name="某村", code="m-v", parent=township
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    found = dict(Place.objects.values_list("pk", "township_id"))
    assert found == {county.pk: None, township.pk: township.pk, village.pk: township.pk}


def test_the_admin_moves_a_village_through_the_service(county, village):
    other = TownshipFactory(parent=county, name="镇Y")
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:committees_place_change", args=[village.pk])
    response = client.post(
        url, {"kind": "village", "name": village.name, "parent": other.pk}
    )
    assert response.status_code == 302
    assert Place.objects.get(pk=village.pk).township_id == other.pk
    assert AuditEvent.objects.filter(verb="place_update").count() == 1


def test_the_admin_adds_a_township_that_is_its_own(county):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:committees_place_add"),
        {"kind": "township", "name": "新镇", "code": "xz", "parent": county.pk},
    )
    assert response.status_code == 302
    added = Place.objects.get(code="xz")
    assert added.township_id == added.pk


def test_the_admin_shows_a_refused_kind_change_at_the_field(township, village):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:committees_place_change", args=[township.pk])
    response = client.post(url, {"kind": "county", "name": township.name, "parent": ""})
    assert response.status_code == 200
    assert "下辖还有其他地方" in response.content.decode()
    assert Place.objects.get(pk=township.pk).kind == PlaceKind.TOWNSHIP
