"""The scheduled audit verification (topics/jobs/audit.py) tells the administrators."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from committees.models import Role
from notifications.jobs import _JOBS
from notifications.models import Delivery, Kind, Notification
from tests.factories import (
    BodyFactory,
    PersonFactory,
    TopicFactory,
    VillageFactory,
    user_with_role,
)
from topics.jobs import audit as audit_jobs
from topics.records import topic_event, topic_write

pytestmark = pytest.mark.django_db


@pytest.fixture
def village():
    return VillageFactory()


@pytest.fixture
def topic(village):
    topic = TopicFactory(place=village, body=BodyFactory(place=village))
    person = PersonFactory()
    for verb in ("participant_add", "participant_remove"):
        with topic_write(topic.pk) as locked:
            topic_event(locked, actor=None, verb=verb, record=person)
    return topic


@pytest.fixture
def admin(village):
    return user_with_role(Role.ADMINISTRATOR, village.parent)


def recipients(notification) -> set[int]:
    return set(
        Delivery.objects.filter(notification=notification).values_list(
            "person__user", flat=True
        )
    )


def run_daily(captured) -> int:
    with captured(execute=True):
        return audit_jobs.verify_daily(timezone.now())


def test_the_daily_and_weekly_checks_are_registered():
    daily = _JOBS[audit_jobs.DAILY_CHECK]
    weekly = _JOBS[audit_jobs.WEEKLY_CHECK]
    assert daily.func is audit_jobs.verify_daily
    assert daily.crontab == {"minute": "30", "hour": "3"}
    assert weekly.func is audit_jobs.verify_weekly
    assert weekly.crontab["day_of_week"] == "0"


def test_intact_chains_notify_nobody(topic, admin, django_capture_on_commit_callbacks):
    assert run_daily(django_capture_on_commit_callbacks) == 0
    assert run_daily(django_capture_on_commit_callbacks) == 0
    assert not Notification.objects.exists()


def test_a_break_notifies_the_townships_administrators_once(
    topic, admin, village, django_capture_on_commit_callbacks
):
    """The notice names the topic and the event; a second run adds nothing."""
    secretary = user_with_role(Role.VILLAGE_SECRETARY, village)
    elsewhere = user_with_role(Role.ADMINISTRATOR, VillageFactory().parent)
    run_daily(django_capture_on_commit_callbacks)
    with topic_write(topic.pk) as locked:
        event = topic_event(locked, actor=None, verb="edit", reason="新")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET reason = %s WHERE id = %s", ["改过", event.pk]
        )

    assert run_daily(django_capture_on_commit_callbacks) == 1
    notification = Notification.objects.get()
    assert notification.kind == Kind.ESCALATION
    assert notification.about_id == topic.pk
    assert recipients(notification) == {admin.pk}
    assert secretary.pk not in recipients(notification)
    assert elsewhere.pk not in recipients(notification)
    assert "1 处断裂" in notification.subject
    assert f"“{topic.title}”（topics.topic:{topic.pk}）第 3 条" in notification.body
    assert f"记录编号 {event.pk}" in notification.body
    assert "哈希不符" in notification.body

    deliveries = Delivery.objects.count()
    run_daily(django_capture_on_commit_callbacks)
    audit_jobs.verify_weekly(timezone.now() + timedelta(days=1))
    assert Notification.objects.count() == 1
    assert Delivery.objects.count() == deliveries


def test_a_deleted_tail_is_reported_to_the_administrators(
    topic, admin, django_capture_on_commit_callbacks
):
    run_daily(django_capture_on_commit_callbacks)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM core_auditevent WHERE subject_id = %s AND seq = 2", [topic.pk]
        )
    assert run_daily(django_capture_on_commit_callbacks) == 1
    body = Notification.objects.get().body
    assert f"“{topic.title}”（topics.topic:{topic.pk}）第 2 条：链尾记录被删除" in body


def test_the_daily_run_jobs_the_seal_of_the_last_verified_event(
    topic, admin, django_capture_on_commit_callbacks
):
    run_daily(django_capture_on_commit_callbacks)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET reason = 'x' WHERE seq = 2")
    assert run_daily(django_capture_on_commit_callbacks) == 1
    assert "第 2 条" in Notification.objects.get().body


def test_a_break_with_no_administrator_is_logged_not_lost(
    topic, caplog, django_capture_on_commit_callbacks
):
    run_daily(django_capture_on_commit_callbacks)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET reason = 'x' WHERE seq = 2")
    assert run_daily(django_capture_on_commit_callbacks) == 0
    assert "no administrator" in caplog.text
    assert not Notification.objects.exists()


def test_the_beat_task_runs_the_daily_check_by_name(topic, settings):
    from notifications.jobs import run_job

    assert run_job.delay(audit_jobs.DAILY_CHECK).get() == 0
    assert list(settings.XST_AUDIT_HEADS_DIR.glob("heads-*.json"))
