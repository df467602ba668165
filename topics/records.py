"""Writing a record that belongs to a topic: one lock, one chain, one seal.

Every app that keeps records of a topic (consult's plans and sessions,
feedback's dispositions and 公示…) writes them inside ``topic_write``, which
takes the topic's row lock, refuses a sealed (archived) topic or one that has
left the step the record belongs to, and hands back the locked topic. Inside
it, ``topic_event`` appends the change to the topic's one audit chain, naming
the record it touched, so the dossier's chain head covers the whole case.

    with topic_write(topic_id, actor=actor, steps={Step.PREPARE}) as topic:
        session.save()
        topic_event(topic, actor=actor, verb="session_plan", record=session,
                    after={"starts_at": ...})
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from django.db import models, transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import NotVisible, Sealed, StepClosed

from .models import Topic
from .states import STEP_OF_STATE, State

SEALED_STATES = frozenset({State.ARCHIVED})


def plain(value):
    """A field value as the audit trail stores it (JSON, hashed)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def snapshot(record: models.Model, fields) -> dict:
    """The named fields of a record, as the audit trail stores them."""
    return {name: plain(getattr(record, name)) for name in fields}


@contextmanager
def topic_write(
    topic_id: int,
    *,
    steps=None,
    correction: bool = False,
) -> Iterator[Topic]:
    """Lock the topic for a write to one of its records.

    ``steps`` are the steps whose records this write touches; a topic in
    another step refuses with ``StepClosed`` unless ``correction`` is set (a
    clerk's correction with a reason, which the caller audits as such). An
    archived topic refuses every write with ``Sealed``: the seal is kept here,
    not remembered by each service. Callers check who may write before or
    after entering, with the locked topic in hand.
    """
    with transaction.atomic():
        topic = (
            Topic.objects.select_for_update(of=("self",))
            .select_related("place")
            .filter(pk=topic_id)
            .first()
        )
        if topic is None:
            raise NotVisible
        if topic.state in SEALED_STATES:
            raise Sealed(_("议题已归档，记录不能再修改，只能追加说明。"))
        if steps is not None and not correction:
            current = STEP_OF_STATE.get(State(topic.state))
            if current not in set(steps):
                raise StepClosed(
                    _("议题已不在该步骤（当前：%(state)s），不能再修改这项记录。")
                    % {"state": topic.get_state_display()}
                )
        yield topic


def topic_event(
    topic: Topic,
    *,
    actor,
    verb: str,
    record: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    data: dict | None = None,
    from_state: str = "",
    to_state: str = "",
):
    """Append an event about ``record`` (or the topic itself) to the topic's chain.

    Must run inside ``topic_write`` (or another transaction holding the topic's
    row lock), in the same transaction as the change it records.
    """
    payload = dict(data or {})
    if before is not None:
        payload["before"] = plain(before)
    if after is not None:
        payload["after"] = plain(after)
    return audit_record(
        subject=topic,
        actor=actor,
        verb=verb,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=payload,
        record=record if record is not None and record is not topic else None,
    )
