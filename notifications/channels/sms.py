"""SMS: a small backend interface, chosen by settings.SMS_BACKEND.

A backend is built from settings on every use (``sms_backend()``), so a change
of gateway or credentials needs no restart and tests may swap it freely.
"""

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from ..models import Notification
from ..text import single_line
from .email import notification_lines

logger = logging.getLogger(__name__)

# Longer texts are split into several billed messages by the carriers; the
# full notice is in the inbox or email.
TEXT_LIMIT = 300


class SmsError(Exception):
    """The gateway did not accept the message; the attempt may be retried."""


class SmsBackend:
    def __init__(self, options: Mapping | None = None) -> None:
        self.options = dict(options or {})

    def send(self, *, phone: str, text: str, message_id: str) -> None:
        """Hand one text to the gateway or raise SmsError.

        ``message_id`` is stable across retries of one delivery, so a gateway
        that deduplicates on it never delivers a retried message twice.
        """
        raise NotImplementedError


def _masked(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 11 else "****"


class LoggingSmsBackend(SmsBackend):
    """Development default: writes the text to the log and sends nothing."""

    def send(self, *, phone: str, text: str, message_id: str) -> None:
        logger.info("SMS (not sent) to %s, id %s: %s", _masked(phone), message_id, text)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would turn a redirected POST into a GET that "succeeds" without
    # sending anything; a redirect is a configuration error to surface.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpJsonSmsBackend(SmsBackend):
    """A gateway that takes one JSON POST per message.

    SMS_OPTIONS: ``url`` (required), ``token`` (sent as a bearer token),
    ``sign`` (the registered signature, 短信签名) and ``timeout`` in seconds.
    The body is ``{"phone", "text", "sign", "message_id"}``; any 2xx answer
    means accepted.
    """

    def send(self, *, phone: str, text: str, message_id: str) -> None:
        url = self.options.get("url", "")
        if not url.startswith(("http://", "https://")):
            raise SmsError("SMS_OPTIONS['url'] must be an http(s) URL")
        payload = {
            "phone": phone,
            "text": text,
            "sign": self.options.get("sign", ""),
            "message_id": message_id,
        }
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message_id,
        }
        if self.options.get("token"):
            headers["Authorization"] = f"Bearer {self.options['token']}"
        request = urllib.request.Request(
            url,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers=headers,
            method="POST",
        )
        opener = urllib.request.build_opener(_NoRedirect)
        timeout = float(self.options.get("timeout", 10))
        try:
            with opener.open(request, timeout=timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            detail = exc.read(200).decode("utf-8", "replace")
            raise SmsError(f"HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SmsError(f"{type(exc).__name__}: {exc}") from exc
        if not 200 <= status < 300:
            raise SmsError(f"HTTP {status}")


def sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)(settings.SMS_OPTIONS)


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def notification_text(notification: Notification) -> str:
    facts = notification_lines(notification)
    # No 【】 around the subject: carriers reserve them for the sender's signature.
    head = "\n".join([single_line(notification.subject), *facts])
    return _clip(f"{head}\n{notification.body}")


def digest_text(notifications: Sequence[Notification]) -> str:
    subjects = "；".join(single_line(n.subject) for n in notifications)
    return _clip(
        _("协商通：您有 %(count)d 条新通知：%(subjects)s")
        % {"count": len(notifications), "subjects": subjects}
    )
