"""Login lockout behind the proxy is per client address, and cannot be dodged.

AXES_PROXY_COUNT=1 (README 正式部署): nginx sets X-Forwarded-For to the address
it saw, so the header holds exactly one address; settings.py turns that into
django-ipware's strict proxy count.
"""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"
CLIENT_A = "203.0.113.5"
CLIENT_B = "198.51.100.7"


@pytest.fixture
def behind_one_proxy(settings):
    """The settings AXES_PROXY_COUNT=1 produces (checked in test_deploy_settings)."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 10
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_PROXY_ORDER = "left-most"
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")


@pytest.fixture
def no_proxy(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 10
    settings.AXES_IPWARE_PROXY_COUNT = None
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)


@pytest.fixture
def deputy():
    return UserFactory(username="deputy")


def _login(forwarded_for: str | None, password: str, remote: str = PROXY):
    extra = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return Client().post(
        reverse("login"), {"username": "deputy", "password": password}, **extra
    )


def _fail_ten_times(forwarded_for: str | None, remote: str = PROXY) -> None:
    for _ in range(10):
        _login(forwarded_for, "wrong-password", remote)


def test_ten_failures_lock_that_client_address_only(behind_one_proxy, deputy):
    _fail_ten_times(CLIENT_A)
    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [
        ("deputy", CLIENT_A)
    ]
    locked = _login(CLIENT_A, PASSWORD)
    assert locked.status_code == 429
    from_elsewhere = _login(CLIENT_B, PASSWORD)
    assert from_elsewhere.status_code == 302
    assert from_elsewhere.url == reverse("dashboard")


def test_nine_failures_do_not_lock(behind_one_proxy, deputy):
    for _ in range(9):
        _login(CLIENT_A, "wrong-password")
    assert _login(CLIENT_A, PASSWORD).status_code == 302


def test_a_forged_extra_address_is_not_believed(behind_one_proxy, deputy):
    """A client that adds its own entries does not get to name its address.

    With one proxy the header holds one address; a longer one (the client's
    forged entry kept in front of the real one) is ignored, and the attempts
    count against the connecting address instead of the forged one.
    """
    _fail_ten_times(f"{CLIENT_B}, {CLIENT_A}")
    addresses = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert addresses == {PROXY}
    assert CLIENT_B not in addresses
    assert _login(CLIENT_B, PASSWORD).status_code == 302


def test_without_a_proxy_the_header_is_ignored(no_proxy, deputy):
    """A client talking to the server directly cannot pick its address at all."""
    for n in range(10):
        _login(f"192.0.2.{n}", "wrong-password", remote=CLIENT_A)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT_A}
    assert _login("192.0.2.200", PASSWORD, remote=CLIENT_A).status_code == 429
    assert _login(None, PASSWORD, remote=CLIENT_B).status_code == 302
