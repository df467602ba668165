"""Scheduled jobs: one registry, one Celery task, one beat schedule per job.

An app registers a job in its ``AppConfig.ready()`` (``register_job``); after
every ``migrate`` each registered job gets a django-celery-beat
``PeriodicTask`` if it has none, so administrators see the schedules in the
admin and may change or disable them there. The sync only creates rows (an
edited schedule stays edited), apart from moving rows written for the task's
old names (``notifications.periodic.run_check`` and ``.run_job``) to the
current one without leaving duplicates.

Each app keeps its jobs in its ``jobs`` module and names them after the app
(``topics.step_reminders``, ``consult.…``); this module is notifications' own.
Not to be confused with the evidence checks of a step (``topics.evidence``).
"""

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from celery.schedules import crontab as celery_crontab
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

logger = logging.getLogger(__name__)

RUN_JOB_TASK = "notifications.jobs.run_job"
# The task's names before the renames (run_check → run_job, then the module
# periodic → jobs); beat rows still naming them are moved.
LEGACY_RUN_JOB_TASKS = (
    "notifications.periodic.run_check",
    "notifications.periodic.run_job",
)
CRONTAB_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[datetime], int]
    description: str
    every: timedelta | None = None
    crontab: dict | None = None


_JOBS: dict[str, Job] = {}


def register_job(
    name: str,
    func: Callable[[datetime], int],
    *,
    description: str,
    every: timedelta | None = None,
    crontab: dict | None = None,
) -> None:
    """Register ``func(now) -> count`` to run on a schedule under ``name``.

    Exactly one of ``every`` and ``crontab`` (celery crontab fields; omitted
    fields mean "every") gives the default schedule.
    """
    if (every is None) == (crontab is None):
        raise ValueError(f"job {name!r}: give exactly one of every= and crontab=")
    if every is not None and (every.total_seconds() < 1 or every.microseconds):
        raise ValueError(f"job {name!r}: every= must be whole seconds, at least 1")
    if crontab is not None:
        unknown = set(crontab) - set(CRONTAB_FIELDS)
        if unknown:
            raise ValueError(f"job {name!r}: unknown crontab fields {unknown}")
        # Fail at start-up, not at the first beat tick, on a malformed field.
        celery_crontab(**crontab)
    existing = _JOBS.get(name)
    if existing is not None and existing.func is not func:
        raise ValueError(f"job {name!r} is already registered")
    _JOBS[name] = Job(
        name=name,
        func=func,
        description=description,
        every=every,
        crontab=dict(crontab) if crontab is not None else None,
    )


# Jobs run hourly or daily over the whole installation; the global task limit
# (two minutes) is meant for single deliveries and would cut a large run short.
@shared_task(name=RUN_JOB_TASK, soft_time_limit=600, time_limit=660)
def run_job(name: str) -> int | None:
    job = _JOBS.get(name)
    if job is None:
        logger.error(
            "scheduled job %r is not registered by any installed app; "
            "disable or delete its schedule in the admin (定时任务)",
            name,
        )
        return None
    count = job.func(timezone.now())
    logger.info("scheduled job %s done: %s", name, count)
    return count


def run_due_jobs(*, now: datetime | None = None) -> dict[str, int | None]:
    """Run every registered interval job once now, in-process; their counts.

    For a fresh start (``run_local``): beat fires an interval job only one
    interval after it starts, so the demo inbox would stay empty for an hour.
    Crontab jobs (the daily digest) keep their hour. A failing job is logged
    and does not stop the others.
    """
    now = now or timezone.now()
    counts: dict[str, int | None] = {}
    for job in _JOBS.values():
        if job.every is None:
            continue
        try:
            counts[job.name] = job.func(now)
        except Exception:
            logger.exception("scheduled job %s failed at start", job.name)
            counts[job.name] = None
    return counts


