"""Where the notices sent while ``seed_demo`` builds the township go (and
those of the jobs ``run_local`` runs once before serving).

Building the demo sends hundreds of meeting notices and reminders. Printed by
the console mail backend and the logging SMS backend they buried the summary
and the account table (4,659 lines), so unless the command runs with ``-v 2``
they are kept in memory for the run and only counted. Their links are
absolute: ``XST_SITE_URL``, else the address ``make run`` serves on.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage

from notifications.channels.sms import SmsBackend

from .data import SITE_URL

LOCMEM_EMAIL = "django.core.mail.backends.locmem.EmailBackend"
HELD_SMS = "demo.outbox.HeldSmsBackend"
# Eager tasks log one line each at INFO; quiet with the messages they send.
TASK_LOGGER = "celery.app.trace"


class HeldSmsBackend(SmsBackend):
    """Like Django's in-memory mail backend: the texts stay in ``texts``."""

    texts: ClassVar[list[str]] = []

    def send(self, *, phone: str, text: str, message_id: str) -> None:
        self.texts.append(text)


@dataclass
class Sent:
    """What the run sent, known only while the messages are held."""

    held: bool
    site: str
    emails: list[EmailMessage] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


@contextmanager
def _settings(**values) -> Iterator[None]:
    old = {name: getattr(settings, name) for name in values}
    for name, value in values.items():
        setattr(settings, name, value)
    try:
        yield
    finally:
        for name, value in old.items():
            setattr(settings, name, value)


@contextmanager
def demo_messages(*, shown: bool) -> Iterator[Sent]:
    """Links to the demo's address; messages held unless ``shown``."""
    site = settings.XST_SITE_URL or SITE_URL
    sent = Sent(held=not shown, site=site)
    if shown:
        with _settings(XST_SITE_URL=site):
            yield sent
        return
    task_logger = logging.getLogger(TASK_LOGGER)
    level = task_logger.level
    emails = len(getattr(mail, "outbox", []))
    texts = len(HeldSmsBackend.texts)
    task_logger.setLevel(logging.WARNING)
    try:
        with _settings(
            XST_SITE_URL=site, EMAIL_BACKEND=LOCMEM_EMAIL, SMS_BACKEND=HELD_SMS
        ):
            yield sent
    finally:
        task_logger.setLevel(level)
        sent.emails = list(getattr(mail, "outbox", []))[emails:]
        sent.texts = HeldSmsBackend.texts[texts:]
