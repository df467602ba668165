"""What a new user sees from `manage.py seed_demo`: a summary and the accounts,
not the hundreds of notices it sends, and those notices link to the site."""

import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from demo.outbox import HeldSmsBackend, demo_messages
from notifications.models import Channel, Delivery

RELATIVE_LINK = re.compile(r"(?<![\w/.:])/[a-z_-]+/")
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][(),:;]|[(),:;][\u4e00-\u9fff]")


@pytest.mark.django_db(transaction=True)
@override_settings(
    XST_SITE_URL="",
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
)
def test_seed_prints_a_summary_and_counts_the_notices_it_sends_with_full_links(
    mailoutbox,
):
    out = StringIO()
    texts = len(HeldSmsBackend.texts)

    call_command("seed_demo", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) < 60
    assert not any("Content-Type" in line or "详情" in line for line in lines)
    assert not [line for line in lines if HALF_WIDTH.search(line)]
    sms = HeldSmsBackend.texts[texts:]
    assert mailoutbox and sms
    assert f"演示过程中发出邮件 {len(mailoutbox)} 封、短信 {len(sms)} 条" in (
        out.getvalue()
    )
    assert Delivery.objects.filter(channel=Channel.EMAIL).exists()
    bodies = [message.body for message in mailoutbox] + sms
    assert all("详情：http://127.0.0.1:8000/" in body for body in bodies)
    assert not [body for body in bodies if RELATIVE_LINK.search(body)]
    # Only for the run: the site's own settings are as they were.
    assert settings.XST_SITE_URL == ""
    assert settings.SMS_BACKEND != "demo.outbox.HeldSmsBackend"


@override_settings(XST_SITE_URL="http://127.0.0.1:8080")
def test_the_configured_site_address_wins_over_the_demo_default():
    with demo_messages(shown=False) as sent:
        assert settings.XST_SITE_URL == "http://127.0.0.1:8080"
    assert sent.site == "http://127.0.0.1:8080"


@override_settings(XST_SITE_URL="")
def test_with_v2_the_configured_channels_print_the_notices():
    backends = (settings.EMAIL_BACKEND, settings.SMS_BACKEND)
    with demo_messages(shown=True) as sent:
        assert backends == (settings.EMAIL_BACKEND, settings.SMS_BACKEND)
        assert settings.XST_SITE_URL == "http://127.0.0.1:8000"
    assert not sent.held
    assert settings.XST_SITE_URL == ""
