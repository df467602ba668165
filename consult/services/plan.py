"""The consultation plan and its sessions (step 2, and new sessions in step 3)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import (
    missing_categories,
)
from core.text import join_list
from core.validators import clean_date, clean_text
from topics.catalogue import Form, form_fits
from topics.models import Topic
from topics.records import snapshot, topic_event

from ..models import (
    KIND_OF_FORM,
    NoticeRound,
    Participant,
    Plan,
    Session,
    SessionKind,
)
from ._base import (
    PLANNING,
    PREPARE,
    REASON_MAX_LENGTH,
    SESSION_FIELDS,
    _load_session,
    _participant,
    _session_for_update,
    _when,
    _writing,
)
from .meeting_notices import _renotify_if_sent

# -- plan and sessions


def _check_session(topic: Topic, data: dict, *, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    form = data["form"]
    if form not in Form.values or not form_fits(topic.level, form):
        errors.setdefault("form", []).append(_("该协商形式不适用于本级议题。"))
    elif form not in topic.forms:
        # §六.3: 根据确定的协商方案、议题和形式.
        errors.setdefault("form", []).append(
            _("议题批准的协商形式是：%(forms)s；不能安排其他形式的协商活动。")
            % {
                "forms": join_list(
                    Form(f).label for f in topic.forms if f in Form.values
                )
            }
        )
    starts_at, ends_at = data["starts_at"], data["ends_at"]
    if starts_at is None or ends_at is None:
        errors.setdefault("starts_at", []).append(_("请填写开始和结束时间。"))
    else:
        if ends_at <= starts_at:
            errors.setdefault("ends_at", []).append(_("结束时间必须晚于开始时间。"))
        if starts_at < now:
            errors.setdefault("starts_at", []).append(
                _("计划的协商活动不能安排在过去的时间。")
            )
        elif _notified_before(topic):
            # §六.2 提前做好相关通知： once notices are out, a session planned
            # or moved is notified anew, and that round keeps the lead time.
            earliest = now + timedelta(days=settings.XST_NOTICE_MIN_DAYS)
            if starts_at < earliest:
                errors.setdefault("starts_at", []).append(
                    _(
                        "参会通知已发出，新安排或改期的协商活动须重新通知，"
                        "并至少提前 %(days)d 天：开始时间不能早于 %(when)s。"
                    )
                    % {
                        "days": settings.XST_NOTICE_MIN_DAYS,
                        "when": _when(earliest),
                    }
                )
        for name in ("starts_at", "ends_at"):
            clean_date(data[name], field=name, errors=errors)
    clean_text(
        data["agenda"],
        field="agenda",
        max_length=Session._meta.get_field("agenda").max_length,
        multiline=True,
        required_message=_("请填写议程。"),
        errors=errors,
    )
    kind = KIND_OF_FORM.get(form, SessionKind.MEETING)
    clean_text(
        data["location"],
        field="location",
        max_length=Session._meta.get_field("location").max_length,
        required=kind in (SessionKind.MEETING, SessionKind.INTERVIEW),
        required_message=_("请填写地点。"),
        errors=errors,
    )
    clean_text(
        data["host"],
        field="host",
        max_length=Session._meta.get_field("host").max_length,
        required=False,
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)


def _notified_before(topic: Topic) -> bool:
    return NoticeRound.objects.filter(topic=topic).exists()


def _clean_session(data: dict) -> dict:
    return {
        "form": data.get("form") or "",
        "starts_at": data.get("starts_at"),
        "ends_at": data.get("ends_at"),
        "location": (data.get("location") or "").strip(),
        "agenda": (data.get("agenda") or "").strip(),
        "host": (data.get("host") or "").strip(),
    }


def session_plan(
    *,
    actor,
    topic_id: int,
    form: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    location: str = "",
    agenda: str = "",
    host: str = "",
    interviewee_id: int | None = None,
) -> Session:
    """Plan a session of the 协商方案: form, time, place, agenda, host."""
    data = _clean_session(locals())
    with _writing(topic_id, actor=actor, steps=PLANNING) as (topic, _r):
        _check_session(topic, data, now=timezone.now())
        session = Session(topic=topic, created_by=actor, **data)
        if session.kind == SessionKind.INTERVIEW:
            session.interviewee = _participant(topic, interviewee_id, "interviewee")
        session.save()
        Plan.objects.get_or_create(topic=topic)
        topic_event(
            topic,
            actor=actor,
            verb="session_plan",
            record=session,
            after=snapshot(session, SESSION_FIELDS),
        )
        _renotify_if_sent(topic, actor=actor)
    return session


def session_reschedule(
    *,
    actor,
    session_id: int,
    form: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    location: str = "",
    agenda: str = "",
    host: str = "",
) -> Session:
    """Change a planned session; a new time or place re-notifies everyone."""
    data = _clean_session(locals())
    topic_id = _session_for_update(session_id).topic_id
    with _writing(topic_id, actor=actor, steps=PLANNING) as (topic, _r):
        session = _load_session(topic, session_id)
        if session.recorded_at or session.closed_at:
            raise ValidationError(_("该协商活动已记录，不能再改期。"))
        _check_session(topic, data, now=timezone.now())
        before = snapshot(session, SESSION_FIELDS)
        for name, value in data.items():
            setattr(session, name, value)
        session.save(update_fields=list(data))
        after = snapshot(session, SESSION_FIELDS)
        topic_event(
            topic,
            actor=actor,
            verb="session_reschedule",
            record=session,
            before=before,
            after=after,
        )
        moved = any(
            before[name] != after[name] for name in ("starts_at", "ends_at", "location")
        )
        if moved:
            _renotify_if_sent(topic, actor=actor)
    return session


def participants_gap_explain(*, actor, topic_id: int, reason: str) -> Plan:
    """The written reason for a participant list lacking §七 categories."""
    reason = clean_text(
        reason,
        field="reason",
        max_length=REASON_MAX_LENGTH,
        multiline=True,
        required_message=_("请说明名单缺少相关界别的原因。"),
    )
    with _writing(topic_id, actor=actor, steps=PREPARE) as (topic, _r):
        plan, _created = Plan.objects.get_or_create(topic=topic)
        categories = Participant.objects.filter(topic=topic).values_list(
            "category", flat=True
        )
        gap = [str(c) for c in missing_categories(categories)]
        if not gap:
            raise ValidationError({"reason": [_("名单已涵盖全部界别，无需说明。")]})
        before = snapshot(plan, ("gap_reason", "gap_categories"))
        plan.gap_reason = reason
        plan.gap_categories = gap
        plan.updated_at = timezone.now()
        plan.save(update_fields=["gap_reason", "gap_categories", "updated_at"])
        topic_event(
            topic,
            actor=actor,
            verb="participants_gap_explain",
            record=plan,
            before=before,
            after={"gap_categories": gap},
            reason=reason,
        )
    return plan
