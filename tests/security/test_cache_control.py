"""Nothing served to an account stays in a shared browser or proxy cache;
public pages keep their own caching."""

import pytest
from django.test import Client
from django.urls import reverse

from committees.models import Role
from tests.factories import VillageFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name", ["dashboard", "consult:mine", "notifications:inbox", "public_notices"]
)
def test_authenticated_pages_are_private_and_not_stored(name):
    client = Client()
    client.force_login(user_with_role(Role.RESIDENT, VillageFactory()))
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_an_authenticated_redirect_and_404_are_not_stored_either():
    client = Client()
    client.force_login(user_with_role(Role.RESIDENT, VillageFactory()))
    assert client.get("/no-such-page/")["Cache-Control"] == "private, no-store"


def test_public_pages_for_anonymous_visitors_stay_cacheable():
    client = Client()
    listing = client.get(reverse("public_notices"))
    assert listing.status_code == 200
    assert "no-store" not in listing.get("Cache-Control", "")
    favicon = client.get(reverse("favicon"))
    assert "public" in favicon["Cache-Control"]


def test_the_favicon_is_private_once_logged_in():
    """Even a public-cacheable response is not shared when an account asked."""
    client = Client()
    client.force_login(user_with_role(Role.RESIDENT, VillageFactory()))
    assert client.get(reverse("favicon"))["Cache-Control"] == "private, no-store"
