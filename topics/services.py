"""Every write to a topic: create, edit and the five-step transitions."""

import logging
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition

from committees.models import BODY_KINDS_BY_PLACE, Body, Place
from core.audit import audit_record
from core.errors import Conflict, NotVisible
from core.validators import clean_date, clean_text

from . import permissions as perm
from .actions import ACTIONS, Refused
from .catalogue import LEVEL_OF_PLACE, category_fits, form_fits
from .models import Topic
from .states import State

security_log = logging.getLogger("xst.security")

# Sent after the transaction that moved a topic commits:
# topic_id, action, actor_id, from_state, to_state, reason.
topic_transitioned = Signal()

REASON_MAX_LENGTH = 1000

EDITABLE_FIELDS = (
    "body",
    "title",
    "description",
    "category",
    "tag",
    "forms",
    "source",
    "proposer",
    "planned_start",
    "planned_end",
    "is_public",
)


class TransitionRefused(Conflict):
    """A transition that may not happen now; ``message`` is for the user.

    ``conflict`` is set when the topic's state (not missing evidence) stands in
    the way, which a page answers with 409.
    """

    def __init__(self, message: str, *, missing=(), conflict: bool = False):
        super().__init__(message)
        self.missing = list(missing)
        self.conflict = conflict


STALE_MESSAGE = gettext_lazy("该议题刚被他人处理，请刷新后查看最新状态。")


# (field, multiline): checked as given (the form strips); their length and
# presence are the model's to check, in full_clean() below.
_TEXT_FIELDS = (("title", False), ("proposer", False), ("description", True))


