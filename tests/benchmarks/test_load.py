"""Smoke test of the load test (issue 11, item 4): ``python -m benchmarks.load``.

The smallest run the command allows that still writes: six users (village 0
gets its secretary and a clerk), three seconds, a one-second floor, one
gunicorn worker, on a free port of its own. The run uses a temporary SQLite
database of its own (DATABASE_URL is left out), so it never touches the
PostgreSQL server the rest of the suite may be using.
"""

import json
import os
import signal
import subprocess
import sys
import time

from django.conf import settings

COMMAND = [
    sys.executable,
    "-m",
    "benchmarks.load",
    "--users",
    "6",
    "--seconds",
    "3",
    "--floor-seconds",
    "1",
    "--workers",
    "1",
]
TIMEOUT = 120
KEYS = {"name", "users", "rps", "p95_ms", "errors", "ratio"}


def _run() -> tuple[int, str, str, float]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    started = time.monotonic()
    # A session of its own, so a run that hangs is stopped with its gunicorn.
    process = subprocess.Popen(
        COMMAND,
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(
            f"benchmarks.load ran over {TIMEOUT} s\n{stdout}\n{stderr}"
        ) from None
    return process.returncode, stdout, stderr, time.monotonic() - started


def test_the_load_command_runs_and_ends_with_its_figures_as_json():
    code, stdout, stderr, elapsed = _run()
    assert code == 0, f"{stdout}\n{stderr}"
    lines = stdout.strip().splitlines()
    result = json.loads(lines[-1])
    assert result.keys() >= KEYS, result
    assert result["name"] == "load"
    assert result["users"] == 6
    assert result["errors"] == 0, stdout
    assert result["rps"] > 0 and result["p95_ms"] > 0 and result["ratio"] > 0
    # The clerk's first step creates and submits a topic through the pages,
    # and no write failed (a failed submit or approve would be "*-failed").
    actions = result["actions"]
    assert actions.get("create+submit", 0) >= 1, actions
    assert not [kind for kind in actions if kind.endswith("-failed")], actions
    # Every line before the JSON is the human-readable report.
    assert lines[0].startswith("load: 6 users"), lines[0]
    assert elapsed < TIMEOUT
