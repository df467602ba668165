"""Serve the site locally with scheduled jobs firing.

With a broker configured (REDIS_URL or CELERY_BROKER_URL) this starts a Celery
worker and celery beat beside the development server. Without one, tasks run
in-process and celery beat runs the scheduled jobs itself (eager mode), so no
Redis is needed.

Before serving, the interval jobs (step reminders, escalations, the sweep)
run once: beat would fire them only one interval after it starts, and the
demo inbox would stay empty for an hour. What that first run sends is counted,
not printed (``-v 2`` prints it, demo/outbox.py); later notices print as
usual. Links in email and SMS point at this server (``XST_SITE_URL`` defaults
to http://<addrport>).

Ctrl-C, SIGTERM or SIGHUP stop the server and the worker and beat it started;
on Linux the kernel also stops them if this process dies any other way (a busy
port makes runserver leave through ``os._exit``, which skips ``finally``).
"""

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from demo.outbox import demo_messages
from notifications.jobs import run_due_jobs

# linux/prctl.h
PR_SET_PDEATHSIG = 1


def site_url(addrport: str) -> str:
    """The address links in messages use: the setting, else this server."""
    if settings.XST_SITE_URL:
        return settings.XST_SITE_URL
    host = addrport if ":" in addrport else f"127.0.0.1:{addrport}"
    return f"http://{host}"


def _die_with_parent() -> None:
    # Runs in the child between fork and exec; the setting survives the exec.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop(signum, frame) -> None:
    # Python's default SIGTERM ends the process without running ``finally``,
    # which left celery beat running on its own.
    raise SystemExit(128 + signum)


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    linux = sys.platform.startswith("linux")
    return subprocess.Popen(
        command, env=env, preexec_fn=_die_with_parent if linux else None
    )


class Command(BaseCommand):
    help = "开发服务器 + 定时任务（有消息队列时另启 worker）"

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        celery = str(Path(sys.executable).with_name("celery"))
        base = [celery, "-A", "config"]
        children = []
        settings.XST_SITE_URL = site_url(addrport)
        env = {**os.environ, "XST_SITE_URL": settings.XST_SITE_URL}
        self.stdout.write(f"邮件和短信中的链接：{settings.XST_SITE_URL}")
        with demo_messages(shown=options["verbosity"] >= 2) as sent:
            ran = run_due_jobs()
        for name, count in ran.items():
            self.stdout.write(f"启动时运行定时任务 {name}：{count}")
        if sent.emails or sent.texts:
            self.stdout.write(
                f"其间发出邮件 {len(sent.emails)} 封、短信 {len(sent.texts)} 条"
                "（内容未显示，加 -v 2 可显示）；此后发出的通知照常显示在这里。"
            )
        if settings.CELERY_TASK_ALWAYS_EAGER:
            self.stdout.write(
                "后台任务：进程内执行；定时任务由 celery beat 在进程内执行。"
            )
        else:
            self.stdout.write(
                "后台任务：celery worker + celery beat（消息队列已配置）。"
            )
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _stop)
        try:
            if not settings.CELERY_TASK_ALWAYS_EAGER:
                children.append(
                    _start([*base, "worker", "--loglevel=INFO", "--concurrency=2"], env)
                )
            children.append(
                _start([*base, "beat", "--loglevel=INFO", "--pidfile="], env)
            )
            call_command("runserver", addrport, use_reloader=False)
        finally:
            # A second signal must not cut the clean-up short.
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
            for child in children:
                child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
