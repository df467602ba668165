"""Scheduled checks: one registry, one Celery task, one beat schedule per check.

An app registers a check in its ``AppConfig.ready()``; after every ``migrate``
each registered check gets a django-celery-beat ``PeriodicTask`` if it has none,
so administrators see the schedules in the admin and may change or disable
them there. The sync only ever creates rows: an edited schedule stays edited.
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

RUN_CHECK_TASK = "notifications.periodic.run_check"
CRONTAB_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")


@dataclass(frozen=True)
class Check:
    name: str
    func: Callable[[datetime], int]
    description: str
    every: timedelta | None = None
    crontab: dict | None = None


_CHECKS: dict[str, Check] = {}


def register_check(
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
        raise ValueError(f"check {name!r}: give exactly one of every= and crontab=")
    if every is not None and (every.total_seconds() < 1 or every.microseconds):
        raise ValueError(f"check {name!r}: every= must be whole seconds, at least 1")
    if crontab is not None:
        unknown = set(crontab) - set(CRONTAB_FIELDS)
        if unknown:
            raise ValueError(f"check {name!r}: unknown crontab fields {unknown}")
        # Fail at start-up, not at the first beat tick, on a malformed field.
        celery_crontab(**crontab)
    existing = _CHECKS.get(name)
    if existing is not None and existing.func is not func:
        raise ValueError(f"check {name!r} is already registered")
    _CHECKS[name] = Check(
        name=name,
        func=func,
        description=description,
        every=every,
        crontab=dict(crontab) if crontab is not None else None,
    )


# Checks run hourly or daily over the whole installation; the global task limit
# (two minutes) is meant for single deliveries and would cut a large run short.
@shared_task(name=RUN_CHECK_TASK, soft_time_limit=600, time_limit=660)
def run_check(name: str) -> int | None:
    check = _CHECKS.get(name)
    if check is None:
        logger.error(
            "periodic check %r is not registered by any installed app; "
            "disable or delete its schedule in the admin (定时任务)",
            name,
        )
        return None
    count = check.func(timezone.now())
    logger.info("periodic check %s done: %s", name, count)
    return count


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


def _scheduled_check_names(rows: Iterable[str | None]) -> set[str]:
    names = set()
    for raw in rows:
        try:
            args = json.loads(raw or "[]")
        except ValueError:
            continue
        if isinstance(args, list) and args and isinstance(args[0], str):
            names.add(args[0])
    return names


def sync_periodic_tasks(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Create the beat row of every registered check that has none; return how many.

    A check counts as scheduled when any ``run_check`` row names it, whatever
    its title, schedule or enabled flag: those belong to the administrator. A
    deleted row comes back at the next sync; disabling is how to stop a check.
    """
    created = 0
    with transaction.atomic(using=using):
        tasks = PeriodicTask.objects.using(using)
        scheduled = _scheduled_check_names(
            tasks.filter(task=RUN_CHECK_TASK).values_list("args", flat=True)
        )
        taken = set(tasks.values_list("name", flat=True))
        for check in _CHECKS.values():
            if check.name in scheduled:
                continue
            # The title must be unique; an unrelated row may already hold it.
            title = str(check.description)
            if title in taken:
                title = check.name
            schedule = (
                {"interval": _interval(check.every, using)}
                if check.every is not None
                else {"crontab": _crontab(check.crontab, using)}
            )
            task = PeriodicTask(
                name=title,
                task=RUN_CHECK_TASK,
                args=json.dumps([check.name]),
                description=str(
                    _("检查项 %(name)s,由系统创建。可修改时间或停用;删除后会自动重建。")
                    % {"name": check.name}
                ),
                **schedule,
            )
            task.save(using=using)
            taken.add(title)
            created += 1
            logger.info("scheduled periodic check %s as %r", check.name, title)
    return created


def sync_on_post_migrate(sender, *, using: str, apps=None, **kwargs) -> None:
    """post_migrate receiver; skips databases where beat's tables do not exist yet."""
    if apps is not None:
        try:
            apps.get_model("django_celery_beat", "PeriodicTask")
        except LookupError:
            return
    sync_periodic_tasks(using=using)
