"""The reminder helper: a notice filed under one record may be about another's
deadline (an overdue task's notice belongs to its topic)."""

from datetime import date

import pytest

from committees.models import Role
from notifications.models import Kind, Notification
from notifications.reminders import Reminder, notify_each, reminder_key
from tests.factories import (
    PersonFactory,
    TopicFactory,
    VillageFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def test_message_and_link_are_given_the_record_and_the_notice_filed_under_about():
    topic = TopicFactory(place=VillageFactory())
    record = PersonFactory(name="被提醒的记录")
    recipient = PersonFactory()
    seen = []

    def message(about):
        seen.append(about)
        return f"主题：{about.name}", "正文"

    sent = notify_each(
        Kind.REMINDER,
        [Reminder(topic, "test-reminder:1", [recipient], record=record)],
        message,
        link=lambda about: f"/people/{about.pk}/",
    )
    assert sent == 1
    assert seen == [record]
    notice = Notification.objects.get(key="test-reminder:1")
    assert notice.about == topic
    assert notice.subject == "主题：被提醒的记录"
    assert notice.link == f"/people/{record.pk}/"


def test_without_a_record_message_is_given_about():
    topic = TopicFactory(place=VillageFactory())
    reminder = Reminder(topic, "test-reminder:2", [PersonFactory()])
    assert reminder.watched == topic
    notify_each(Kind.REMINDER, [reminder], lambda about: (about.title, ""))
    assert Notification.objects.get(key="test-reminder:2").subject == topic.title


def test_nobody_to_tell_is_filed_under_about_for_the_administrators():
    village = VillageFactory()
    admin = user_with_role(Role.ADMINISTRATOR, village.parent)
    topic = TopicFactory(place=village)
    record = PersonFactory(name="无人负责的记录")
    sent = notify_each(
        Kind.ESCALATION,
        [Reminder(topic, "test-escalation:3", [], village.parent_id, record=record)],
        lambda about: (about.name, ""),
    )
    assert sent == 0
    notice = Notification.objects.get(key="test-escalation:3")
    assert notice.kind == Kind.NO_RECIPIENT
    assert notice.about == topic
    assert "无人负责的记录" in notice.subject
    assert set(notice.deliveries.values_list("person__user_id", flat=True)) == {
        admin.pk
    }


def test_a_date_in_a_key_reads_as_its_iso_text():
    assert reminder_key("x", 7, date(2026, 3, 1)) == "x:7:2026-03-01"