def _interval(every: timedelta, using: str) -> IntervalSchedule:
    seconds = int(every.total_seconds())
    # The largest whole unit reads best in the admin ("every 5 minutes").
    period, size = next(
        (period, size)
        for period, size in (
            (IntervalSchedule.DAYS, 86400),
            (IntervalSchedule.HOURS, 3600),
            (IntervalSchedule.MINUTES, 60),
            (IntervalSchedule.SECONDS, 1),
        )
        if seconds % size == 0
    )
    fields = {"every": seconds // size, "period": period}
    # No unique constraint on schedules: reuse any equal row rather than get().
    found = IntervalSchedule.objects.using(using).filter(**fields).first()
    return found or IntervalSchedule.objects.using(using).create(**fields)


def _crontab(spec: dict, using: str) -> CrontabSchedule:
    fields = {name: str(spec.get(name, "*")) for name in CRONTAB_FIELDS}
    fields["timezone"] = settings.TIME_ZONE
    found = CrontabSchedule.objects.using(using).filter(**fields).first()
    return found or CrontabSchedule.objects.using(using).create(**fields)


def _job_name(raw: str | None) -> str | None:
    try:
        args = json.loads(raw or "[]")
    except ValueError:
        return None
    if isinstance(args, list) and args and isinstance(args[0], str):
        return args[0]
    return None


def _scheduled_job_names(rows: Iterable[str | None]) -> set[str]:
    return {name for name in map(_job_name, rows) if name is not None}


def rename_legacy_tasks(periodic_task_model, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Move beat rows of the task's old names to ``run_job``; return how many moved.

    A job that already has a ``run_job`` row keeps that one (the row the
    administrator sees and may have edited) and its old row is deleted, so
    the rename never leaves two schedules for one job. Used by the data
    migration and by every sync, for rows written in between.
    """
    tasks = periodic_task_model.objects.using(using)
    scheduled = _scheduled_job_names(
        tasks.filter(task=RUN_JOB_TASK).values_list("args", flat=True)
    )
    moved = 0
    for row in tasks.filter(task__in=LEGACY_RUN_JOB_TASKS).order_by("pk"):
        name = _job_name(row.args)
        if name in scheduled:
            row.delete()
            continue
        row.task = RUN_JOB_TASK
        row.save(update_fields=["task"])
        if name is not None:
            scheduled.add(name)
        moved += 1
    return moved


def sync_periodic_tasks(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Create the beat row of every registered job that has none; return how many.

    A job counts as scheduled when any ``run_job`` row names it, whatever
    its title, schedule or enabled flag: those belong to the administrator. A
    deleted row comes back at the next sync; disabling is how to stop a job.
    """
    created = 0
    with transaction.atomic(using=using):
        rename_legacy_tasks(PeriodicTask, using=using)
        tasks = PeriodicTask.objects.using(using)
        scheduled = _scheduled_job_names(
            tasks.filter(task=RUN_JOB_TASK).values_list("args", flat=True)
        )
        taken = set(tasks.values_list("name", flat=True))
        for job in _JOBS.values():
            if job.name in scheduled:
                continue
            # The title must be unique; an unrelated row may already hold it.
            title = str(job.description)
            if title in taken:
                title = job.name
            schedule = (
                {"interval": _interval(job.every, using)}
                if job.every is not None
                else {"crontab": _crontab(job.crontab, using)}
            )
            task = PeriodicTask(
                name=title,
                task=RUN_JOB_TASK,
                args=json.dumps([job.name]),
                description=str(
                    _(
                        "定时任务 %(name)s，由系统创建。"
                        "可修改时间或停用；删除后会自动重建。"
                    )
                    % {"name": job.name}
                ),
                **schedule,
            )
            task.save(using=using)
            taken.add(title)
            created += 1
            logger.info("scheduled job %s as %r", job.name, title)
    return created


def sync_on_post_migrate(sender, *, using: str, apps=None, **kwargs) -> None:
    """post_migrate receiver; skips databases where beat's tables do not exist yet."""
    if apps is not None:
        try:
            apps.get_model("django_celery_beat", "PeriodicTask")
        except LookupError:
            return
    sync_periodic_tasks(using=using)
