"""Every write of steps 2 and 3: plan, participants, notices, materials,
sessions, attendance and opinions.

Each service locks the topic with ``topic_write`` (which refuses an archived
topic, or one that has left the step the record belongs to), checks the
actor through ``consult.permissions``, writes, and appends the change to the
topic's audit chain with ``topic_event`` in the same transaction. A clerk may
correct a record of a step the topic has left by giving a reason: the minutes
and attendance are then not overwritten, the correction is stored as its own
``Correction`` row (read back through ``consult.corrected``) and appended to
the chain; an opinion added late is a new row anyway.
"""

from ._base import REASON_MAX_LENGTH, send_notice
from .materials import material_send, material_upload
from .meeting_notices import meeting_notice_send
from .opinions import (
    online_comment,
    opinion_hide,
    opinion_pre_collect,
    session_close,
    written_answer,
    written_request_send,
)
from .participants import (
    participant_add_person,
    participant_remove,
    participants_from_roster,
)
from .plan import participants_gap_explain, session_plan, session_reschedule
from .sessions import attendance_mark, opinion_record, photo_upload, session_record

__all__ = [
    "REASON_MAX_LENGTH",
    "attendance_mark",
    "material_send",
    "material_upload",
    "meeting_notice_send",
    "online_comment",
    "opinion_hide",
    "opinion_pre_collect",
    "opinion_record",
    "participant_add_person",
    "participant_remove",
    "participants_from_roster",
    "participants_gap_explain",
    "photo_upload",
    "send_notice",
    "session_close",
    "session_plan",
    "session_record",
    "session_reschedule",
    "written_answer",
    "written_request_send",
]
