"""Links in email, SMS and calendar files are absolute (issue 6 item 13).

From ``XST_SITE_URL``; without it, from the Sites framework when installed;
otherwise ``check --deploy`` warns (notifications.W001).
"""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.checks import run_checks

from notifications.channels import email
from notifications.channels.email import absolute_link, site_url
from notifications.checks import site_url_set

PRODUCTION_ENV = Path(django_settings.BASE_DIR) / "deploy" / "production.env.example"


@pytest.fixture
def current_site(monkeypatch):
    """Pretend django.contrib.sites is installed with this current domain.

    Installing it for real would re-run every app's ready() (and its
    registries); its model is read through ``_current_site_domain``.
    """
    is_installed = apps.is_installed

    def use(domain: str) -> None:
        monkeypatch.setattr(
            apps,
            "is_installed",
            lambda name: name == "django.contrib.sites" or is_installed(name),
        )
        monkeypatch.setattr(email, "_current_site_domain", lambda: domain)

    return use


def test_the_setting_makes_links_absolute(settings):
    settings.XST_SITE_URL = "https://xst.example.cn"
    assert absolute_link("/topics/7/") == "https://xst.example.cn/topics/7/"
    # A link that is already an address is left alone.
    assert absolute_link("https://other.cn/x/") == "https://other.cn/x/"


def test_without_the_setting_or_sites_the_link_stays_a_path(settings):
    settings.XST_SITE_URL = ""
    assert site_url() == ""
    assert absolute_link("/topics/7/") == "/topics/7/"


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("xst.example.gov.cn", "https://xst.example.gov.cn/topics/7/"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/topics/7/"),
    ],
)
def test_without_the_setting_the_sites_framework_gives_the_address(
    settings, current_site, domain, expected
):
    settings.XST_SITE_URL = ""
    current_site(domain)
    assert absolute_link("/topics/7/") == expected


def test_the_setting_wins_over_the_sites_framework(settings, current_site):
    settings.XST_SITE_URL = "https://xst.example.cn"
    current_site("elsewhere.cn")
    assert absolute_link("/topics/7/") == "https://xst.example.cn/topics/7/"


def test_the_deploy_check_warns_without_a_site_address(settings):
    settings.XST_SITE_URL = ""
    assert [w.id for w in site_url_set(None)] == ["notifications.W001"]
    found = run_checks(include_deployment_checks=True)
    assert "notifications.W001" in {message.id for message in found}
    # Only a deployment check: a plain `check` stays quiet.
    assert "notifications.W001" not in {message.id for message in run_checks()}


def test_the_deploy_check_is_quiet_with_an_address_or_the_sites_framework(
    settings, current_site
):
    settings.XST_SITE_URL = "https://xst.example.cn"
    assert site_url_set(None) == []
    settings.XST_SITE_URL = ""
    current_site("xst.example.gov.cn")
    assert site_url_set(None) == []


def test_the_production_example_sets_the_site_address():
    """`make deploy-check` reads this file and fails on any warning."""
    lines = PRODUCTION_ENV.read_text(encoding="utf-8").splitlines()
    [value] = [
        line.split("=", 1)[1] for line in lines if line.startswith("XST_SITE_URL=")
    ]
    assert value.startswith("https://")
