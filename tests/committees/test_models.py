"""Organisation invariants: place hierarchy, bodies, platforms, categories."""

import pytest
from django.core.exceptions import ValidationError

from committees.models import (
    REPRESENTATIVE_CATEGORIES,
    Body,
    BodyKind,
    MemberCategory,
    Place,
    PlaceKind,
    Platform,
    PlatformKind,
    missing_categories,
)
from tests.factories import TownshipFactory, VillageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    return Place.objects.create(kind=PlaceKind.COUNTY, name="某县", code="county")


@pytest.fixture
def township(county):
    return TownshipFactory(parent=county, name="镇X")


@pytest.fixture
def village(township):
    return VillageFactory(parent=township, name="村A")


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        instance.full_clean()
    return refused.value.message_dict


# -- Place ------------------------------------------------------------------------


def test_a_well_formed_hierarchy_is_valid(county, township, village):
    for place in (county, township, village):
        place.full_clean()
    assert TownshipFactory().parent is None
    TownshipFactory().full_clean()  # a township may stand alone


def test_a_village_must_belong_to_a_township():
    assert errors_of(Place(kind=PlaceKind.VILLAGE, name="孤村", code="lone")) == {
        "parent": ["村必须隶属于一个镇。"]
    }


@pytest.mark.parametrize(
    ("kind", "parent_name"),
    [
        (PlaceKind.VILLAGE, "village"),
        (PlaceKind.VILLAGE, "county"),
        (PlaceKind.TOWNSHIP, "township"),
        (PlaceKind.TOWNSHIP, "village"),
        (PlaceKind.COUNTY, "county"),
        (PlaceKind.COUNTY, "township"),
    ],
)
def test_a_place_under_the_wrong_kind_of_parent_is_invalid(
    county, township, village, kind, parent_name
):
    parent = {"county": county, "township": township, "village": village}[parent_name]
    place = Place(kind=kind, name="新地方", code="new", parent=parent)
    assert errors_of(place) == {"parent": ["上级地方的类型不正确。"]}


@pytest.mark.parametrize("kind", ["", "province"])
def test_a_missing_or_unknown_kind_is_a_validation_error(kind):
    """The field reports it; clean() must not crash on it (the admin would 500)."""
    assert "kind" in errors_of(Place(kind=kind, name="某地", code="x"))


def test_place_township_and_is_village(township, village):
    assert village.is_village and not township.is_village
    assert village.township == township
    assert township.township == township


# -- Body -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place_name", "kind", "valid"),
    [
        ("township", BodyKind.TOWN_PARTY, True),
        ("township", BodyKind.TOWN_GOVERNMENT, True),
        ("township", BodyKind.VILLAGE_BRANCH, False),
        ("township", BodyKind.VILLAGE_COMMITTEE, False),
        ("village", BodyKind.VILLAGE_BRANCH, True),
        ("village", BodyKind.VILLAGE_COMMITTEE, True),
        ("village", BodyKind.TOWN_PARTY, False),
        ("village", BodyKind.TOWN_GOVERNMENT, False),
        ("county", BodyKind.TOWN_PARTY, False),
    ],
)
def test_bodies_belong_to_their_level(
    county, township, village, place_name, kind, valid
):
    """镇党委/镇政府 for a township, 村党支部/村委会 for a village (§三)."""
    place = {"county": county, "township": township, "village": village}[place_name]
    body = Body(place=place, kind=kind, name="主体")
    if valid:
        body.full_clean()
    else:
        assert errors_of(body) == {"kind": ["该类型的实施主体不属于这一级地方。"]}


def test_a_body_without_a_place_is_a_validation_error():
    assert "place" in errors_of(Body(kind=BodyKind.VILLAGE_COMMITTEE, name="主体"))


def test_a_place_has_one_body_of_each_kind(village):
    Body.objects.create(place=village, kind=BodyKind.VILLAGE_BRANCH, name="支部")
    duplicate = Body(place=village, kind=BodyKind.VILLAGE_BRANCH, name="又一个")
    assert "__all__" in errors_of(duplicate)


# -- Platform ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place_name", "kind", "valid"),
    [
        ("township", PlatformKind.TOWN_COMMITTEE, True),
        ("township", PlatformKind.TOWN_ADVISORY, True),
        ("township", PlatformKind.VILLAGE_COUNCIL, False),
        ("village", PlatformKind.VILLAGE_COUNCIL, True),
        ("village", PlatformKind.TOWN_COMMITTEE, False),
        ("village", PlatformKind.TOWN_ADVISORY, False),
    ],
)
def test_platforms_belong_to_their_level(township, village, place_name, kind, valid):
    place = {"township": township, "village": village}[place_name]
    platform = Platform(place=place, kind=kind, name="平台")
    if valid:
        platform.full_clean()
    else:
        assert errors_of(platform) == {"kind": ["该平台不属于这一级地方。"]}


@pytest.mark.parametrize("kind", ["", "party_school"])
def test_a_platform_of_unknown_kind_is_a_validation_error(township, kind):
    assert "kind" in errors_of(Platform(place=township, kind=kind, name="平台"))


def test_a_platform_without_a_place_is_a_validation_error():
    platform = Platform(kind=PlatformKind.VILLAGE_COUNCIL, name="平台")
    assert "place" in errors_of(platform)


def test_platform_size_rules():
    """§八: committee 20-30, advisory at most 30, village council unbounded."""
    sizes = {
        kind: (Platform(kind=kind).min_members, Platform(kind=kind).max_members)
        for kind in PlatformKind
    }
    assert sizes == {
        PlatformKind.TOWN_COMMITTEE: (20, 30),
        PlatformKind.TOWN_ADVISORY: (0, 30),
        PlatformKind.VILLAGE_COUNCIL: (0, None),
    }


# -- participant categories -------------------------------------------------------


def test_an_empty_list_lacks_every_representative_category():
    assert missing_categories([]) == list(REPRESENTATIVE_CATEGORIES)
    assert [c.label for c in missing_categories([])] == [
        "党代表",
        "人大代表",
        "政协委员",
        "统一战线代表人士",
        "专业界人士",
        "相关部门代表",
        "群众代表",
        "利益相关方代表",
    ]


def test_two_deputies_and_one_member_count_as_three_categories():
    """An 人大代表 alone does not stand for 党代表 and 政协委员."""
    lacking = missing_categories([MemberCategory.NPC_DEPUTY])
    assert MemberCategory.PARTY_DEPUTY in lacking
    assert MemberCategory.CPPCC_MEMBER in lacking
    assert MemberCategory.NPC_DEPUTY not in lacking


def test_a_broad_list_lacks_nothing_and_extra_sectors_do_not_matter():
    categories = [*REPRESENTATIVE_CATEGORIES, MemberCategory.MERCHANT] * 2
    assert missing_categories(categories) == []


def test_other_sectors_do_not_stand_in_for_the_representative_ones():
    lacking = missing_categories(
        [MemberCategory.MERCHANT, MemberCategory.EXPERT, MemberCategory.MASSES]
    )
    assert MemberCategory.MASSES not in lacking
    assert MemberCategory.PROFESSIONAL in lacking
    assert len(lacking) == 7


def test_missing_categories_accepts_plain_strings():
    """Values read from the database are plain strings, not enum members."""
    assert missing_categories(["masses", "stakeholder"]) == [
        c for c in REPRESENTATIVE_CATEGORIES if c not in ("masses", "stakeholder")
    ]
