"""A township topic under a county: its forms and task_create stay in the township."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from committees.models import PlaceKind, Role
from committees.services import place_create
from feedback import forms, services
from feedback.models import Task
from tests.factories import (
    PersonFactory,
    TopicFactory,
    TownshipFactory,
    VillageFactory,
    user_with_role,
)
from topics.states import State

from .helpers import today

pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    return place_create(actor=None, kind=PlaceKind.COUNTY, name="某县", code="cty")


@pytest.fixture
def town(county):
    return TownshipFactory(parent=county)


@pytest.fixture
def town_topic(town):
    return TopicFactory(place=town, state=State.FEEDBACK)


@pytest.fixture
def people(county, town):
    return {
        "town": PersonFactory(place=town),
        "village": PersonFactory(place=VillageFactory(parent=town)),
        "county": PersonFactory(place=county),
        "other_town": PersonFactory(place=TownshipFactory(parent=county)),
        "other_village": PersonFactory(place=VillageFactory()),
    }


def test_the_notice_form_of_a_township_topic_offers_no_county(county, town, town_topic):
    village = VillageFactory(parent=town)
    offered = set(forms.NoticeForm(topic=town_topic).fields["places"].queryset)
    assert offered == {town, village}
    assert county not in offered


def test_the_notice_form_of_a_village_topic_offers_it_and_its_township(town):
    village = VillageFactory(parent=town)
    topic = TopicFactory(place=village, state=State.FEEDBACK)
    offered = set(forms.NoticeForm(topic=topic).fields["places"].queryset)
    assert offered == {village, town}


def test_the_task_form_offers_no_county_or_foreign_people(town_topic, people):
    offered = set(forms.TaskForm(topic=town_topic).fields["responsible"].queryset)
    assert people["town"] in offered
    assert not offered & {people["county"], people["other_town"]}


def _task(topic, clerk, person):
    return services.task_create(
        actor=clerk,
        topic_id=topic.pk,
        description="道路加宽施工",
        responsible_id=person.pk,
        deadline=today() + timedelta(days=10),
    )


@pytest.mark.parametrize("who", ["county", "other_town", "other_village"])
def test_task_create_refuses_people_outside_the_township(town, town_topic, people, who):
    clerk = user_with_role(Role.TOWNSHIP_CLERK, town)
    with pytest.raises(ValidationError) as refused:
        _task(town_topic, clerk, people[who])
    assert refused.value.message_dict == {
        "responsible": ["责任人必须是本镇或下辖村的人员。"]
    }
    assert not Task.objects.exists()


@pytest.mark.parametrize("who", ["town", "village"])
def test_task_create_accepts_people_of_the_township(town, town_topic, people, who):
    clerk = user_with_role(Role.TOWNSHIP_CLERK, town)
    assert _task(town_topic, clerk, people[who]).responsible == people[who]


def test_a_village_task_may_name_a_township_person(town, people):
    village = VillageFactory(parent=town)
    topic = TopicFactory(place=village, state=State.FEEDBACK)
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    assert _task(topic, clerk, people["town"]).responsible == people["town"]
    with pytest.raises(ValidationError):
        _task(topic, clerk, people["county"])
