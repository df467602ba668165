"""Channel backends: email with its calendar file, and the SMS gateways."""

import json
import logging
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.utils import timezone, translation

from notifications.channels.sms import (
    HttpJsonSmsBackend,
    LoggingSmsBackend,
    SmsError,
    notification_text,
    sms_backend,
)
from notifications.ics import notification_ics
from notifications.models import Channel, Delivery, Kind, Notification
from notifications.notify import notify
from notifications.tasks import deliver_batch
from tests.factories import PersonFactory

from .conftest import CountingEmailBackend, MemorySmsBackend

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 3, 9, 30, tzinfo=SHANGHAI)
END = datetime(2026, 12, 3, 11, 0, tzinfo=SHANGHAI)


def meeting(**fields):
    values = {
        "key": "topic-7:session-1",
        "kind": Kind.MEETING_NOTICE,
        "subject": "村道修缮协商会",
        "body": "请准时参加,会上讨论修缮方案。",
        "link": "/topics/7/",
        "event_start": START,
        "event_end": END,
        "location": "村委会二楼会议室",
        "created_at": timezone.now(),
    }
    return Notification(**{**values, **fields})


# -- email


@pytest.mark.django_db
def test_meeting_email_carries_message_id_and_a_calendar_file(
    django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.DEFAULT_FROM_EMAIL = "协商通 <noreply@xst.example.cn>"
    person = PersonFactory(email="a@example.cn")
    # Sent from an English-speaking clerk's request in another time zone: the
    # message still uses the site's language and time zone.
    with (
        translation.override("en"),
        timezone.override(ZoneInfo("UTC")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = notify(
            key="topic-7:session-1",
            kind=Kind.MEETING_NOTICE,
            recipients=[person],
            subject="村道修缮协商会",
            body="请准时参加。",
            event_start=START,
            event_end=END,
            location="村委会二楼会议室",
        )
    delivery = notification.deliveries.get(channel=Channel.EMAIL)

    [message] = mailoutbox
    assert message.to == ["a@example.cn"]
    assert message.message()["Message-ID"] == f"<{delivery.uuid}@xst.example.cn>"
    assert "时间：2026-12-03 09:30 – 11:00\n地点：村委会二楼会议室" in message.body
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == ("meeting.ics", "text/calendar")
    calendar = icalendar.Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == START
    assert event.decoded("dtstart").tzinfo.key == "Asia/Shanghai"
    assert event.decoded("dtend") == END
    assert str(event["location"]) == "村委会二楼会议室"
    assert str(event["summary"]) == "村道修缮协商会"
    assert str(event["uid"]) == "topic-7:session-1@xst.example.cn"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]


@pytest.mark.django_db
def test_notice_without_a_meeting_has_no_attachment(
    django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            key="bulletin-1",
            kind=Kind.BULLETIN,
            recipients=[PersonFactory(email="a@example.cn")],
            subject="协商结果通报",
            body="决定如下。",
        )
    [message] = mailoutbox
    assert message.attachments == []


def test_ics_without_end_or_location_is_still_valid():
    notification = meeting(event_end=None, location="")
    event = icalendar.Calendar.from_ical(notification_ics(notification)).walk("VEVENT")[
        0
    ]
    assert event.decoded("dtstart") == START
    assert "dtend" not in event
    assert "location" not in event
    assert "/topics/7/" in str(event["description"])


def test_links_become_full_addresses_when_the_site_address_is_set(settings):
    notification = meeting()
    with translation.override("zh-hans"):
        settings.XST_SITE_URL = ""
        assert "详情：/topics/7/" in notification_text(notification)
        settings.XST_SITE_URL = "https://xst.example.cn"
        text = notification_text(notification)
    assert "详情：https://xst.example.cn/topics/7/" in text
    ics = icalendar.Calendar.from_ical(notification_ics(notification))
    [event] = ics.walk("VEVENT")
    assert "https://xst.example.cn/topics/7/" in str(event["description"])


def test_ics_needs_a_start():
    with pytest.raises(ValueError):
        notification_ics(meeting(event_start=None))


@pytest.mark.django_db
def test_one_batch_opens_one_mail_connection(settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.notifications.conftest.CountingEmailBackend"
    CountingEmailBackend.opened = 0
    people = PersonFactory.create_batch(5, email="a@example.cn")
    notify(key="k", kind=Kind.BULLETIN, recipients=people, subject="s", body="b")
    ids = list(
        Delivery.objects.filter(channel=Channel.EMAIL).values_list("pk", flat=True)
    )

    deliver_batch.delay(ids)

    assert len(mailoutbox) == 5
    assert CountingEmailBackend.opened == 1


# -- SMS


def test_sms_text_puts_time_and_place_before_a_clipped_body():
    with translation.override("zh-hans"):
        text = notification_text(meeting(body="很长的正文。" * 200))
    assert text.startswith("村道修缮协商会\n时间：2026-12-03 09:30 – 11:00\n")
    assert "地点：村委会二楼会议室" in text
    assert len(text) == 300
    assert text.endswith("…")


def test_logging_backend_logs_and_masks_the_number(caplog):
    with caplog.at_level(logging.INFO, logger="notifications.channels.sms"):
        LoggingSmsBackend().send(phone="13812345678", text="会议通知", message_id="m-1")
    assert "138****5678" in caplog.text
    assert "13812345678" not in caplog.text
    assert "m-1" in caplog.text and "会议通知" in caplog.text


def test_backend_is_loaded_from_settings_on_every_use(settings):
    settings.SMS_BACKEND = "tests.notifications.conftest.MemorySmsBackend"
    settings.SMS_OPTIONS = {"sign": "某镇"}
    backend = sms_backend()
    assert isinstance(backend, MemorySmsBackend)
    assert backend.options == {"sign": "某镇"}
    settings.SMS_BACKEND = "notifications.channels.sms.LoggingSmsBackend"
    assert isinstance(sms_backend(), LoggingSmsBackend)


class Gateway(BaseHTTPRequestHandler):
    """A stand-in SMS gateway; the test sets what it answers."""

    answer = (200, b'{"ok": true}')
    delay = 0.0
    received: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).received.append(
            {"headers": dict(self.headers), "body": json.loads(self.rfile.read(length))}
        )
        time.sleep(self.delay)
        status, body = self.answer
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def gateway():
    Gateway.answer = (200, b'{"ok": true}')
    Gateway.delay = 0.0
    Gateway.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms"
    server.shutdown()
    server.server_close()


def http_backend(url, **options):
    return HttpJsonSmsBackend({"url": url, "token": "t0k", "sign": "某镇", **options})


def test_http_gateway_receives_one_json_post(gateway):
    http_backend(gateway).send(phone="13812345678", text="会议通知", message_id="m-1")

    [request] = Gateway.received
    assert request["body"] == {
        "phone": "13812345678",
        "text": "会议通知",
        "sign": "某镇",
        "message_id": "m-1",
    }
    assert request["headers"]["Authorization"] == "Bearer t0k"
    assert request["headers"]["Idempotency-Key"] == "m-1"
    assert request["headers"]["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((500, b"upstream down"), "HTTP 500: upstream down"),
        ((401, b"bad token"), "HTTP 401"),
        ((302, b""), "HTTP 302"),
    ],
)
def test_http_gateway_refusal_raises(gateway, answer, error):
    Gateway.answer = answer
    with pytest.raises(SmsError, match=error):
        http_backend(gateway).send(phone="138", text="t", message_id="m")


def test_http_gateway_timeout_raises(gateway):
    Gateway.delay = 1.0
    with pytest.raises(SmsError, match="timed out"):
        http_backend(gateway, timeout=0.2).send(phone="138", text="t", message_id="m")


def test_http_gateway_unreachable_raises(gateway):
    closed = gateway.replace("/sms", "").rsplit(":", 1)[0] + ":9/sms"
    with pytest.raises(SmsError):
        http_backend(closed, timeout=1).send(phone="138", text="t", message_id="m")


def test_http_gateway_needs_an_http_url():
    with pytest.raises(SmsError, match="http"):
        http_backend("file:///etc/passwd").send(phone="1", text="t", message_id="m")
