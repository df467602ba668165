import pytest
from django.core.cache import cache
from django.utils import translation

from config.celery import app as celery_app


@pytest.fixture(autouse=True)
def _celery_in_process():
    """Run tasks in-process unless a test starts a real worker itself."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()


@pytest.fixture(autouse=True)
def _no_login_lockout(settings):
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hashing with PBKDF2 dominates test time; the hasher is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _site_language():
    """A request leaves its language active in the thread: reset it after each test."""
    yield
    translation.deactivate()
