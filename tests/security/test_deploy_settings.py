"""Production settings: no start on the development key, documented TLS defaults.

Settings are read once per process, so each case runs in a fresh interpreter
with the environment a deployment would have.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
EXAMPLE_ENV = BASE_DIR / "deploy" / "production.env.example"

PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({name: getattr(settings, name) for name in [
    "DEBUG", "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "AXES_IPWARE_PROXY_COUNT",
    "AXES_IPWARE_META_PRECEDENCE_ORDER",
]}))
"""


def _example_env() -> dict[str, str]:
    values = {}
    for line in EXAMPLE_ENV.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _sep, value = line.partition("=")
            values[name] = value
    return values


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "AXES_", "DATABASE_"))
    }
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _settings(**env: str) -> dict:
    result = _run(PRINT_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_refuses_to_start_without_a_secret_key():
    result = _run("import config.wsgi", DJANGO_DEBUG="off")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_starts_with_its_own_key():
    result = _run("import config.wsgi", DJANGO_DEBUG="off", DJANGO_SECRET_KEY="k" * 60)
    assert result.returncode == 0, result.stderr


def test_development_starts_on_the_built_in_key():
    assert _run("import config.wsgi", DJANGO_DEBUG="on").returncode == 0


def test_production_defaults_send_hsts_and_trust_the_proxy_protocol_header():
    values = _settings(DJANGO_DEBUG="off", DJANGO_SECRET_KEY="k" * 60)
    assert values["SECURE_HSTS_SECONDS"] == 31_536_000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True


def test_development_sends_no_hsts():
    values = _settings(DJANGO_DEBUG="on")
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_SECURE"] is False


def test_each_security_setting_follows_its_environment_variable():
    values = _settings(
        DJANGO_DEBUG="off",
        DJANGO_SECRET_KEY="k" * 60,
        DJANGO_SECURE_SSL_REDIRECT="on",
        DJANGO_SECURE_HSTS_SECONDS="600",
        DJANGO_SECURE_PROXY_SSL_HEADER="off",
    )
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 600
    assert values["SECURE_PROXY_SSL_HEADER"] is None


@pytest.mark.parametrize(
    ("proxies", "ipware_count", "order"),
    [
        ("0", None, ["REMOTE_ADDR"]),
        ("1", 0, ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]),
        ("2", 1, ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]),
    ],
)
def test_proxy_count_becomes_ipware_settings(proxies, ipware_count, order):
    values = _settings(DJANGO_DEBUG="on", AXES_PROXY_COUNT=proxies)
    assert values["AXES_IPWARE_PROXY_COUNT"] == ipware_count
    assert values["AXES_IPWARE_META_PRECEDENCE_ORDER"] == order


def test_deploy_check_passes_with_the_example_production_environment():
    """What `make deploy-check` runs."""
    result = _run(
        "import sys; from django.core.management import execute_from_command_line;"
        "execute_from_command_line(['manage.py', 'check', '--deploy',"
        " '--fail-level', 'WARNING'])",
        **_example_env(),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_deploy_check_fails_on_the_development_key():
    env = {**_example_env()}
    del env["DJANGO_SECRET_KEY"]
    result = _run(
        "from django.core.management import execute_from_command_line;"
        "execute_from_command_line(['manage.py', 'check', '--deploy',"
        " '--fail-level', 'WARNING'])",
        **env,
    )
    assert result.returncode != 0
    assert "security.W009" in result.stderr
