"""When consult's records may be written: one declaration the services, the
views and the templates all read.

A record of steps 2-3 is written while the topic is in its step; after that a
clerk may only correct it with a reason (the services' ``correction``), and an
archived topic refuses everything (``topics.records.topic_write``).
"""

from datetime import datetime

from topics.states import Step

PREPARE = frozenset({Step.PREPARE})
CONSULT = frozenset({Step.CONSULT})
PLANNING = frozenset({Step.PREPARE, Step.CONSULT})

# The steps each kind of record is written in. The plan (sessions, meeting
# notices, materials, pre-meeting opinions) may still change while the
# consultation runs; the list of participants is settled before it starts.
WRITE_STEPS: dict[str, frozenset[Step]] = {
    "plan": PLANNING,
    "participants": PREPARE,
    "session": CONSULT,
}


def writable(topic) -> dict[str, bool]:
    """For each kind of record, whether the topic's step takes it now."""
    return {kind: topic.step in steps for kind, steps in WRITE_STEPS.items()}


def online_open(session, now: datetime) -> bool:
    """Whether an online consultation takes comments at ``now``."""
    return not session.closed_at and session.starts_at <= now <= session.ends_at


def correctable(topic, kind: str) -> bool:
    """Whether the topic has left the steps of ``kind``: its records are then
    corrected with a reason, not written."""
    return bool(topic.step and topic.step > max(WRITE_STEPS[kind]))
