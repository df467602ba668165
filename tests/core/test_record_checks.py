"""How core/chain_records.py compares a snapshot with a live column."""

from datetime import UTC, date, datetime
from decimal import Decimal

from consult.models import MaterialVersion, Participant
from core.chain_records import _lookups, _same, registered_records


def test_a_datetime_snapshot_in_local_time_is_the_same_instant_read_back_in_utc():
    live = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert _same("2026-01-01T08:00:00+08:00", live)
    assert not _same("2026-01-01T08:00:01+08:00", live)


def test_dates_decimals_and_foreign_keys_compare_as_the_trail_stores_them():
    assert _same("2026-03-01", date(2026, 3, 1))
    assert not _same("2026-03-02", date(2026, 3, 1))
    assert _same("2.50", Decimal("2.5"))
    assert _same(7, 7) and not _same(7, 8)


def test_a_snapshot_key_reads_its_column_or_its_alias():
    lookups = _lookups(MaterialVersion, {"name": "original_name", "title": "x__y"})
    assert lookups["sha256"] == "sha256"
    assert lookups["material"] == "material_id"
    assert lookups["title"] == "x__y"
    assert lookups["name"] in {"original_name", "name"}


def test_an_alias_to_a_column_the_model_no_longer_has_falls_back_to_the_key():
    """The file models may rename their columns: the key itself is read then."""
    assert _lookups(Participant, {"name": "gone"})["name"] == "name"


def test_every_kind_of_topic_record_the_services_write_is_registered():
    names = {model._meta.label for model in registered_records()}
    assert {
        "consult.Participant",
        "consult.Session",
        "consult.Attendance",
        "consult.Correction",
        "consult.Opinion",
        "consult.NoticeRound",
        "consult.MaterialVersion",
        "consult.SignInPhoto",
        "feedback.Compilation",
        "feedback.Disposition",
        "feedback.Explanation",
        "feedback.Decision",
        "feedback.VoteMark",
        "feedback.Vote",
        "feedback.Task",
        "feedback.ProgressReport",
        "feedback.SupervisionNote",
        "feedback.PublicNotice",
        "feedback.NoticeResponse",
        "feedback.Attachment",
        "feedback.Bulletin",
        "feedback.Note",
    } <= names
