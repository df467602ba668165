"""Nothing a user types reaches the database as a 500 (issue 16, item 6).

Run on PostgreSQL as well, where SQLite's leniency hides overflows:
DATABASE_URL=postgres://postgres@127.0.0.1:5432/xst_privacy pytest tests/security
"""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from committees.models import Role
from feedback.models import Vote, VoteMark
from tests.factories import TopicFactory, VillageFactory, user_with_role
from topics.catalogue import Category
from topics.states import State

pytestmark = pytest.mark.django_db


def test_a_login_with_an_overlong_username_is_a_form_error(settings):
    settings.AXES_ENABLED = True
    response = Client(raise_request_exception=False).post(
        reverse("login"), {"username": "x" * 300, "password": "secret"}
    )
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert not AccessAttempt.objects.filter(username__startswith="xxx").exists()


def test_a_vote_beyond_the_integer_range_is_a_400_with_a_message():
    village = VillageFactory()
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    topic = TopicFactory(place=village, state=State.ADOPTING, category=Category.V4)
    VoteMark.objects.create(topic=topic, reason="涉及集体资产。", marked_by=clerk)
    client = Client(raise_request_exception=False)
    client.force_login(clerk)
    response = client.post(
        reverse("feedback:vote", args=[topic.pk]),
        {
            "kind": "villager_reps",
            "held_on": "2026-01-01",
            "entitled": "3000000000",
            "present": "25",
            "in_favour": "20",
            "against": "4",
            "abstain": "1",
        },
    )
    assert response.status_code == 400
    assert "1000000" in response.content.decode()
    assert not Vote.objects.exists()
