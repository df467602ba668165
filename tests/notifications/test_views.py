"""The inbox, preferences, and the clerk's delivery and printing pages."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from committees.models import Role
from committees.services import person_for_user
from notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Kind,
    Notification,
    Preference,
)
from tests.factories import (
    PersonFactory,
    TopicFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


INBOX = reverse("notifications:inbox")
MEETING = datetime(2026, 4, 8, 1, 30, tzinfo=UTC)
ISSUED = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)


def notice(*, subject: str = "通知", about=None, **fields) -> Notification:
    fields.setdefault("kind", Kind.MATERIAL)
    return Notification.objects.create(
        key=f"test:{Notification.objects.count()}:{subject}",
        subject=subject,
        body=f"{subject}的正文",
        about=about,
        **fields,
    )


def deliver(notification, person, *, channel=Channel.INBOX, **fields) -> Delivery:
    fields.setdefault("status", DeliveryStatus.SENT)
    return Delivery.objects.create(
        notification=notification, person=person, channel=channel, **fields
    )


def inbox_item(user, subject: str, status=DeliveryStatus.SENT, **fields) -> Delivery:
    return deliver(
        notice(subject=subject, **fields), person_for_user(user), status=status
    )


def header_unread(html: str) -> int:
    match = re.search(r'<span class="badge"[^>]*>(\d+)</span>', html)
    return int(match.group(1)) if match else 0


@pytest.fixture
def alice(client):
    user = UserFactory()
    client.force_login(user)
    return user


# -- inbox ---------------------------------------------------------------------


def test_the_inbox_needs_a_login(client):
    response = client.get(INBOX)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_inbox_shows_only_the_users_own_deliveries_newest_first(client, alice):
    newer = inbox_item(alice, "最新的通知")
    older = inbox_item(alice, "较早的通知")
    Delivery.objects.filter(pk=newer.pk).update(
        created_at=datetime(2026, 3, 5, tzinfo=UTC)
    )
    Delivery.objects.filter(pk=older.pk).update(
        created_at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    inbox_item(UserFactory(), "别人的通知")

    html = client.get(INBOX).content.decode()

    assert "较早的通知" in html and "最新的通知" in html
    assert "别人的通知" not in html
    assert html.index("最新的通知") < html.index("较早的通知")


def test_unread_deliveries_are_highlighted_and_counted_in_the_header(client, alice):
    inbox_item(alice, "未读一")
    inbox_item(alice, "未读二")
    inbox_item(alice, "已读的", status=DeliveryStatus.READ)

    html = client.get(INBOX).content.decode()

    assert html.count('<li class="unread">') == 2
    assert html.count('<li class="read">') == 1
    assert header_unread(html) == 2


def test_marking_one_read_lowers_the_unread_count_in_the_header(client, alice):
    first = inbox_item(alice, "未读一")
    inbox_item(alice, "未读二")

    response = client.post(reverse("notifications:mark_read", args=[first.pk]))

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == DeliveryStatus.READ
    assert first.read_at is not None
    assert header_unread(client.get(INBOX).content.decode()) == 1


def test_marking_another_users_delivery_read_is_not_found(client, alice):
    theirs = inbox_item(UserFactory(), "别人的通知")

    response = client.post(reverse("notifications:mark_read", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == DeliveryStatus.SENT


def test_mark_all_read_clears_the_users_unread_only(client, alice):
    for n in range(3):
        inbox_item(alice, f"未读{n}")
    theirs = inbox_item(UserFactory(), "别人的通知")

    response = client.post(reverse("notifications:mark_all_read"), follow=True)

    assert header_unread(response.content.decode()) == 0
    assert "全部消息已标为已读" in response.content.decode()
    assert not Delivery.objects.filter(
        person__user=alice, status=DeliveryStatus.SENT
    ).exists()
    theirs.refresh_from_db()
    assert theirs.status == DeliveryStatus.SENT


def test_pages_of_the_inbox(client, alice):
    for n in range(25):
        inbox_item(alice, f"第{n}号通知")

    first = client.get(INBOX).content.decode()
    second = client.get(INBOX, {"page": 2}).content.decode()

    assert first.count("<li class=") == 20
    assert second.count("<li class=") == 5


def test_the_inbox_takes_as_many_queries_for_30_deliveries_as_for_3(client, alice):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(INBOX)
        return len(captured)

    for n in range(3):
        inbox_item(alice, f"通知{n}", about=TopicFactory(), event_start=MEETING)
    client.get(INBOX)
    few = queries()
    for n in range(27):
        inbox_item(alice, f"更多{n}", about=TopicFactory(), event_start=MEETING)

    assert queries() == few


# -- calendar file --------------------------------------------------------------


def test_a_meeting_notice_offers_its_calendar_file(client, alice):
    delivery = inbox_item(
        alice,
        "村民议事会会议通知",
        kind=Kind.MEETING_NOTICE,
        event_start=MEETING,
        event_end=MEETING + timedelta(hours=2),
        location="村委会会议室",
    )
    url = reverse("notifications:ics", args=[delivery.pk])

    assert url in client.get(INBOX).content.decode()
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    assert "BEGIN:VCALENDAR" in body
    assert "BEGIN:VEVENT" in body


def test_another_users_calendar_file_is_not_found(client, alice):
    theirs = deliver(
        notice(subject="会议", kind=Kind.MEETING_NOTICE, event_start=MEETING),
        person_for_user(UserFactory()),
    )

    response = client.get(reverse("notifications:ics", args=[theirs.pk]))

    assert response.status_code == 404


def test_a_notice_without_a_meeting_has_no_calendar_file(client, alice):
    delivery = inbox_item(alice, "资料")

    response = client.get(reverse("notifications:ics", args=[delivery.pk]))

    assert response.status_code == 404


# -- preferences ------------------------------------------------------------------


def test_preferences_say_that_required_notices_always_go_out(client, alice):
    html = client.get(reverse("notifications:preferences")).content.decode()

    note = html[html.index("始终立即发送") :]
    assert "会议通知" in note
    assert "决定通报" in note


def test_preferences_are_saved_for_the_users_own_person(client, alice):
    url = reverse("notifications:preferences")

    response = client.post(url, {"daily_digest": "on"})

    assert response.status_code == 302
    preference = Preference.objects.get(person__user=alice)
    assert (preference.email, preference.sms, preference.daily_digest) == (
        False,
        False,
        True,
    )

    client.post(url, {"email": "on", "sms": "on"})

    preference.refresh_from_db()
    assert (preference.email, preference.sms, preference.daily_digest) == (
        True,
        True,
        False,
    )
    assert Preference.objects.count() == 1


# -- clerks: deliveries of a topic, paper notices and receipts --------------------


@pytest.fixture
def village():
    return VillageFactory()


@pytest.fixture
def clerk(village):
    return user_with_role(Role.VILLAGE_CLERK, village)


@pytest.fixture
def meeting(village):
    """A meeting notice of a village topic: one of each kind of delivery."""
    topic = TopicFactory(place=village)
    notification = notice(
        subject="关于召开村民议事会的通知",
        about=topic,
        kind=Kind.MEETING_NOTICE,
        created_at=ISSUED,
        event_start=MEETING,
        location="村委会会议室",
    )
    people = {
        name: PersonFactory(name=name)
        for name in ("张三", "李四", "王五", "赵六", "钱七")
    }
    deliveries = {
        "inbox": deliver(notification, people["张三"]),
        "failed": deliver(
            notification,
            people["李四"],
            channel=Channel.SMS,
            status=DeliveryStatus.FAILED,
            attempts=3,
            last_error="短信网关超时",
        ),
        "skipped": deliver(
            notification,
            people["李四"],
            channel=Channel.EMAIL,
            status=DeliveryStatus.SKIPPED,
            skip_reason="未登记电子邮箱",
        ),
        "paper": deliver(
            notification,
            people["王五"],
            channel=Channel.PAPER,
            status=DeliveryStatus.QUEUED,
        ),
        "paper2": deliver(
            notification,
            people["赵六"],
            channel=Channel.PAPER,
            status=DeliveryStatus.QUEUED,
        ),
        "paper3": deliver(
            notification,
            people["钱七"],
            channel=Channel.PAPER,
            status=DeliveryStatus.QUEUED,
        ),
    }
    return topic, notification, deliveries


def test_a_clerk_sees_every_delivery_of_the_topic_with_its_failures(
    client, clerk, meeting
):
    topic, notification, _deliveries = meeting
    client.force_login(clerk)

    response = client.get(reverse("notifications:topic_deliveries", args=[topic.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert notification.subject in html
    for text in ("张三", "王五", "发送失败", "短信网关超时", "未登记电子邮箱"):
        assert text in html
    assert reverse("notifications:print", args=[notification.pk]) in html
    assert "有 1 条发送失败" in html


@pytest.mark.parametrize("who", ["other-village-clerk", "member", "no-role"])
def test_the_clerk_pages_are_not_found_for_others(client, village, meeting, who):
    topic, notification, _deliveries = meeting
    users = {
        "other-village-clerk": lambda: user_with_role(
            Role.VILLAGE_CLERK, VillageFactory(parent=village.parent)
        ),
        "member": lambda: user_with_role(Role.MEMBER, village),
        "no-role": UserFactory,
    }
    client.force_login(users[who]())

    page = client.get(reverse("notifications:topic_deliveries", args=[topic.pk]))
    printed = client.get(reverse("notifications:print", args=[notification.pk]))

    assert page.status_code == 404
    assert printed.status_code == 404


def test_the_deliveries_page_of_a_missing_topic_is_not_found(client, clerk, meeting):
    topic, _notification, _deliveries = meeting
    client.force_login(clerk)

    response = client.get(
        reverse("notifications:topic_deliveries", args=[topic.pk + 1000])
    )

    assert response.status_code == 404


def test_the_printable_notice_has_one_tear_off_receipt_per_paper_recipient(
    client, clerk, meeting
):
    _topic, notification, deliveries = meeting
    client.force_login(clerk)

    response = client.get(reverse("notifications:print", args=[notification.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<section class="notice-sheet">') == 3
    assert html.count('<div class="tear-off">') == 3
    # Each notice prints on its own sheet (the rule lives in the linked CSS).
    assert "css/notices.css" in html
    stylesheet = Path(finders.find("css/notices.css")).read_text(encoding="utf-8")
    assert "page-break-after:always" in stylesheet.replace(" ", "")
    for name in ("王五", "赵六", "钱七"):
        assert html.count(f"<td>{name}</td>") == 1
    assert "张三" not in html and "李四" not in html
    for label in ("回执", "签收人", "日期"):
        assert label in html


def test_a_clerk_records_a_signed_receipt(client, clerk, meeting):
    topic, _notification, deliveries = meeting
    paper = deliveries["paper"]
    client.force_login(clerk)

    response = client.post(
        reverse("notifications:receipt", args=[paper.pk]),
        {"signed_by": "王五家属", "signed_on": "2026-04-06"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse(
        "notifications:topic_deliveries", args=[topic.pk]
    )
    html = response.content.decode()
    assert "回执已登记" in html
    assert "已签收：王五家属" in html
    paper.refresh_from_db()
    assert paper.status == DeliveryStatus.SENT
    assert paper.receipt_signed_by == "王五家属"
    assert paper.receipt_recorded_by == clerk
    assert timezone.localtime(paper.sent_at).date().isoformat() == "2026-04-06"


def test_an_empty_signer_is_refused_in_chinese(client, clerk, meeting):
    _topic, _notification, deliveries = meeting
    paper = deliveries["paper"]
    client.force_login(clerk)

    response = client.post(
        reverse("notifications:receipt", args=[paper.pk]),
        {"signed_by": "   "},
        follow=True,
    )

    html = response.content.decode()
    # The delivery page again, the message beside the signer's box.
    assert response.status_code == 400
    assert 'id="id_signed_by_error"><li>请填写签收人姓名。' in html
    assert "Traceback" not in html
    paper.refresh_from_db()
    assert paper.receipt_signed_by == ""


def test_a_receipt_recorded_twice_is_refused_in_chinese(client, clerk, meeting):
    _topic, _notification, deliveries = meeting
    paper = deliveries["paper"]
    url = reverse("notifications:receipt", args=[paper.pk])
    client.force_login(clerk)
    client.post(url, {"signed_by": "王五"})

    response = client.post(url, {"signed_by": "别人"}, follow=True)

    html = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"><ul class="errorlist"><li>该通知书已登记签收。</li>' in html
    paper.refresh_from_db()
    assert paper.receipt_signed_by == "王五"


def test_a_receipt_dated_in_the_future_is_refused_in_chinese(client, clerk, meeting):
    _topic, _notification, deliveries = meeting
    paper = deliveries["paper"]
    client.force_login(clerk)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post(
        reverse("notifications:receipt", args=[paper.pk]),
        {"signed_by": "王五", "signed_on": tomorrow.isoformat()},
        follow=True,
    )

    assert "签收日期不能晚于今天" in response.content.decode()
    paper.refresh_from_db()
    assert paper.status == DeliveryStatus.QUEUED


def test_only_paper_deliveries_take_a_receipt(client, clerk, meeting):
    _topic, _notification, deliveries = meeting
    inbox = deliveries["inbox"]
    client.force_login(clerk)

    response = client.post(
        reverse("notifications:receipt", args=[inbox.pk]), {"signed_by": "张三"}
    )

    assert response.status_code == 404
    inbox.refresh_from_db()
    assert inbox.receipt_signed_by == ""


def test_a_clerk_of_another_village_cannot_record_a_receipt(client, village, meeting):
    _topic, _notification, deliveries = meeting
    paper = deliveries["paper"]
    client.force_login(
        user_with_role(Role.VILLAGE_CLERK, VillageFactory(parent=village.parent))
    )

    response = client.post(
        reverse("notifications:receipt", args=[paper.pk]), {"signed_by": "王五"}
    )

    assert response.status_code == 404
    paper.refresh_from_db()
    assert paper.receipt_signed_by == ""
