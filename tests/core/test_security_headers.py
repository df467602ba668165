"""Security headers: a strict content security policy that the pages keep to."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from committees.models import Role
from tests.factories import TopicFactory, VillageFactory, user_with_role
from topics.states import State

pytestmark = pytest.mark.django_db

INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)


@pytest.fixture
def clerk_pages(client):
    village = VillageFactory()
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    topic = TopicFactory(place=village, state=State.PREPARING)
    client.force_login(clerk)
    return [
        reverse("dashboard"),
        reverse("topics:list"),
        reverse("topics:detail", args=[topic.pk]),
        reverse("topics:create"),
        reverse("notifications:inbox"),
        reverse("notifications:preferences"),
        reverse("notifications:topic_deliveries", args=[topic.pk]),
    ]


def test_pages_send_a_policy_without_inline_scripts(client):
    policy = client.get(reverse("login")).headers["Content-Security-Policy"]
    directives = dict(
        part.strip().split(" ", 1) for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def assert_no_inline_code(html: str, url: str) -> None:
    assert not INLINE_SCRIPT.search(html), url
    assert not INLINE_HANDLER.search(html), url
    assert not INLINE_STYLE.search(html), url


def test_pages_need_no_inline_script_or_style(client, clerk_pages):
    """Everything the policy forbids is absent, so nothing breaks under it."""
    login = reverse("login")
    assert_no_inline_code(Client().get(login).content.decode(), login)
    for url in clerk_pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_inline_code(response.content.decode(), url)
