"""Benchmark: one notice to 10,000 recipients, end to end, against a floor.

    python -m benchmarks.notices

Measures ``notify`` plus the delivery of every email (locmem backend, so the
cost is ours and not an SMTP server's), then the floor: 10,000 no-op Celery
tasks through the same path. With REDIS_URL set both go through a real worker
started here; without it both run in-process (eager), as ``make run`` does.

The data lives in a database of its own: a temporary SQLite file, or, when
DATABASE_URL names a PostgreSQL server, a database ``xst_bench`` created and
dropped on that server. The last line printed is one JSON object.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from celery import shared_task

RECIPIENTS = 10_000
BENCH_DATABASE = "xst_bench"
BASE_DIR = Path(__file__).resolve().parent.parent
TIMEOUT = 600
# How often completion is checked: rarely enough not to load the machine that
# is being measured, often enough to stay well under 1% of a run.
POLL_SECONDS = 0.1


@shared_task(name="benchmarks.noop", ignore_result=True)
def noop() -> None:
    """The floor: a task that does nothing."""


def _use_own_database(workdir: Path) -> str | None:
    """Point DATABASE_URL at a database only this run uses.

    Runs before Django reads its settings. Returns the URL to administer the
    PostgreSQL server with, or None for a temporary SQLite file.
    """
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
        return None
    import psycopg

    parts = urlsplit(configured)
    bench = urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))
    # Administer through the maintenance database, as Django's test runner
    # does: the configured one need not exist and is never touched.
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
        admin.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    os.environ["DATABASE_URL"] = bench
    return server


def _drop_own_database(server: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


def _wait(predicate, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)


def _start_worker(
    app, database_is_sqlite: bool, log: Path
) -> tuple[subprocess.Popen, str]:
    # SQLite has one writer at a time: more worker processes only queue on it.
    concurrency = 1 if database_is_sqlite else os.cpu_count() or 1
    hostname = f"xst-bench-{os.getpid()}@%h"
    output = log.open("w")
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "config",
            "worker",
            "--include=benchmarks.notices",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
            f"--hostname={hostname}",
        ],
        cwd=BASE_DIR,
        env={**os.environ, "PYTHONPATH": str(BASE_DIR), "LOG_LEVEL": "WARNING"},
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    output.close()
    prefix = hostname.replace("%h", "")
    found: list[str] = []

    def answers() -> bool:
        if worker.poll() is not None:
            raise SystemExit(f"worker exited; see {log}")
        replies = app.control.ping(timeout=0.5)
        found.extend(h for reply in replies for h in reply if h.startswith(prefix))
        return bool(found)

    _wait(answers, "the worker to start")
    return worker, found[0]


def _processed(app, worker_name: str, task_name: str) -> int:
    # Ask our worker only and take its reply at once, rather than waiting out
    # the timeout for replies from other workers.
    inspect = app.control.inspect(destination=[worker_name], limit=1, timeout=1)
    stats = inspect.stats() or {}
    return sum(s.get("total", {}).get(task_name, 0) for s in stats.values())


def _measure_notices(persons, eager: bool) -> tuple[float, float]:
    """Seconds until notify returns, and until every email is delivered.

    In-process, the deliveries run when the transaction commits; with a
    worker, the commit publishes them.
    """
    from django.db import transaction
    from django.utils import timezone

    from notifications.models import Channel, Delivery, DeliveryStatus, Kind
    from notifications.notify import notify

    start = time.perf_counter()
    with transaction.atomic():
        notify(
            key="bench-notice",
            kind=Kind.MEETING_NOTICE,
            recipients=persons,
            subject="关于村道修缮方案的协商会议通知",
            body="请于会前阅读协商资料,按时参会。" * 5,
            event_start=timezone.now() + timedelta(days=3),
            event_end=timezone.now() + timedelta(days=3, hours=2),
            location="镇政府三楼会议室",
        )
        notified = time.perf_counter() - start
    emails = Delivery.objects.filter(channel=Channel.EMAIL)

    def all_sent() -> bool:
        return emails.filter(status=DeliveryStatus.SENT).count() == len(persons)

    if not eager:
        _wait(all_sent, "every email to be sent")
    elif not all_sent():
        raise SystemExit("the in-process run left emails unsent")
    return notified, time.perf_counter() - start


def _measure_floor(app, worker_name: str | None) -> float:
    """Seconds for 10,000 no-op tasks, in-process or through the worker."""
    start = time.perf_counter()
    for _ in range(RECIPIENTS):
        noop.delay()
    if worker_name is not None:
        _wait(
            lambda: _processed(app, worker_name, noop.name) >= RECIPIENTS,
            "the no-op tasks",
        )
    return time.perf_counter() - start


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Django's locmem backend: nothing printed or sent per message; and no
    # log line per task, which would cost more than a no-op task itself.
    os.environ["EMAIL_URL"] = "memorymail://"
    os.environ["LOG_LEVEL"] = "WARNING"
    workdir = Path(tempfile.mkdtemp(prefix="xst-bench-"))
    server = _use_own_database(workdir)
    worker = worker_name = None
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        from committees.models import Person
        from config.celery import app

        call_command("migrate", verbosity=0, interactive=False)
        persons = Person.objects.bulk_create(
            Person(name=f"居民{i}", email=f"resident{i}@example.cn")
            for i in range(RECIPIENTS)
        )
        eager = settings.CELERY_TASK_ALWAYS_EAGER
        mode = "eager" if eager else "worker"
        if not eager:
            worker, worker_name = _start_worker(
                app, connection.vendor == "sqlite", workdir / "worker.log"
            )
        print(
            f"notices: {RECIPIENTS} recipients, mode {mode}, "
            f"database {connection.vendor}, {os.cpu_count()} CPUs"
        )
        notified, total = _measure_notices(persons, eager)
        ours = RECIPIENTS / total
        print(f"  notify returned (rows written, not committed): {notified:.2f} s")
        print(f"  notify + {RECIPIENTS} emails sent: {total:.2f} s = {ours:.0f}/s")
        floor_seconds = _measure_floor(app, worker_name)
        floor = RECIPIENTS / floor_seconds
        print(
            f"  floor, {RECIPIENTS} no-op tasks: {floor_seconds:.2f} s = {floor:.0f}/s"
        )
        print(f"  ratio ours/floor: {ours / floor:.2f}")
        result = {
            "name": "notices",
            "recipients": RECIPIENTS,
            "ours_per_s": round(ours, 1),
            "floor_per_s": round(floor, 1),
            "ratio": round(ours / floor, 3),
            "mode": mode,
        }
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        if server is not None:
            _drop_own_database(server)
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
