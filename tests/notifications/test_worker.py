"""Delivery through real Celery workers on Redis and PostgreSQL.

Each worker is a ``celery -A config worker`` subprocess against the test
database, so it sees only committed rows, holds its own connections and can
be killed outright. The SMS gateway (TableSmsBackend) and the SMTP server
(TableEmailBackend) log each message they accept, as real ones would: the log
is what a recipient's gateway saw, and README.md (通知) says what it may hold.

Run with ``REDIS_URL=redis://127.0.0.1:6379/11
DATABASE_URL=postgres://postgres@127.0.0.1:5432/xst_notices pytest -m worker``.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from committees.models import Person
from config.celery import app as celery_app
from notifications import tasks
from notifications.models import Channel, Delivery, DeliveryStatus, Kind
from notifications.notify import notify

from .conftest import EMAIL_LOG_TABLE, SMS_LOG_TABLE

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CELERY = str(Path(sys.executable).with_name("celery"))
TIMEOUT = 60


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _services_present():
    if not os.environ.get("REDIS_URL"):
        _unavailable("REDIS_URL not set")
    if not os.environ.get("DATABASE_URL") or connection.vendor != "postgresql":
        # A worker process cannot see an in-memory SQLite test database.
        _unavailable("DATABASE_URL not set to PostgreSQL")


def wait_for(predicate, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _use_broker(url: str) -> None:
    """Point this process's publisher at another broker."""
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def live_celery():
    """Publish to the real broker instead of running tasks in-process."""
    previous = celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    yield celery_app
    _use_broker(previous)


@pytest.fixture
def sms_log(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {SMS_LOG_TABLE} "
            "(id serial PRIMARY KEY, message_id text NOT NULL, phone text NOT NULL)"
        )

    def sent() -> Counter:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT message_id FROM {SMS_LOG_TABLE}")
            return Counter(row[0] for row in cursor.fetchall())

    yield sent
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {SMS_LOG_TABLE}")


@pytest.fixture
def email_log(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {EMAIL_LOG_TABLE} "
            "(id serial PRIMARY KEY, message_id text NOT NULL, address text NOT NULL)"
        )

    def sent() -> Counter:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT message_id FROM {EMAIL_LOG_TABLE}")
            return Counter(row[0] for row in cursor.fetchall())

    yield sent
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {EMAIL_LOG_TABLE}")


