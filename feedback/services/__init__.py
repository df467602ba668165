"""Every write of steps 4 and 5, one module per part of the work.

Each service locks the topic through ``topics.records.topic_write`` (which
refuses archived topics with ``Sealed`` and topics in another step with
``StepClosed``), checks the actor through ``feedback.permissions``, validates,
writes the record and appends the change to the topic's audit chain in one
transaction. The only write an archived topic takes is ``topic_note_append``.
Notices go out through ``send_notice``, the one call into notifications.
"""

from ._base import send_notice
from .adoption import (
    compilation_save,
    decision_record,
    disposition_set,
    explanation_add,
    vote_mark,
    vote_record,
)
from .bulletins import bulletin_send
from .implementation import (
    progress_report,
    supervision_note_add,
    task_close,
    task_create,
)
from .notes import topic_note_append
from .public_notices import (
    public_notice_cover_progress,
    public_notice_create,
    public_notice_photo_add,
    public_notice_withdraw,
    public_notices_sweep,
    response_answer,
    response_mark_spam,
    response_submit,
)
from .rule_data import (
    meeting_rule_delete,
    meeting_rule_save,
    vote_category_delete,
    vote_category_save,
)

__all__ = [
    "bulletin_send",
    "compilation_save",
    "decision_record",
    "disposition_set",
    "explanation_add",
    "meeting_rule_delete",
    "meeting_rule_save",
    "public_notice_cover_progress",
    "public_notice_create",
    "public_notice_photo_add",
    "public_notice_withdraw",
    "public_notices_sweep",
    "progress_report",
    "response_answer",
    "response_mark_spam",
    "response_submit",
    "send_notice",
    "supervision_note_add",
    "task_close",
    "task_create",
    "topic_note_append",
    "vote_category_delete",
    "vote_category_save",
    "vote_mark",
    "vote_record",
]
