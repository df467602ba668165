"""Load test: simulated users against a production-like server, and a floor.

    python -m benchmarks.load [--users 50] [--seconds 60] [--workers 4]

Starts gunicorn (``--workers`` sync workers, DEBUG off) on 127.0.0.1 against a
database of its own (a temporary SQLite file, or, when DATABASE_URL names a
PostgreSQL server, a database ``xst_bench`` created and dropped there, as
``benchmarks.notices`` does). Notices are delivered in-process (no broker).

Each simulated user is a logged-in account of one village (clerks, the
village secretary, or a township reader), thinks 0.5-2.5 s between requests
and then: a clerk creates a topic through the form and submits it (on its
first step, then on half of them); a secretary approves the submitted topics
of the village; everyone reads the dashboard, the list and topic pages.
Actions are posted as the topic page posts them, with the state it shows.
Sessions are made in the database first: login hashes a password on purpose
(PBKDF2), which would make the run measure hashing; logins are timed
separately on a few accounts.

The run is bounded by time (``--seconds``) and by requests
(``--max-requests``). Then the floor: the same users with the same think time
ask for ``/healthz/`` (no database, no template) on the same server for
``--floor-seconds``. ``ratio`` is the users' steps per second (one step: what
a user does between two pauses) over the floor's: 1.0 means the server keeps
pace with the users as if pages cost nothing; lower means requests queue.
The last line printed is one JSON object (with ``actions``: how many steps of
each kind the users took; a ``*-failed`` kind is a write that did not go
through). The smallest run, as the smoke test in tests/benchmarks does it:

    python -m benchmarks.load --users 6 --seconds 3 --floor-seconds 1 --workers 1
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.notices import _drop_own_database, _use_own_database

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
VILLAGES = 5
THINK = (0.5, 2.5)
REQUEST_TIMEOUT = 30
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOPIC_LINK = re.compile(r'href="/topics/(\d+)/"')
STATE_FIELD = re.compile(r'name="state" value="(\w+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Stats:
    """Latencies (ms) and failures of one phase, shared by the user threads."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    actions: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, ms: float, ok: bool, what: str) -> None:
        with self.lock:
            self.latencies.append(ms)
            if not ok:
                self.errors += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(what)

    def count(self, action: str) -> None:
        with self.lock:
            self.actions[action] = self.actions.get(action, 0) + 1

    def p95(self) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100)[94]


class Browser:
    """One user's cookies over plain http.client (gunicorn sync closes each time)."""

    def __init__(self, port: int, stats: Stats, session_key: str | None = None):
        self.port = port
        self.stats = stats
        self.cookies: dict[str, str] = {}
        if session_key:
            self.cookies["sessionid"] = session_key

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Host": HOST}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{self.port}{path}"
        start = time.perf_counter()
        status, text = 0, ""
        try:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            status = response.status
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _sep, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            location = response.getheader("Location", "")
            conn.close()
        except (OSError, http.client.HTTPException) as exc:
            location = ""
            text = repr(exc)
        ms = (time.perf_counter() - start) * 1000
        ok = 200 <= status < 400
        self.stats.record(ms, ok, f"{method} {path} -> {status} {text[:80]!r}")
        return status, text, location

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, form: dict, token_from: str):
        token = CSRF_FIELD.search(token_from)
        form = {**form, "csrfmiddlewaretoken": token.group(1) if token else ""}
        return self.request("POST", path, form)

    def act(self, pk: int, action: str, page: str):
        """Post a topic action as its page does: with the state the page shows."""
        state = STATE_FIELD.search(page)
        form = {"state": state.group(1)} if state else {}
        return self.post(f"/topics/{pk}/act/{action}/", form, page)


