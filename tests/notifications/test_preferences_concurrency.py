"""Simultaneous first saves of a user's notice preferences (issue 7, item 6).

Eight requests saving the preferences of a user who has none yet used to end
in one ``UniqueViolation`` (a 500). The service upserts, so every save
succeeds and the user has exactly one row. Real threads with their own
database connections, on SQLite and on PostgreSQL.

SQLite's in-memory test database (shared cache) answers a second writer with
"database table is locked" at once, which no deployment sees: on SQLite the
threads write to a file copy of the test database, configured as the site's
file database is (WAL, BEGIN IMMEDIATE, a busy timeout), and the result is
copied back for the assertions.
"""

import sqlite3
import threading
from contextlib import contextmanager

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from committees.models import Person
from notifications import services
from notifications.models import Preference
from tests.factories import UserFactory

THREADS = 8


@contextmanager
def database_for_threads(tmp_path):
    """The settings each thread connects with (None: the test database itself)."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield None
        return
    path = tmp_path / "threads.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()
    yield {**connection.settings_dict, "NAME": str(path)}
    source = sqlite3.connect(path)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _connect_thread(settings_dict) -> None:
    """Give the calling thread its own connection to the SQLite file copy."""
    if settings_dict is not None:
        connections[DEFAULT_DB_ALIAS] = SQLiteWrapper(settings_dict, DEFAULT_DB_ALIAS)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_saves_make_one_row_and_no_error(tmp_path):
    user = UserFactory()
    assert not Person.objects.filter(user=user).exists()
    assert not Preference.objects.exists()
    barrier = threading.Barrier(THREADS, timeout=20)
    saved: dict[int, Preference] = {}
    errors: dict[int, BaseException] = {}

    def save(index: int, database) -> None:
        try:
            _connect_thread(database)
            barrier.wait()
            saved[index] = services.preference_save(
                actor=user, email=index % 2 == 0, sms=True, daily_digest=False
            )
        except BaseException as exc:  # reported by the assertion below
            errors[index] = exc
        finally:
            connection.close()

    with database_for_threads(tmp_path) as database:
        threads = [
            threading.Thread(target=save, args=(i, database)) for i in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)

    assert errors == {}
    assert len(saved) == THREADS
    assert Person.objects.filter(user=user).count() == 1
    (row,) = Preference.objects.all()
    assert row.person.user_id == user.pk
    assert {p.pk for p in saved.values()} == {row.pk}
    # The last save wins whole: one of the values sent, never a mix.
    assert (row.sms, row.daily_digest) == (True, False)
