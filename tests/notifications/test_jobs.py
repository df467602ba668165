"""The scheduled-job registry, its beat schedules and the run_job task."""

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from notifications import jobs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def registry(monkeypatch):
    """A copy of the registry, so the checks registered here do not leak."""
    monkeypatch.setattr(jobs, "_JOBS", dict(jobs._JOBS))


def scheduled(name: str) -> list[PeriodicTask]:
    return list(
        PeriodicTask.objects.filter(
            task=jobs.RUN_JOB_TASK, args=json.dumps([name])
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
    jobs.register_job(
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
    jobs.register_job(
        "tests.weekly",
        lambda now: 0,
        description="每周检查",
        crontab={"minute": "30", "hour": "7", "day_of_week": "1"},
    )
    jobs.sync_periodic_tasks()

    [row] = scheduled("tests.weekly")
    assert row.interval is None
    crontab = row.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("30", "7", "1")
    assert (crontab.day_of_month, crontab.month_of_year) == ("*", "*")
    assert str(crontab.timezone) == settings.TIME_ZONE


def test_sync_twice_creates_nothing_the_second_time():
    jobs.register_job(
        "tests.sample", lambda now: 0, description="测试检查", every=timedelta(hours=2)
    )
    assert jobs.sync_periodic_tasks() == 1
    before = count_rows()

    assert jobs.sync_periodic_tasks() == 0
    call_command("migrate", verbosity=0)

    assert count_rows() == before
    assert len(scheduled("tests.sample")) == 1


def test_an_administrators_edits_survive_the_next_sync():
    jobs.register_job(
        "tests.sample", lambda now: 0, description="测试检查", every=timedelta(hours=1)
    )
    jobs.sync_periodic_tasks()
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

    assert jobs.sync_periodic_tasks() == 0

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

    assert jobs.sync_periodic_tasks() == 1

    assert len(scheduled("notifications.requeue_stale")) == 1


def test_a_title_taken_by_another_task_falls_back_to_the_check_name():
    PeriodicTask.objects.create(
        name="测试检查",
        task="somewhere.else",
        interval=IntervalSchedule.objects.create(every=3, period="hours"),
    )
    jobs.register_job(
        "tests.sample", lambda now: 0, description="测试检查", every=timedelta(hours=1)
    )

    jobs.sync_periodic_tasks()

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
        jobs.register_job("tests.bad", lambda now: 0, description="坏的", **schedule)
    assert "tests.bad" not in jobs._JOBS


def test_a_name_cannot_be_taken_by_a_second_function():
    jobs.register_job(
        "tests.sample", lambda now: 0, description="一", every=timedelta(hours=1)
    )
    with pytest.raises(ValueError, match="already registered"):
        jobs.register_job(
            "tests.sample", lambda now: 1, description="二", every=timedelta(hours=1)
        )


def test_run_job_calls_the_registered_function_with_the_current_time():
    calls = []

    def sample(now):
        calls.append(now)
        return 7

    jobs.register_job(
        "tests.sample", sample, description="测试检查", every=timedelta(hours=1)
    )
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

    with time_machine.travel(moment, tick=False):
        result = jobs.run_job.delay("tests.sample")

    assert result.get() == 7
    assert calls == [moment]


def test_run_job_of_an_unknown_name_logs_an_error_and_does_not_raise(caplog):
    with caplog.at_level(logging.ERROR, logger="notifications.jobs"):
        result = jobs.run_job.delay("tests.never_registered")

    assert result.successful()
    assert result.get() is None
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "tests.never_registered" in record.getMessage()
    assert "not registered" in record.getMessage()


# -- the renames run_check -> run_job, periodic.run_job -> jobs.run_job --------

RUN_CHECK, OLD_RUN_JOB = jobs.LEGACY_RUN_JOB_TASKS


def _legacy_row(name: str, title: str, task=RUN_CHECK, **fields) -> PeriodicTask:
    interval, _created = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.HOURS
    )
    return PeriodicTask.objects.create(
        name=title,
        task=task,
        args=json.dumps([name]),
        interval=interval,
        **fields,
    )


@pytest.mark.parametrize("old_task", jobs.LEGACY_RUN_JOB_TASKS)
def test_a_legacy_row_is_moved_to_run_job_and_keeps_its_edits(old_task):
    PeriodicTask.objects.filter(
        task=jobs.RUN_JOB_TASK, args=json.dumps(["topics.step_reminders"])
    ).delete()
    legacy = _legacy_row(
        "topics.step_reminders", "管理员改过的提醒", task=old_task, enabled=False
    )

    jobs.sync_periodic_tasks()

    [row] = scheduled("topics.step_reminders")
    assert row.pk == legacy.pk
    assert row.name == "管理员改过的提醒"
    assert row.enabled is False
    assert not PeriodicTask.objects.filter(task__in=jobs.LEGACY_RUN_JOB_TASKS)


@pytest.mark.parametrize("old_task", jobs.LEGACY_RUN_JOB_TASKS)
def test_a_job_with_both_rows_keeps_only_its_run_job_row(old_task):
    [current] = scheduled("topics.step_escalations")
    _legacy_row("topics.step_escalations", "旧的督办任务", task=old_task)

    jobs.sync_periodic_tasks()
    jobs.sync_periodic_tasks()

    assert [row.pk for row in scheduled("topics.step_escalations")] == [current.pk]
    assert not PeriodicTask.objects.filter(task__in=jobs.LEGACY_RUN_JOB_TASKS)


def _run_migration(name: str, function: str) -> None:
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    getattr(import_module(name), function)(apps, editor)


def test_the_data_migrations_move_legacy_rows_without_duplicates():
    [kept] = scheduled("notifications.digest")
    _legacy_row("notifications.digest", "旧汇总")
    _legacy_row("notifications.digest", "旧汇总（改名前）", task=OLD_RUN_JOB)
    PeriodicTask.objects.filter(
        task=jobs.RUN_JOB_TASK, args=json.dumps(["topics.step_reminders"])
    ).delete()
    moved = _legacy_row("topics.step_reminders", "旧提醒")

    _run_migration(
        "notifications.migrations.0002_notice_about_subject_and_sending_claim",
        "rename_beat_tasks",
    )
    _run_migration(
        "notifications.migrations.0004_run_job_task_follows_module_rename",
        "forwards",
    )

    assert [row.pk for row in scheduled("notifications.digest")] == [kept.pk]
    assert [row.pk for row in scheduled("topics.step_reminders")] == [moved.pk]
    assert not PeriodicTask.objects.filter(task__in=jobs.LEGACY_RUN_JOB_TASKS)


def test_the_data_migration_renames_the_audit_jobs_after_their_module():
    [kept] = scheduled("topics.audit_daily")
    PeriodicTask.objects.filter(
        task=jobs.RUN_JOB_TASK, args=json.dumps(["topics.audit_weekly"])
    ).delete()
    interval, _created = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.DAYS
    )
    for name in ("core.audit_daily", "core.audit_weekly"):
        PeriodicTask.objects.create(
            name=f"旧 {name}",
            task=jobs.RUN_JOB_TASK,
            args=json.dumps([name]),
            interval=interval,
            enabled=False,
        )

    _run_migration("topics.migrations.0004_audit_job_names_follow_module", "forwards")

    assert [row.pk for row in scheduled("topics.audit_daily")] == [kept.pk]
    [weekly] = scheduled("topics.audit_weekly")
    assert (weekly.name, weekly.enabled) == ("旧 core.audit_weekly", False)
    assert not scheduled("core.audit_daily") and not scheduled("core.audit_weekly")


def test_run_due_jobs_runs_each_interval_job_once_and_skips_crontab_jobs(caplog):
    calls = []
    jobs._JOBS.clear()
    jobs.register_job(
        "tests.hourly",
        lambda now: calls.append(now) or 3,
        description="a",
        every=timedelta(hours=1),
    )
    jobs.register_job(
        "tests.daily",
        lambda now: calls.append("daily") or 1,
        description="b",
        crontab={"hour": "18", "minute": "0"},
    )

    def broken(now):
        raise RuntimeError("boom")

    jobs.register_job("tests.broken", broken, description="c", every=timedelta(hours=1))
    at = datetime(2026, 3, 1, 8, tzinfo=UTC)

    with caplog.at_level(logging.ERROR, logger="notifications.jobs"):
        counts = jobs.run_due_jobs(now=at)

    assert counts == {"tests.hourly": 3, "tests.broken": None}
    assert calls == [at]
    assert "tests.broken failed" in caplog.text


def test_every_installed_job_is_named_after_the_app_that_runs_it():
    for job in jobs._JOBS.values():
        app = job.func.__module__.split(".")[0]
        assert job.name.split(".")[0] == app, job.name
