"""Under `make run` (DEBUG on) a 404 or 403 is the site's own Chinese page,
not Django's debug page listing every URL pattern."""

import pytest
from django.test import Client

from committees.models import Role
from tests.factories import VillageFactory, user_with_role

pytestmark = pytest.mark.django_db

DJANGO_DEBUG_PAGE = ("URLconf", "Django tried these URL patterns", "technical_404")


@pytest.fixture(autouse=True)
def _debug(settings):
    settings.DEBUG = True


def _is_site_page(response) -> bool:
    text = response.content.decode()
    return "页面不存在" in text and not any(m in text for m in DJANGO_DEBUG_PAGE)


def test_an_unknown_address_is_the_sites_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert _is_site_page(response)


def test_a_views_http404_is_the_sites_404_page(client):
    client.force_login(user_with_role(Role.VILLAGE_CLERK, VillageFactory()))
    response = client.get("/topics/999999/")
    assert response.status_code == 404
    assert _is_site_page(response)


def test_an_address_without_its_slash_still_redirects(client):
    response = client.get("/topics")
    assert response.status_code == 301
    assert response["Location"] == "/topics/"


def test_a_refused_form_submission_is_the_sites_403_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    text = response.content.decode()
    assert "无权操作" in text and "请刷新页面后重新提交" in text
    assert "CSRF verification failed" not in text