def _validate(topic: Topic) -> None:
    """Field rules beyond the model's: clean text, sane dates, the level's catalogue.

    The form checks the same text and dates first; these hold for every caller
    (a command, the demo loader, a later app).
    """
    errors: dict[str, list[str]] = {}
    level = LEVEL_OF_PLACE.get(topic.place.kind)
    if level is None:
        raise ValidationError({"place": _("议题只能属于镇或村。")})
    for name, multiline in _TEXT_FIELDS:
        clean_text(
            getattr(topic, name),
            field=name,
            max_length=None,
            multiline=multiline,
            required=False,
            errors=errors,
        )
    for name in ("planned_start", "planned_end"):
        clean_date(getattr(topic, name), field=name, errors=errors)
    # A missing body is reported by full_clean() below.
    if topic.body_id is not None and (
        topic.body.place_id != topic.place_id
        or topic.body.kind not in (BODY_KINDS_BY_PLACE[topic.place.kind])
    ):
        errors.setdefault("body", []).append(
            _("实施主体必须是本级的党组织或政府（村委会）。")
        )
    if topic.category and not category_fits(level, topic.category):
        errors.setdefault("category", []).append(_("该议题类别不属于本级目录。"))
    forms = topic.forms
    if not isinstance(forms, list) or not all(isinstance(f, str) for f in forms):
        errors.setdefault("forms", []).append(_("协商形式格式不正确。"))
    else:
        bad = [f for f in forms if not form_fits(level, f)]
        if bad:
            errors.setdefault("forms", []).append(_("所选协商形式不适用于本级协商。"))
        if len(set(forms)) != len(forms):
            errors.setdefault("forms", []).append(_("协商形式不能重复。"))
    try:
        topic.full_clean(exclude=["state", "forms"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _plain(value):
    """A field value as the audit trail stores it (JSON, hashed)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, date):
        return value.isoformat()
    return value


def topic_create(*, actor, place: Place, body: Body, **fields) -> Topic:
    if not perm.can_create_in(actor, place):
        raise PermissionDenied(_("您不能在该地方起草议题。"))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown topic fields: {sorted(unknown)}")
    topic = Topic(place=place, body=body, created_by=actor, **fields)
    _validate(topic)
    with transaction.atomic():
        topic.save()
        # The fields as created, so a later change of them outside the
        # services differs from the chain (core/chain_records.py).
        audit_record(
            subject=topic,
            actor=actor,
            verb="create",
            to_state=State.DRAFT,
            data={"after": {name: _plain(getattr(topic, name)) for name in fields}},
        )
    return topic


def topic_update(*, actor, topic: Topic, **fields) -> Topic:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown topic fields: {sorted(unknown)}")
    with transaction.atomic():
        locked = Topic.objects.select_for_update().get(pk=topic.pk)
        if not perm.can_view(actor, locked):
            raise NotVisible
        # As for transitions: only someone who could edit learns that the
        # state is what stands in the way.
        if not perm.can_create_in(actor, locked.place):
            raise PermissionDenied(_("您不能修改该议题。"))
        if not perm.can_edit(actor, locked):
            raise TransitionRefused(_("议题已提交，不能再修改。"), conflict=True)
        changed = [
            name for name, value in fields.items() if getattr(locked, name) != value
        ]
        before = {name: _plain(getattr(locked, name)) for name in changed}
        for name in changed:
            setattr(locked, name, fields[name])
        _validate(locked)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            audit_record(
                subject=locked,
                actor=actor,
                verb="edit",
                data={
                    "fields": sorted(changed),
                    "before": before,
                    "after": {name: _plain(getattr(locked, name)) for name in changed},
                },
            )
    return locked


def _refused_attempt(actor, topic_id: int, action: str, why: str) -> None:
    security_log.warning(
        "refused topic transition: user=%s topic=%s action=%s why=%s",
        getattr(actor, "pk", None),
        topic_id,
        action,
        why,
    )


def topic_transition(
    *,
    actor,
    topic_id: int,
    action: str,
    reason: str = "",
    seen_state: str | None = None,
) -> Topic:
    """Move a topic along its procedure, or say exactly why not.

    The checks run in this order: ``NotVisible`` when the user may not see the
    topic; ``TransitionRefused`` (conflict) when the topic has moved since the
    user saw it in ``seen_state`` or its state does not allow the action, told
    only to someone whose role could take it; ``PermissionDenied`` when the
    role may not; ``ValidationError`` for the reason; ``TransitionRefused``
    with what is missing when the step's evidence is incomplete. The rule
    itself is the action's (``topics.actions``); the page asks the same one.
    """
    spec = ACTIONS.get(action)
    if spec is None:
        raise NotVisible
    with transaction.atomic():
        topic = Topic.objects.select_for_update().filter(pk=topic_id).first()
        if topic is None or not perm.can_view(actor, topic):
            _refused_attempt(actor, topic_id, action, "not visible")
            raise NotVisible
        if (
            seen_state is not None
            and seen_state != topic.state
            and spec.role_may(actor, topic)
        ):
            raise TransitionRefused(str(STALE_MESSAGE), conflict=True)
        verdict = spec.check(actor, topic)
        if verdict.refused == Refused.STATE:
            raise TransitionRefused(verdict.message, conflict=True)
        if verdict.refused == Refused.PERMISSION:
            _refused_attempt(actor, topic_id, action, "no permission")
            raise PermissionDenied(verdict.message)
        # The reason is checked only for someone who may act, so a refused
        # user learns nothing from the message.
        reason = clean_text(
            reason if spec.needs_reason else "",
            field="reason",
            max_length=REASON_MAX_LENGTH,
            multiline=True,
            required=spec.needs_reason,
            required_message=_("请填写理由。"),
            too_long_message=_("理由不能超过 %(n)d 个字。"),
        )
        if verdict.refused == Refused.EVIDENCE:
            raise TransitionRefused(verdict.message, missing=verdict.missing)
        source = topic.state
        try:
            spec.execute(topic)
        except ConcurrentTransition as exc:
            raise TransitionRefused(str(STALE_MESSAGE), conflict=True) from exc
        audit_record(
            subject=topic,
            actor=actor,
            verb=action,
            from_state=source,
            to_state=topic.state,
            reason=reason,
        )
        payload = {
            "topic_id": topic.pk,
            "action": action,
            "actor_id": getattr(actor, "pk", None),
            "from_state": source,
            "to_state": topic.state,
            "reason": reason,
        }
        transaction.on_commit(
            lambda: topic_transitioned.send_robust(sender=Topic, **payload)
        )
    return topic


__all__ = [
    "ACTIONS",
    "EDITABLE_FIELDS",
    "REASON_MAX_LENGTH",
    "STALE_MESSAGE",
    "TransitionRefused",
    "topic_create",
    "topic_transition",
    "topic_update",
    "topic_transitioned",
]
