"""Who may see and do what on consult's pages: role x page, allowed and refused.

Participants reach a topic through their participant record, never through a
place role; residents reach only an online consultation of their place and
public materials.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from committees.models import Role
from consult import services
from consult.models import Session
from tests.factories import UserFactory, VillageFactory, user_with_role

from .conftest import pdf, plan

pytestmark = pytest.mark.django_db

ROLES = [
    "village_clerk",
    "village_secretary",
    "township_clerk",
    "township_secretary",
    "other_village_clerk",
    "participant",
    "resident",
    "no_role",
    "anonymous",
]


@pytest.fixture
def people(village, township, clerk, member):
    return {
        "village_clerk": clerk,
        "village_secretary": user_with_role(Role.VILLAGE_SECRETARY, village),
        "township_clerk": user_with_role(Role.TOWNSHIP_CLERK, township),
        "township_secretary": user_with_role(Role.TOWNSHIP_SECRETARY, township),
        "other_village_clerk": user_with_role(
            Role.VILLAGE_CLERK, VillageFactory(parent=township)
        ),
        "participant": member,
        "resident": user_with_role(Role.RESIDENT, village),
        "no_role": UserFactory(),
        "anonymous": None,
    }


@pytest.fixture
def records(clerk, topic):
    session = plan(clerk, topic)
    private = services.material_upload(actor=clerk, topic_id=topic.pk, upload=pdf())
    public = services.material_upload(
        actor=clerk, topic_id=topic.pk, upload=pdf("公开.pdf"), is_public=True
    )
    return {"session": session, "private": private, "public": public}


def status(client, user, method: str, url: str, data=None) -> int:
    if user is not None:
        client.force_login(user)
    response = getattr(client, method)(url, data or {})
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return 401
    return response.status_code


VIEW = {
    "village_clerk": 200,
    "village_secretary": 200,
    "township_clerk": 200,
    "township_secretary": 200,
    "other_village_clerk": 404,
    "participant": 200,
    "resident": 404,
    "no_role": 404,
    "anonymous": 401,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["prepare", "sessions", "session"])
def test_step_pages(client, people, topic, records, role, page):
    kwargs = (
        {"session_id": records["session"].pk}
        if page == "session"
        else {"topic_id": topic.pk}
    )
    url = reverse(f"consult:{page}", kwargs=kwargs)
    assert status(client, people[role], "get", url) == VIEW[role]


PLAN = {
    "village_clerk": 302,
    "village_secretary": 302,
    "township_clerk": 403,
    "township_secretary": 403,
    "other_village_clerk": 404,
    "participant": 403,
    "resident": 404,
    "no_role": 404,
    "anonymous": 401,
}


@pytest.mark.parametrize("role", ROLES)
def test_planning_a_session(client, people, topic, records, role):
    url = reverse("consult:session_add", kwargs={"topic_id": topic.pk})
    # A year ahead: within the window of planned dates (core.validators).
    day = (timezone.localdate() + timedelta(days=365)).isoformat()
    data = {
        "form": "v_meeting",
        "starts_at": f"{day}T09:00",
        "ends_at": f"{day}T11:00",
        "location": "会议室",
        "agenda": "议程",
    }
    before = Session.objects.count()
    assert status(client, people[role], "post", url, data) == PLAN[role]
    assert Session.objects.count() == before + (1 if PLAN[role] == 302 else 0)


# Anonymous visitors are sent to log in; logged-in outsiders learn nothing.
PRIVATE = VIEW
PUBLIC = dict.fromkeys(ROLES, 200)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["private", "public"])
def test_material_downloads(client, people, records, role, which):
    url = reverse("consult:material_download", kwargs={"version_id": records[which].pk})
    expected = (PRIVATE if which == "private" else PUBLIC)[role]
    assert status(client, people[role], "get", url) == expected


def test_public_material_of_a_private_topic_stays_private(client, topic, records):
    type(topic).objects.filter(pk=topic.pk).update(is_public=False)
    url = reverse(
        "consult:material_download", kwargs={"version_id": records["public"].pk}
    )
    response = client.get(url)
    assert response.status_code == 302  # sent to log in, not given the file
    assert "/accounts/login/" in response["Location"]


def test_participant_record_does_not_widen_a_place_role(member, topic):
    from committees.permissions import place_perms
    from topics.permissions import can_view

    assert place_perms(member) == {}
    assert not can_view(member, topic)
