"""Settings of the worker subprocesses in test_worker.py: a logging SMTP server."""

from config.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.notifications.conftest.TableEmailBackend"
