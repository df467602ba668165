"""Bad input to notices is refused or cleaned, never stored (issue 7: 5, 6, 7, 9)."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from committees.models import Role
from notifications import delivery, services
from notifications.channels.email import notification_email
from notifications.channels.sms import notification_text
from notifications.models import Channel, DeliveryStatus, Kind, Notification, Preference
from notifications.notify import notify
from notifications.text import clean_link, single_line
from tests.factories import PersonFactory, TopicFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def send(**fields):
    fields.setdefault("key", "rules")
    fields.setdefault("kind", Kind.MEETING_NOTICE)
    fields.setdefault("subject", "通知")
    fields.setdefault("body", "正文")
    fields.setdefault("recipients", [PersonFactory(email="a@example.com")])
    return notify(**fields)


# -- item 5: a line break in a title never reaches an email header -------------


@pytest.mark.parametrize(
    "raw",
    ["Line1\r\nBcc: x@evil.example", "Line1\nBcc: x", "甲\u2028乙", "a\x00b\tc"],
)
def test_a_subject_with_breaks_is_stored_as_one_line(raw):
    notification = send(subject=raw)

    assert "\n" not in notification.subject
    assert "\r" not in notification.subject
    assert "\x00" not in notification.subject
    assert "\u2028" not in notification.subject
    assert notification.subject == single_line(raw)


def test_an_email_about_a_title_with_a_header_injection_is_sent(commit):
    topic = TopicFactory(title="村道修缮")
    # A title stored before titles were checked, as the issue found it.
    type(topic).objects.filter(pk=topic.pk).update(title="Line1\r\nBcc: x@evil.example")
    topic.refresh_from_db()
    with commit():
        notification = send(subject=f"关于“{topic.title}”的通知", about=topic)

    row = notification.deliveries.get(channel=Channel.EMAIL)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT
    [message] = mail.outbox
    assert message.subject == "关于“Line1 Bcc: x@evil.example”的通知"
    assert "Bcc" not in message.message().get("Bcc", "")
    assert message.bcc == []


def test_old_rows_with_a_break_still_give_a_clean_email_and_sms():
    notification = send()
    Notification.objects.filter(pk=notification.pk).update(subject="甲\r\nBcc: 乙")
    notification.refresh_from_db()

    message = notification_email(notification, to="a@example.com", message_id="<x@y>")
    assert message.subject == "甲 Bcc: 乙"
    message.message()  # would raise BadHeaderError on a raw break
    assert notification_text(notification).startswith("甲 Bcc: 乙\n")


def test_a_very_long_subject_is_cut_with_an_ellipsis():
    assert len(single_line("字" * 500)) == 200
    assert single_line("字" * 500).endswith("…")


# -- item 9: only site paths and http(s) addresses as links ---------------------


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/topics/1/",
        "/\\evil.example",
        "ftp://example.com/x",
        "https://",
        "topics/1/",
        "/topics/1/\r\nX: y",
        "https://example.com/" + "a" * 300,
    ],
)
def test_a_notice_with_a_bad_link_is_refused_and_nothing_is_stored(link):
    with pytest.raises(ValidationError) as refused:
        send(link=link)

    assert "链接只能是本站路径" in " ".join(refused.value.messages)
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "link",
    ["/topics/1/", "/notices/?page=2#x", "https://gov.example.cn/a", "http://a.b/c"],
)
def test_site_paths_and_http_addresses_are_accepted(link):
    assert send(link=link).link == link
    assert clean_link(f"  {link} ") == link


# -- item 7: a paper receipt lies between its notice and now --------------------


@pytest.fixture
def paper():
    topic = TopicFactory()
    notification = send(recipients=[PersonFactory()], about=topic)
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    return notification.deliveries.get(channel=Channel.PAPER)


@pytest.fixture
def clerk(paper):
    return user_with_role(Role.VILLAGE_CLERK, paper.notification.about.place)


@pytest.mark.parametrize(
    ("days_ago", "allowed"),
    [(None, False), (4, False), (3, True), (1, True), (0, True), (-1, False)],
)
def test_a_receipt_date_lies_between_the_notice_and_now(
    paper, clerk, days_ago, allowed
):
    if days_ago is None:
        signed_at = datetime(1, 1, 2, 12, tzinfo=UTC)
    else:
        signed_at = timezone.now() - timedelta(days=days_ago)
    paper.notification.refresh_from_db()

    def record():
        return services.receipt_record(
            actor=clerk, delivery_id=paper.pk, signed_by="张三", signed_at=signed_at
        )

    if allowed:
        recorded = record()
        assert recorded.sent_at >= paper.notification.created_at
        assert recorded.status == DeliveryStatus.SENT
        return
    with pytest.raises(ValidationError):
        record()
    paper.refresh_from_db()
    assert paper.status == DeliveryStatus.QUEUED
    assert paper.receipt_signed_by == ""


def test_a_receipt_signed_on_the_notices_day_is_not_earlier_than_the_notice(paper):
    notification = paper.notification
    issued = timezone.now() - timedelta(minutes=5)
    Notification.objects.filter(pk=notification.pk).update(created_at=issued)
    clerk = user_with_role(Role.VILLAGE_CLERK, notification.about.place)
    early_same_day = issued - timedelta(seconds=1)
    if timezone.localdate(early_same_day) != timezone.localdate(issued):
        early_same_day = issued

    recorded = services.receipt_record(
        actor=clerk, delivery_id=paper.pk, signed_by="张三", signed_at=early_same_day
    )

    assert recorded.sent_at == max(early_same_day, issued)


def test_the_receipt_form_refuses_0001_01_01_with_a_chinese_message(
    client, paper, clerk
):
    client.force_login(clerk)

    response = client.post(
        reverse("notifications:receipt", args=[paper.pk]),
        {"signed_by": "张三", "signed_on": "0001-01-01"},
        follow=True,
    )

    assert response.status_code == 400
    assert "签收日期不能早于通知发出的日期" in response.content.decode()
    paper.refresh_from_db()
    assert paper.status == DeliveryStatus.QUEUED


# -- item 6: preferences through a service that upserts --------------------------


def test_preference_save_upserts_one_row_per_person():
    user = UserFactory()

    first = services.preference_save(
        actor=user, email=False, sms=True, daily_digest=True
    )
    second = services.preference_save(
        actor=user, email=True, sms=False, daily_digest=False
    )

    assert first.pk == second.pk
    assert Preference.objects.count() == 1
    assert (second.email, second.sms, second.daily_digest) == (True, False, False)


def test_a_first_save_that_collides_is_retried_once_not_a_500(client):
    user = UserFactory()
    real = Preference.objects.bulk_create
    calls = []

    def collide_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(*args, **kwargs)

    client.force_login(user)
    with mock.patch.object(Preference.objects, "bulk_create", side_effect=collide_once):
        response = client.post(reverse("notifications:preferences"), {"sms": "on"})

    assert response.status_code == 302
    assert len(calls) == 2
    preference = Preference.objects.get(person__user=user)
    assert (preference.email, preference.sms, preference.daily_digest) == (
        False,
        True,
        False,
    )


def test_a_collision_that_persists_is_raised_not_hidden():
    user = UserFactory()
    with (
        mock.patch.object(
            Preference.objects, "bulk_create", side_effect=IntegrityError("again")
        ),
        pytest.raises(IntegrityError),
    ):
        services.preference_save(actor=user, email=True, sms=True, daily_digest=False)
    assert not Preference.objects.exists()


def test_an_anonymous_preference_save_is_refused():
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.preference_save(
            actor=AnonymousUser(), email=True, sms=True, daily_digest=False
        )


def test_the_admin_cannot_write_preferences_around_the_service(admin_client):
    person = PersonFactory()
    Preference.objects.create(person=person)

    add = admin_client.get(reverse("admin:notifications_preference_add"))
    change = admin_client.post(
        reverse(
            "admin:notifications_preference_change",
            args=[Preference.objects.get().pk],
        ),
        {"person": person.pk, "email": "", "sms": "", "daily_digest": "on"},
    )

    assert add.status_code == 403
    assert change.status_code == 403
    assert Preference.objects.get().daily_digest is False


def test_delivery_settings_are_read_at_call_time(settings):
    settings.XST_DELIVERY_SWEEP_DELAY = 42
    settings.XST_DELIVERY_CLAIM_TIMEOUT = 7
    assert delivery.sweep_delay() == timedelta(seconds=42)
    assert delivery.claim_timeout() == timedelta(seconds=7)


# -- items 4 and 5: the signer of a paper receipt is one line of plain text ------

LINE = "此处只能填写一行文字"
CONTROL = "控制字符"


@pytest.mark.parametrize(
    ("signed_by", "message"),
    [
        ("张三\r\nBcc: x@y", LINE),
        ("张\n三", LINE),
        ("张\u2028三", LINE),
        ("张三\x1b[31m", CONTROL),
        ("张\x00三", CONTROL),
        ("张\t三", CONTROL),
    ],
)
def test_receipt_record_refuses_a_signer_with_breaks_or_control_characters(
    paper, clerk, signed_by, message
):
    with pytest.raises(ValidationError) as refused:
        services.receipt_record(actor=clerk, delivery_id=paper.pk, signed_by=signed_by)

    assert message in " ".join(refused.value.message_dict["signed_by"])
    paper.refresh_from_db()
    assert paper.status == DeliveryStatus.QUEUED
    assert paper.receipt_signed_by == ""


@pytest.mark.parametrize(
    ("signed_by", "message"),
    [("张三\r\nBcc: x@y", LINE), ("张三\x1b[31m", CONTROL), ("张\x00三", CONTROL)],
)
def test_the_receipt_form_refuses_the_same(signed_by, message):
    from notifications.forms import ReceiptForm

    form = ReceiptForm({"signed_by": signed_by})

    assert not form.is_valid()
    assert message in " ".join(form.errors["signed_by"])


def test_a_receipt_posted_with_a_line_break_shows_the_message_not_a_500(
    client, paper, clerk
):
    client.force_login(clerk)

    response = client.post(
        reverse("notifications:receipt", args=[paper.pk]),
        {"signed_by": "张三\r\nBcc: x@evil.example"},
        follow=True,
    )

    assert response.status_code == 400
    assert LINE in response.content.decode()
    paper.refresh_from_db()
    assert paper.status == DeliveryStatus.QUEUED
    assert paper.receipt_signed_by == ""
