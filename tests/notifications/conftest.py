"""Test channel backends and fixtures for the notice machinery.

The backends are named by dotted path in settings (SMS_BACKEND,
EMAIL_BACKEND), so a Celery worker started as a subprocess can load them too.
"""

import os
import time

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemEmailBackend
from django.db import connection

from notifications.channels.sms import SmsBackend, SmsError

SMS_LOG_TABLE = "xst_test_sms_log"
EMAIL_LOG_TABLE = "xst_test_email_log"


class MemorySmsBackend(SmsBackend):
    sent: list[dict] = []

    def send(self, *, phone: str, text: str, message_id: str) -> None:
        self.sent.append({"phone": phone, "text": text, "message_id": message_id})


class FailingSmsBackend(SmsBackend):
    def send(self, *, phone: str, text: str, message_id: str) -> None:
        raise SmsError("网关返回 503")


class TableSmsBackend(SmsBackend):
    """A gateway that logs every message it accepts, as a real one would.

    The send runs outside any transaction (the claim is committed before it,
    the outcome after), so each row is a message the gateway took: counting
    rows per message id shows what the recipient's gateway saw.
    SMS_OPTIONS["delay"] slows each send before it is handed over, and
    SMS_OPTIONS["pause_after"] holds the worker after the handover and before
    the outcome is recorded, so a test can kill it in either place.
    """

    def send(self, *, phone: str, text: str, message_id: str) -> None:
        time.sleep(float(self.options.get("delay", 0)))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {SMS_LOG_TABLE} (message_id, phone) VALUES (%s, %s)",
                [message_id, phone],
            )
        time.sleep(float(self.options.get("pause_after", 0)))


class TableEmailBackend(BaseEmailBackend):
    """An SMTP server that logs each message it accepts (worker tests).

    XST_TEST_EMAIL_PAUSE_AFTER (seconds, from the environment of the worker)
    holds the worker after the handover and before the outcome is recorded.
    """

    def send_messages(self, messages) -> int:
        with connection.cursor() as cursor:
            for message in messages:
                cursor.execute(
                    f"INSERT INTO {EMAIL_LOG_TABLE} (message_id, address) "
                    "VALUES (%s, %s)",
                    [message.extra_headers.get("Message-ID", ""), message.to[0]],
                )
        time.sleep(float(os.environ.get("XST_TEST_EMAIL_PAUSE_AFTER", "0")))
        return len(messages)


class CountingEmailBackend(LocmemEmailBackend):
    opened = 0

    def open(self):
        type(self).opened += 1
        return super().open()


@pytest.fixture
def sms_sent(settings):
    """Route SMS to memory; the list of sent texts."""
    settings.SMS_BACKEND = "tests.notifications.conftest.MemorySmsBackend"
    MemorySmsBackend.sent = []
    return MemorySmsBackend.sent


@pytest.fixture
def failing_sms(settings):
    settings.SMS_BACKEND = "tests.notifications.conftest.FailingSmsBackend"


@pytest.fixture
def fast_retries(settings):
    """Retry immediately, so an in-process run goes through every attempt."""
    settings.XST_DELIVERY_RETRY_BASE = 0
    settings.XST_DELIVERY_MAX_ATTEMPTS = 3


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks of what happens inside, as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