@pytest.fixture
def start_worker(transactional_db, sms_log, email_log, tmp_path):
    """Start worker subprocesses; each is stopped (or killed) at teardown."""
    started: list[subprocess.Popen] = []

    def start(
        broker: str, *, delay: float = 0.0, pause_after: float = 0.0, **extra_env
    ) -> subprocess.Popen:
        env = {
            **os.environ,
            "PYTHONPATH": str(settings.BASE_DIR),
            "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
            "DATABASE_URL": _test_database_url(),
            "CELERY_BROKER_URL": broker,
            "SMS_BACKEND": "tests.notifications.conftest.TableSmsBackend",
            "SMS_OPTIONS": json.dumps({"delay": delay, "pause_after": pause_after}),
            "XST_TEST_EMAIL_PAUSE_AFTER": str(pause_after),
            "LOG_LEVEL": "WARNING",
            **extra_env,
        }
        # The log stays in tmp_path for a failing test to be read.
        with open(tmp_path / f"worker{len(started)}.log", "w") as log:
            process = subprocess.Popen(
                [
                    CELERY,
                    "-A",
                    "config",
                    "worker",
                    "--concurrency=2",
                    "--without-gossip",
                    "--without-mingle",
                    f"--hostname=xst-test-{uuid.uuid4().hex[:8]}@%h",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # one process group: kill takes the pool
            )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private Redis broker this test may stop and start at will."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)

        def answers() -> bool:
            try:
                return client.ping()
            except redis.ConnectionError:
                return False

        wait_for(answers, "the private redis-server", timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        _unavailable("redis-server not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def shared_broker(live_celery):
    """The configured REDIS_URL broker, emptied of tasks left by earlier runs."""
    url = os.environ["REDIS_URL"]
    _use_broker(url)
    live_celery.control.purge()
    return url


def _people(count: int) -> list[Person]:
    return Person.objects.bulk_create(
        Person(name=f"村民{i}", phone=f"139{i:08d}") for i in range(count)
    )


def _sms_uuids(key: str) -> set[str]:
    return {
        str(u)
        for u in Delivery.objects.filter(
            notification__key=key, channel=Channel.SMS
        ).values_list("uuid", flat=True)
    }


def _all_sent(key: str, count: int):
    def check() -> bool:
        return (
            Delivery.objects.filter(
                notification__key=key,
                channel=Channel.SMS,
                status=DeliveryStatus.SENT,
            ).count()
            == count
        )

    return check


def _notice(key: str, people, **fields):
    return notify(
        key=key,
        kind=Kind.MEETING_NOTICE,
        recipients=people,
        subject="协商会议通知",
        body="请准时参加。",
        channels=[Channel.SMS],
        **fields,
    )


def test_notices_are_delivered_after_commit_and_not_before(
    shared_broker, start_worker, sms_log
):
    start_worker(shared_broker)
    people = _people(5)
    queue = redis.Redis.from_url(shared_broker)

    with transaction.atomic():
        _notice("after-commit", people)
        time.sleep(1.0)
        assert queue.llen("celery") == 0  # nothing published yet
        assert sms_log() == Counter()

    wait_for(_all_sent("after-commit", 5), "five SMS after commit")
    assert sms_log() == Counter(dict.fromkeys(_sms_uuids("after-commit"), 1))


def test_a_rolled_back_transaction_sends_nothing(shared_broker, start_worker, sms_log):
    start_worker(shared_broker)
    people = _people(3)

    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        _notice("rolled-back", people)
        raise Refused

    # A notice committed afterwards arrives: the worker was listening.
    _notice("afterwards", people)
    wait_for(_all_sent("afterwards", 3), "the later notice")
    assert not Delivery.objects.filter(notification__key="rolled-back").exists()
    assert set(sms_log()) == _sms_uuids("afterwards")


def test_duplicate_tasks_send_each_delivery_once(shared_broker, start_worker, sms_log):
    people = _people(40)
    with transaction.atomic():
        _notice("duplicates", people)
    ids = list(
        Delivery.objects.filter(channel=Channel.SMS).values_list("pk", flat=True)
    )
    # Redelivered and repeated tasks, and the same notice sent again.
    tasks.queue_deliveries(ids)
    tasks.queue_deliveries(list(reversed(ids)))
    for delivery_id in ids:
        tasks.deliver.delay(delivery_id)
    _notice("duplicates", people)
    start_worker(shared_broker, delay=0.01)
    start_worker(shared_broker, delay=0.01)

    wait_for(_all_sent("duplicates", 40), "forty SMS")
    queue = redis.Redis.from_url(shared_broker)
    wait_for(lambda: queue.llen("celery") == 0, "the queue to drain")
    wait_for(
        lambda: (
            not any((celery_app.control.inspect(timeout=1).active() or {}).values())
        ),
        "the workers to go idle",
    )
    assert sms_log() == Counter(dict.fromkeys(_sms_uuids("duplicates"), 1))
    assert Delivery.objects.filter(channel=Channel.SMS).count() == 40


def test_broker_down_at_send_time_then_up_delivers_each_once(
    live_celery, private_redis, start_worker, sms_log, caplog
):
    _use_broker(private_redis.url)
    start_worker(private_redis.url)
    people = _people(20)
    _notice("warm-up", people[:1])
    wait_for(_all_sent("warm-up", 1), "the warm-up notice")

    private_redis.stop()
    started = time.monotonic()
    with transaction.atomic():
        _notice("outage", people)
    assert time.monotonic() - started < 5
    assert "stay queued for the sweep" in caplog.text
    outage = Delivery.objects.filter(notification__key="outage")
    assert set(outage.values_list("status", flat=True)) == {DeliveryStatus.QUEUED}

    private_redis.start()
    later = timezone.now() + timedelta(minutes=10)
    assert wait_for(lambda: tasks.requeue_stale(now=later), "a sweep") == 20

    wait_for(_all_sent("outage", 20), "twenty SMS after the outage")
    assert sms_log() == Counter(
        dict.fromkeys(_sms_uuids("outage") | _sms_uuids("warm-up"), 1)
    )


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_by_message_id(
    live_celery, private_redis, start_worker, sms_log
):
    """Killed at any point of a batch: every SMS reaches the gateway.

    A message the dead worker had handed over but not recorded (at most one
    per pool process) reaches the gateway a second time under the same
    message id, which a de-duplicating gateway drops (README.md, 通知).
    """
    _use_broker(private_redis.url)
    first = start_worker(private_redis.url, delay=0.03)
    people = _people(300)
    with transaction.atomic():
        _notice("killed", people)
    sms = Delivery.objects.filter(notification__key="killed", channel=Channel.SMS)

    wait_for(
        lambda: sms.filter(status=DeliveryStatus.SENT).count() >= 30,
        "the first sends",
    )
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    sent_before = sms.filter(status=DeliveryStatus.SENT).count()
    assert 30 <= sent_before < 300
    assert sms.filter(status=DeliveryStatus.SENDING).count() <= 2

    start_worker(private_redis.url)
    later = timezone.now() + timedelta(minutes=10)
    assert tasks.requeue_stale(now=later) == 300 - sent_before

    wait_for(_all_sent("killed", 300), "all three hundred SMS")
    log = sms_log()
    assert set(log) == _sms_uuids("killed")
    assert set(log.values()) <= {1, 2}
    assert sum(1 for n in log.values() if n == 2) <= 2


def test_a_worker_killed_between_send_and_record_matches_the_readme(
    live_celery, private_redis, start_worker, sms_log, email_log
):
    """README.md (通知): SMS resent under the same id, email marked for a check.

    The first worker hands one email and one SMS over and is killed before it
    records either. A worker that starts sweeps claims older than the claim
    timeout at once (worker_ready): the SMS goes out again with the same
    message id and is recorded sent; the email is marked "unknown, check",
    never sent twice, and shown to the clerk.
    """
    _use_broker(private_redis.url)
    first = start_worker(private_redis.url, pause_after=120)
    person = Person.objects.create(
        name="村民甲", phone="13900000001", email="jia@example.cn"
    )
    with transaction.atomic():
        notify(
            key="kill-email",
            kind=Kind.MEETING_NOTICE,
            recipients=[person],
            subject="协商会议通知",
            body="请准时参加。",
            channels=[Channel.EMAIL],
        )
        _notice("kill-sms", [person])
    email = Delivery.objects.get(notification__key="kill-email")
    sms = Delivery.objects.get(notification__key="kill-sms")
    email_id = f"<{email.uuid}@localhost>"

    # Both handed over, neither recorded: the claims were committed first.
    wait_for(
        lambda: sms_log()[str(sms.uuid)] == 1 and email_log()[email_id] == 1,
        "both messages handed over",
    )
    statuses = Delivery.objects.filter(pk__in=[email.pk, sms.pk]).values_list(
        "status", flat=True
    )
    assert set(statuses) == {DeliveryStatus.SENDING}
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    time.sleep(1.5)  # older than the second worker's claim timeout

    start_worker(private_redis.url, XST_DELIVERY_CLAIM_TIMEOUT="1")

    wait_for(
        lambda: Delivery.objects.get(pk=sms.pk).status == DeliveryStatus.SENT,
        "the SMS resent after the worker restart",
    )
    wait_for(
        lambda: Delivery.objects.get(pk=email.pk).status == DeliveryStatus.UNKNOWN,
        "the email marked for a check",
    )
    assert sms_log() == Counter({str(sms.uuid): 2})
    time.sleep(1.0)
    assert email_log() == Counter({email_id: 1})
    sms.refresh_from_db()
    email.refresh_from_db()
    assert list(sms.attempt_log.values_list("number", "ok")) == [(1, False), (2, True)]
    assert list(email.attempt_log.values_list("number", "ok")) == [(1, False)]
    assert "请与接收人核实" in email.last_error
