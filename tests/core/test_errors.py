"""A database outage answers a static Chinese 503 page, logged once per request."""

import logging
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import path

from committees.models import Role
from tests.factories import VillageFactory, user_with_role

pytestmark = pytest.mark.django_db


def _boom(request):
    raise ValueError("a bug")


def _db_boom(request):
    raise OperationalError("server closed the connection unexpectedly")


# A URL configuration for the failures no real view produces on purpose.
urlpatterns = [path("boom/", _boom), path("db-boom/", _db_boom)]
handler500 = "core.errorpages.server_error"


class SessionReadingMiddleware:
    """Reads the user (so the session) while the request passes, like a page does."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user.is_authenticated  # noqa: B018 - loads the session
        return self.get_response(request)


def database_down():
    """Every new query fails as it does when PostgreSQL is stopped."""
    return mock.patch.object(
        BaseDatabaseWrapper,
        "ensure_connection",
        side_effect=OperationalError("connection refused: is the server running?"),
    )


@pytest.fixture
def clerk_client():
    client = Client(raise_request_exception=False)
    client.force_login(user_with_role(Role.VILLAGE_CLERK, VillageFactory()))
    return client


def _problems(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def assert_outage_page(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "系统暂时无法使用" in body
    assert "数据库暂时无法连接" in body
    assert "Internal Server Error" not in body


@pytest.mark.parametrize("url", ["/", "/topics/", "/notices/"])
def test_logged_in_pages_answer_503_with_retry_after_and_one_log_line(
    clerk_client, caplog, url
):
    caplog.set_level(logging.INFO)
    with database_down() as connect:
        response = clerk_client.get(url)
    assert connect.called
    assert_outage_page(response)
    problems = _problems(caplog)
    assert len(problems) == 1, [r.getMessage() for r in problems]
    assert "database unavailable" in problems[0].getMessage()
    assert url in problems[0].getMessage()
    assert problems[0].exc_info is None


def test_a_failure_in_a_middleware_layer_is_answered_once_by_the_handler(
    clerk_client, caplog, settings
):
    """The session read in middleware fails; the handler needs no session again."""
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[
            : settings.MIDDLEWARE.index(
                "django.contrib.auth.middleware.AuthenticationMiddleware"
            )
            + 1
        ],
        "tests.core.test_errors.SessionReadingMiddleware",
        *settings.MIDDLEWARE[
            settings.MIDDLEWARE.index(
                "django.contrib.auth.middleware.AuthenticationMiddleware"
            )
            + 1 :
        ],
    ]
    caplog.set_level(logging.INFO)
    with database_down():
        response = clerk_client.get("/")
    assert_outage_page(response)
    assert len(_problems(caplog)) == 1


def test_interface_error_counts_as_an_outage(clerk_client, caplog):
    caplog.set_level(logging.INFO)
    with mock.patch.object(
        BaseDatabaseWrapper,
        "ensure_connection",
        side_effect=InterfaceError("connection already closed"),
    ):
        response = clerk_client.get("/")
    assert_outage_page(response)
    assert len(_problems(caplog)) == 1


def test_outage_page_needs_no_query(
    client, settings, caplog, django_assert_num_queries
):
    settings.ROOT_URLCONF = "tests.core.test_errors"
    client.raise_request_exception = False
    caplog.set_level(logging.INFO)
    with django_assert_num_queries(0):
        response = client.get("/db-boom/")
    assert_outage_page(response)
    assert len(_problems(caplog)) == 1


def test_other_errors_get_the_static_500_page_logged_once(client, settings, caplog):
    settings.ROOT_URLCONF = "tests.core.test_errors"
    client.raise_request_exception = False
    caplog.set_level(logging.INFO)
    with database_down():
        response = client.get("/boom/")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "系统暂时出现问题" in response.content.decode()
    problems = _problems(caplog)
    assert len(problems) == 1
    assert problems[0].exc_info is not None


def test_retry_after_is_a_setting(clerk_client, settings):
    settings.XST_OUTAGE_RETRY_AFTER = 120
    with database_down():
        response = clerk_client.get("/")
    assert response["Retry-After"] == "120"


def test_pages_are_served_again_when_the_database_is_back(clerk_client):
    with database_down():
        assert clerk_client.get("/").status_code == 503
    assert clerk_client.get("/").status_code == 200


def test_pages_link_the_icon(client):
    """Pages built on base.html link the icon, as do the static error pages."""
    for url in ("/accounts/login/", "/does-not-exist/"):
        assert (
            'rel="icon" href="/static/favicon.svg"' in client.get(url).content.decode()
        )


def test_favicon_answers_200_and_error_pages_link_an_icon(client, settings):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"
    settings.ROOT_URLCONF = "tests.core.test_errors"
    client.raise_request_exception = False
    for url in ("/boom/", "/db-boom/"):
        assert 'rel="icon"' in client.get(url).content.decode()
    assert (settings.BASE_DIR / "static" / "favicon.svg").exists()
