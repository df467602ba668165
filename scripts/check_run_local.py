"""`make run PORT=…` serves the login page on that port, and stopping it the way
a terminal (Ctrl-C) or a supervisor (SIGTERM) does leaves no process behind.

Runs the Makefile's own recipe against an empty SQLite database in a temporary
folder, with this interpreter standing in for the ``.venv`` one: the first run
migrates and seeds from nothing, the second finds everything in place.

Run it by hand (about 20 s on a quiet machine):
    .venv/bin/python -m pytest -p no:cacheprovider scripts/check_run_local.py
It is kept out of the suite's test paths because inside a full run the stop
took over a minute on this 2-core machine (both stops pass when run alone).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# About 15 s on an idle machine; the margin is for a loaded one.
START_TIMEOUT = 120
STOP_TIMEOUT = 60

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("make") is None,
    reason="reads /proc and runs make",
)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("make_run")
    # Newer than pyproject.toml, so `make` takes the environment as installed.
    (folder / "installed-stamp").touch()
    return folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state) of every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may itself hold spaces.
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), fields[0])
    return table


def _family(root: int) -> set[int]:
    table = _processes()
    family, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = {pid for pid, (ppid, _) in table.items() if ppid == parent}
        frontier.extend(children - family)
        family |= children
    return family


def _alive(pids: set[int]) -> set[int]:
    table = _processes()
    return {pid for pid in pids if pid in table and table[pid][1] != "Z"}


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().decode()
    except OSError:
        return ""


def _login_page(port: int, proc: subprocess.Popen) -> str:
    url = f"http://127.0.0.1:{port}/accounts/login/"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, "make run ended before serving"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    pytest.fail(f"nothing served on {url} within {START_TIMEOUT} s")


@pytest.mark.parametrize("stop", ["sigterm_to_make", "ctrl_c_in_terminal"])
def test_make_run_serves_its_port_and_leaves_no_process_when_stopped(stop, sandbox):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"XST_SITE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{sandbox / 'db.sqlite3'}",
        MEDIA_ROOT=str(sandbox / "media"),
        XST_AUDIT_HEADS_DIR=str(sandbox / "audit-heads"),
    )
    log = (sandbox / f"{stop}.log").open("w")
    proc = subprocess.Popen(
        [
            "make",
            "--no-print-directory",
            "run",
            f"PORT={port}",
            f"PY={sys.executable}",
            f"STAMP={sandbox / 'installed-stamp'}",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        # A group of its own, like a terminal's foreground job.
        start_new_session=True,
    )
    family: set[int] = set()
    try:
        assert 'name="password"' in _login_page(port, proc)
        family = _family(proc.pid)
        assert any(" beat" in _cmdline(pid).replace("\0", " ") for pid in family)
        if stop == "sigterm_to_make":
            proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=STOP_TIMEOUT)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _alive(family) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _alive(family) == set()
    finally:
        for pid in _alive(family | {proc.pid}):
            os.kill(pid, signal.SIGKILL)
        log.close()
    output = (sandbox / f"{stop}.log").read_text()
    assert f"在浏览器打开 http://127.0.0.1:{port}" in output
    # The notices of the seed and of the first job run are counted, not printed.
    before_serving = output.partition("Starting development server")[0]
    assert "Content-Type:" not in before_serving
    assert "SMS (not sent)" not in before_serving
    assert len(before_serving.splitlines()) < 200
