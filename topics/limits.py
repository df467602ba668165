"""Writes to step limits (步骤时限): audited, and the open deadlines follow.

A topic's deadline (``Topic.step_due_at``) is fixed when it enters a state. When
an administrator changes how long a state may last at a place, the topics
already in that state there (and, for a township, in its villages that keep no
limit of their own) get the new deadline counted from when they entered it,
each move recorded in the topic's own audit chain.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees.models import Place
from committees.permissions import may_set_step_limits
from core.audit import audit_record, register_verbs

from .models import StepLimit, Topic, step_limits
from .records import snapshot, topic_event
from .states import DEFAULT_STEP_LIMITS

LIMIT_FIELDS = ("max_days", "remind_before_days")

# Registered here, where the verbs are written; topics.admin imports this module.
register_verbs(
    {
        "step_limit_set": gettext_lazy("修改步骤时限"),
        "step_limit_clear": gettext_lazy("删除步骤时限"),
        "step_due_moved": gettext_lazy("步骤期限随时限调整"),
    }
)


def _refuse_unless_allowed(actor, place: Place, state: str) -> None:
    if not may_set_step_limits(actor, place):
        raise PermissionDenied(_("只有本镇的管理员才能修改步骤时限。"))
    if state not in DEFAULT_STEP_LIMITS:
        raise ValidationError(_("这个状态没有时限。"))


def step_limit_set(
    *, actor, place: Place, state: str, max_days: int, remind_before_days: int
) -> StepLimit:
    """Create or change the limit of ``state`` at ``place``; move open deadlines."""
    _refuse_unless_allowed(actor, place, state)
    with transaction.atomic():
        limit = (
            StepLimit.objects.select_for_update()
            .filter(place=place, state=state)
            .first()
        )
        before = snapshot(limit, LIMIT_FIELDS) if limit is not None else None
        if limit is None:
            limit = StepLimit(place=place, state=state)
        limit.max_days = max_days
        limit.remind_before_days = remind_before_days
        limit.full_clean()
        after = snapshot(limit, LIMIT_FIELDS)
        if before == after:
            return limit
        limit.save(update_fields=None if before is None else list(LIMIT_FIELDS))
        audit_record(
            subject=limit,
            actor=actor,
            verb="step_limit_set",
            data={"place": place.pk, "state": state, "before": before, "after": after},
        )
        _move_open_deadlines(actor=actor, place=place, state=state, record=limit)
    return limit


def step_limit_clear(*, actor, limit: StepLimit) -> None:
    """Delete a place's own limit: its township's or the default applies again."""
    place, state = limit.place, limit.state
    _refuse_unless_allowed(actor, place, state)
    with transaction.atomic():
        limit = StepLimit.objects.select_for_update().filter(pk=limit.pk).first()
        if limit is None:
            return
        audit_record(
            subject=limit,
            actor=actor,
            verb="step_limit_clear",
            data={
                "place": place.pk,
                "state": state,
                "before": snapshot(limit, LIMIT_FIELDS),
            },
        )
        limit.delete()
        _move_open_deadlines(actor=actor, place=place, state=state, record=None)


def _move_open_deadlines(*, actor, place: Place, state: str, record) -> int:
    """Recount the deadline of every topic in ``state`` that this limit governs."""
    topics = list(
        Topic.objects.select_for_update()
        .filter(Q(place=place) | Q(place__parent=place), state=state)
        .select_related("place")
        .order_by("pk")
    )
    limits = step_limits((t.place, state) for t in topics)
    moved = 0
    for topic in topics:
        days = limits[(topic.place_id, state)][0]
        due = topic.state_changed_at + timedelta(days=days)
        if due == topic.step_due_at:
            continue
        Topic.objects.filter(pk=topic.pk).update(step_due_at=due)
        topic_event(
            topic,
            actor=actor,
            verb="step_due_moved",
            record=record,
            before={"step_due_at": topic.step_due_at},
            after={"step_due_at": due},
            data={"max_days": days},
        )
        topic.step_due_at = due
        moved += 1
    return moved
