"""The current value of a session's records: the original as recorded in
step 3, with the clerk's later corrections (``Correction`` rows) applied in
order. The original rows are never overwritten by a correction.

The evidence check, the services and the pages all read minutes and
attendance through ``current_records``; it costs three queries however many
sessions it is given.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .models import (
    Attendance,
    AttendanceStatus,
    Correction,
    CorrectionKind,
    Session,
)

RECORD_FIELDS = ("minutes", "consensus", "disputed", "no_consensus")


@dataclass
class CurrentAttendance:
    """A participant's attendance as it stands after any corrections."""

    status: str
    represented_by: str = ""
    recorded_at: datetime | None = None
    corrected: bool = False

    def get_status_display(self) -> str:
        return str(AttendanceStatus(self.status).label)


@dataclass
class CurrentRecords:
    # session id -> {"minutes", "consensus", "disputed"} as they stand now
    records: dict[int, dict[str, str]] = field(default_factory=dict)
    # session id -> participant id -> attendance as it stands now
    attendance: dict[int, dict[int, CurrentAttendance]] = field(default_factory=dict)
    # session id -> its corrections, oldest first
    history: dict[int, list[Correction]] = field(default_factory=dict)


def current_records(session_ids: Iterable[int]) -> CurrentRecords:
    """Minutes, consensus, disputed points and attendance of these sessions,
    corrections applied, and each session's correction history."""
    ids = list(session_ids)
    result = CurrentRecords()
    if not ids:
        return result
    for pk, *values in Session.objects.filter(pk__in=ids).values_list(
        "pk", *RECORD_FIELDS
    ):
        result.records[pk] = dict(zip(RECORD_FIELDS, values, strict=True))
    for attendance in Attendance.objects.filter(session_id__in=ids).only(
        "session_id", "participant_id", "status", "represented_by", "recorded_at"
    ):
        result.attendance.setdefault(attendance.session_id, {})[
            attendance.participant_id
        ] = CurrentAttendance(
            status=attendance.status,
            represented_by=attendance.represented_by,
            recorded_at=attendance.recorded_at,
        )
    corrections = (
        Correction.objects.filter(session_id__in=ids)
        .select_related("participant__person", "created_by")
        .order_by("created_at", "pk")
    )
    for correction in corrections:
        result.history.setdefault(correction.session_id, []).append(correction)
        after = correction.after or {}
        if correction.kind == CorrectionKind.RECORD:
            record = result.records.setdefault(
                correction.session_id, dict.fromkeys(RECORD_FIELDS, "")
            )
            record.update({k: v for k, v in after.items() if k in RECORD_FIELDS})
        else:
            result.attendance.setdefault(correction.session_id, {})[
                correction.participant_id
            ] = CurrentAttendance(
                status=after.get("status", ""),
                represented_by=after.get("represented_by", ""),
                recorded_at=correction.created_at,
                corrected=True,
            )
    return result
