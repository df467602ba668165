"""The scheduled-job registry, its beat schedules and the run_job task."""

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from notifications import periodic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def registry(monkeypatch):
    """A copy of the registry, so the checks registered here do not leak."""
    monkeypatch.setattr(periodic, "_JOBS", dict(periodic._JOBS))


def scheduled(name: str) -> list[PeriodicTask]:
    return list(
        PeriodicTask.objects.filter(
            task=periodic.RUN_JOB_TASK, args=json.dumps([name])
        ).select_related("interval", "crontab")
    )


def count_rows() -> tuple[int, int, int]:
    return (
        PeriodicTask.objects.count(),
        IntervalSchedule.objects.count(),
        CrontabSchedule.objects.count(),
    )


def test_every_installed_check_got_its_schedule_when_the_test_db_was_migrated():
    [requeue] = scheduled("notifications.requeue_stale")
    assert (requeue.interval.every, requeue.interval.period) == (5, "minutes")
    [digest] = scheduled("notifications.digest")
    assert (digest.crontab.minute, digest.crontab.hour) == ("0", "18")
    assert str(digest.crontab.timezone) == settings.TIME_ZONE
    for name in ("topics.step_reminders", "topics.step_escalations"):
        [row] = scheduled(name)
        assert (row.interval.every, row.interval.period) == (1, "hours")
        assert row.enabled


def test_registering_a_check_creates_its_periodic_task_on_migrate():
    periodic.register_job(
        "tests.sample",
        lambda now: 0,
        description="测试检查",
        every=timedelta(minutes=10),
    )
    assert scheduled("tests.sample") == []

    call_command("migrate", verbosity=0)

    [row] = scheduled("tests.sample")
    assert row.name == "测试检查"
    assert (row.interval.every, row.interval.period) == (10, "minutes")
    assert row.enabled
    assert row.crontab is None


def test_crontab_check_uses_the_site_time_zone():
    periodic.register_job(
        "tests.weekly",
        lambda now: 0,
        description="每周检查",
        crontab={"minute": "30", "hour": "7", "day_of_week": "1"},
    )
    periodic.sync_periodic_tasks()

    [row] = scheduled("tests.weekly")
    assert row.interval is None
    crontab = row.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("30", "7", "1")
    assert (crontab.day_of_month, crontab.month_of_year) == ("*", "*")
    assert str(crontab.timezone) == settings.TIME_ZONE


def test_sync_twice_creates_nothing_the_second_time():
    periodic.register_job(
        "tests.sample", lambda now: 0, description="测试检查", every=timedelta(hours=2)
    )
    assert periodic.sync_periodic_tasks() == 1
    before = count_rows()

    assert periodic.sync_periodic_tasks() == 0
    call_command("migrate", verbosity=0)

    assert count_rows() == before
    assert len(scheduled("tests.sample")) == 1


def test_an_administrators_edits_survive_the_next_sync():
    periodic.register_job(
        "tests.sample", lambda now: 0, description="测试检查", every=timedelta(hours=1)
    )
    periodic.sync_periodic_tasks()
    [row] = scheduled("tests.sample")
    daily = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    row.name = "管理员改过的名称"
    row.interval = daily
    row.enabled = False
    row.save()
    [digest] = scheduled("notifications.digest")
    evening = CrontabSchedule.objects.create(
        minute="30", hour="20", timezone=settings.TIME_ZONE
    )
    digest.crontab = evening
    digest.save()

    assert periodic.sync_periodic_tasks() == 0

    [row] = scheduled("tests.sample")
    assert (row.name, row.interval_id, row.enabled) == (
        "管理员改过的名称",
        daily.pk,
        False,
    )
    [digest] = scheduled("notifications.digest")
    assert digest.crontab_id == evening.pk


def test_a_deleted_schedule_comes_back_at_the_next_sync():
    [row] = scheduled("notifications.requeue_stale")
    row.delete()

    assert periodic.sync_periodic_tasks() == 1

    assert len(scheduled("notifications.requeue_stale")) == 1


def test_a_title_taken_by_another_task_falls_back_to_the_check_name():
    PeriodicTask.objects.create(
        name="测试检查",
        task="somewhere.else",
        interval=IntervalSchedule.objects.create(every=3, period="hours"),
    )
    periodic.register_job(
        "tests.sample", lambda now: 0, description="测试检查", every=timedelta(hours=1)
    )

    periodic.sync_periodic_tasks()

    [row] = scheduled("tests.sample")
    assert row.name == "tests.sample"


@pytest.mark.parametrize(
    "schedule",
    [
        {},
        {"every": timedelta(hours=1), "crontab": {"minute": "0"}},
        {"every": timedelta(0)},
        {"crontab": {"minute": "0", "second": "5"}},
        {"crontab": {"hour": "25"}},
    ],
    ids=["none", "both", "zero", "unknown-field", "bad-hour"],
)
def test_a_malformed_schedule_is_refused_at_registration(schedule):
    with pytest.raises(ValueError):
        periodic.register_job(
            "tests.bad", lambda now: 0, description="坏的", **schedule
        )
    assert "tests.bad" not in periodic._JOBS


def test_a_name_cannot_be_taken_by_a_second_function():
    periodic.register_job(
        "tests.sample", lambda now: 0, description="一", every=timedelta(hours=1)
    )
    with pytest.raises(ValueError, match="already registered"):
        periodic.register_job(
            "tests.sample", lambda now: 1, description="二", every=timedelta(hours=1)
        )


def test_run_job_calls_the_registered_function_with_the_current_time():
    calls = []

    def sample(now):
        calls.append(now)
        return 7

    periodic.register_job(
        "tests.sample", sample, description="测试检查", every=timedelta(hours=1)
    )
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

    with time_machine.travel(moment, tick=False):
        result = periodic.run_job.delay("tests.sample")

    assert result.get() == 7
    assert calls == [moment]


def test_run_job_of_an_unknown_name_logs_an_error_and_does_not_raise(caplog):
    with caplog.at_level(logging.ERROR, logger="notifications.periodic"):
        result = periodic.run_job.delay("tests.never_registered")

    assert result.successful()
    assert result.get() is None
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "tests.never_registered" in record.getMessage()
    assert "not registered" in record.getMessage()