@dataclass
class Village:
    place_id: int
    body_id: int
    submitted: deque = field(default_factory=deque)
    topics: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _prepare(users: int) -> tuple[list[tuple[str, str, Village]], list[str]]:
    """Places, accounts and their sessions; returns (role, session, village)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore

    from committees.models import Body, BodyKind, PlaceKind, Role
    from committees.services import place_create, role_grant

    county = place_create(actor=None, kind=PlaceKind.COUNTY, name="压测县", code="lt-c")
    township = place_create(
        actor=None, kind=PlaceKind.TOWNSHIP, name="压测镇", code="lt-t", parent=county
    )
    Body.objects.create(
        place=township, kind=BodyKind.TOWN_GOVERNMENT, name="压测镇政府"
    )
    villages = []
    for n in range(VILLAGES):
        place = place_create(
            actor=None,
            kind=PlaceKind.VILLAGE,
            name=f"压测村{n}",
            code=f"lt-v{n}",
            parent=township,
        )
        body = Body.objects.create(
            place=place, kind=BodyKind.VILLAGE_COMMITTEE, name=f"压测村{n}村委会"
        )
        villages.append((place, Village(place_id=place.pk, body_id=body.pk)))
    User = get_user_model()
    password = make_password("load-test-password")
    plan = []
    login_names = []
    for n in range(users):
        place, village = villages[n % VILLAGES]
        # Per village: clerks mostly, one secretary, township readers.
        slot = n // VILLAGES
        if slot == 0:
            role, where = Role.VILLAGE_SECRETARY, place
        elif slot % 4 == 3:
            role, where = Role.TOWNSHIP_SECRETARY, township
        else:
            role, where = Role.VILLAGE_CLERK, place
        user = User.objects.create(username=f"load{n}", password=password)
        role_grant(actor=None, user=user, place=where, role=role)
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        plan.append((role, session.session_key, village))
        if len(login_names) < 3:
            login_names.append(user.username)
    return plan, login_names


def _clerk(browser: Browser, village: Village, n: int) -> str:
    status, page, _loc = browser.get("/topics/new/")
    if status != 200:
        return "create-page-failed"
    form = {
        "place": village.place_id,
        "body": village.body_id,
        "title": f"压测议题{n}：村道路灯维修",
        "description": "村民反映村道夜间照明不足，拟协商路灯维修和电费分担。",
        "category": "v2",
        "tag": "livelihood",
        "forms": ["v_meeting"],
        "source": "residents",
        "proposer": "村民代表",
        "is_public": "on",
    }
    status, _text, location = browser.post("/topics/new/", form, page)
    match = re.search(r"/topics/(\d+)/", location or "")
    if status != 302 or not match:
        return "create-failed"
    pk = int(match.group(1))
    status, detail, _loc = browser.get(f"/topics/{pk}/")
    status, _text, _loc = browser.act(pk, "submit", detail)
    if status == 302:
        with village.lock:
            village.submitted.append(pk)
            village.topics.append(pk)
        return "create+submit"
    return "submit-failed"


def _secretary(browser: Browser, village: Village) -> str:
    with village.lock:
        pk = village.submitted.popleft() if village.submitted else None
    if pk is None:
        _read(browser, village)
        return "read"
    status, detail, _loc = browser.get(f"/topics/{pk}/")
    status, _text, _loc = browser.act(pk, "approve", detail)
    return "approve" if status == 302 else "approve-failed"


def _read(browser: Browser, village: Village) -> str:
    choice = random.random()
    if choice < 0.4:
        browser.get("/")
    elif choice < 0.7:
        _status, page, _loc = browser.get("/topics/")
        ids = TOPIC_LINK.findall(page)
        if ids:
            browser.get(f"/topics/{random.choice(ids)}/")
    else:
        with village.lock:
            pk = random.choice(village.topics) if village.topics else None
        browser.get(f"/topics/{pk}/" if pk else "/notices/")
    return "read"


def _run_phase(plan, port: int, seconds: float, max_requests: int, floor: bool):
    stats = Stats()
    stop_at = time.monotonic() + seconds
    counter = iter(range(10**9))

    def user(role, session_key, village):
        browser = Browser(port, stats, session_key)
        # Users arrive within the first think time, not all at once.
        time.sleep(random.uniform(0, THINK[1]))
        first = True
        while time.monotonic() < stop_at and len(stats.latencies) < max_requests:
            if floor:
                browser.get("/healthz/")
                what = "healthz"
            elif role == "village_clerk" and (first or random.random() < 0.5):
                # A clerk's first step always writes, so even a short run
                # creates and submits topics (and its secretary approves).
                what = _clerk(browser, village, next(counter))
            elif role == "village_secretary":
                what = _secretary(browser, village)
            else:
                what = _read(browser, village)
            stats.count(what)
            first = False
            time.sleep(random.uniform(*THINK))

    threads = [threading.Thread(target=user, args=p, daemon=True) for p in plan]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + THINK[1] * 2)
    elapsed = time.monotonic() - started
    return stats, elapsed


def _time_logins(port: int, names: list[str]) -> list[float]:
    timings = []
    for name in names:
        browser = Browser(port, Stats())
        _status, page, _loc = browser.get("/accounts/login/")
        start = time.perf_counter()
        status, _text, _loc = browser.post(
            "/accounts/login/",
            {"username": name, "password": "load-test-password"},
            page,
        )
        timings.append((time.perf_counter() - start) * 1000)
        if status != 302:
            raise SystemExit(f"login of {name} failed: {status}")
    return timings


def _start_server(port: int, workers: int, log: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"{HOST}:{port}",
            "--timeout",
            "60",
        ],
        cwd=BASE_DIR,
        env=os.environ.copy(),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz/", headers={"Host": HOST})
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"gunicorn did not answer; see {log}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--floor-seconds", type=float, default=20)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="off",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECURE_COOKIES="off",
        DJANGO_SECURE_SSL_REDIRECT="off",
        EMAIL_URL="memorymail://",
        LOG_LEVEL="WARNING",
        CELERY_BROKER_URL="memory://",
        REDIS_URL="",
    )
    workdir = Path(tempfile.mkdtemp(prefix="xst-load-"))
    admin_url = _use_own_database(workdir)
    server = None
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, connections

        call_command("migrate", verbosity=0, interactive=False)
        plan, login_names = _prepare(args.users)
        vendor = connection.vendor
        connections.close_all()
        port = _free_port()
        server = _start_server(port, args.workers, workdir / "gunicorn.log")
        print(
            f"load: {args.users} users, think {THINK[0]}-{THINK[1]} s, "
            f"{args.seconds:.0f} s, gunicorn {args.workers} workers, "
            f"database {vendor}, {os.cpu_count()} CPUs"
        )
        logins = _time_logins(port, login_names)
        print(f"  login (password hash), one at a time: {max(logins):.0f} ms max")
        ours, elapsed = _run_phase(plan, port, args.seconds, args.max_requests, False)
        rps = len(ours.latencies) / elapsed
        print(
            f"  ours:  {len(ours.latencies)} requests in {elapsed:.1f} s = "
            f"{rps:.1f}/s, p50 {statistics.median(ours.latencies):.0f} ms, "
            f"p95 {ours.p95():.0f} ms, errors {ours.errors}"
        )
        print(f"  actions: {json.dumps(ours.actions, ensure_ascii=False)}")
        for sample in ours.error_samples:
            print(f"  error: {sample}")
        floor, floor_elapsed = _run_phase(
            plan, port, args.floor_seconds, args.max_requests, True
        )
        floor_rps = len(floor.latencies) / floor_elapsed
        print(
            f"  floor: /healthz/ {len(floor.latencies)} requests in "
            f"{floor_elapsed:.1f} s = {floor_rps:.1f}/s, p95 {floor.p95():.0f} ms, "
            f"errors {floor.errors}"
        )
        steps = sum(ours.actions.values()) / elapsed
        floor_steps = sum(floor.actions.values()) / floor_elapsed
        ratio = steps / floor_steps if floor_steps else 0.0
        print(
            f"  user steps/s: ours {steps:.2f}, floor {floor_steps:.2f}, "
            f"ratio {ratio:.2f}"
        )
        result = {
            "name": "load",
            "users": args.users,
            "seconds": args.seconds,
            "workers": args.workers,
            "database": vendor,
            "rps": round(rps, 1),
            "p95_ms": round(ours.p95(), 1),
            "errors": ours.errors,
            "floor_rps": round(floor_rps, 1),
            "floor_p95_ms": round(floor.p95(), 1),
            "steps_per_s": round(steps, 2),
            "floor_steps_per_s": round(floor_steps, 2),
            "ratio": float(f"{ratio:.3g}"),
            "login_ms": round(max(logins), 1),
            "actions": ours.actions,
        }
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
        if admin_url is not None:
            _drop_own_database(admin_url)
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
