"""Step 4 (协商成果落实): themes and dispositions, explanations, the joint
meeting's decision and the statutory vote."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from consult.models import KIND_OF_FORM, Session, SessionKind
from consult.selectors import topic_opinions
from core.errors import Conflict
from core.text import join_list
from core.uploads import FileKind, upload_check
from core.validators import clean_date, clean_text
from topics.catalogue import Level
from topics.models import Topic
from topics.records import snapshot, topic_event

from .. import rules
from ..models import (
    MAX_VOTERS,
    NEEDS_EXPLANATION,
    AttachmentPurpose,
    Compilation,
    Decision,
    Disposition,
    ExplainMethod,
    Explanation,
    MeetingKind,
    Outcome,
    Vote,
    VoteMark,
)
from ._base import (
    ADOPT,
    _store,
    _write,
)


def _opinion_of(topic: Topic, opinion_id: int):
    opinion = topic_opinions([topic.pk]).filter(pk=opinion_id).first()
    if opinion is None:
        raise ValidationError({"opinion": [_("该意见不属于本议题或已被屏蔽。")]})
    return opinion


def disposition_set(
    *,
    actor,
    topic_id: int,
    opinion_id: int,
    theme: str,
    outcome: str = "",
    reason: str = "",
) -> Disposition:
    """Give an opinion its theme and, once decided, its outcome with the reason."""
    with _write(actor, topic_id, steps=ADOPT) as topic:
        opinion = _opinion_of(topic, opinion_id)
        theme = clean_text(
            theme,
            field="theme",
            max_length=60,
            required_message=_("请填写意见所属主题。"),
        )
        outcome = (outcome or "").strip()
        reason = clean_text(
            reason, field="reason", max_length=2000, multiline=True, required=False
        )
        if outcome and outcome not in Outcome.values:
            raise ValidationError({"outcome": [_("采纳情况不正确。")]})
        if outcome:
            reason = clean_text(
                reason,
                field="reason",
                max_length=2000,
                multiline=True,
                required_message=_("请填写采纳或不采纳的理由。"),
            )
        elif reason:
            raise ValidationError({"outcome": [_("请先选择采纳情况。")]})
        disposition = Disposition.objects.filter(opinion_id=opinion.pk).first()
        fields = ["theme", "outcome", "reason"]
        before = snapshot(disposition, fields) if disposition else None
        if disposition is None:
            disposition = Disposition(topic=topic, opinion_id=opinion.pk)
        disposition.theme, disposition.outcome, disposition.reason = (
            theme,
            outcome,
            reason,
        )
        disposition.decided_by = actor
        disposition.decided_at = timezone.now()
        disposition.save(
            update_fields=None
            if disposition.pk is None
            else [*fields, "decided_by", "decided_at"]
        )
        topic_event(
            topic,
            actor=actor,
            verb="disposition_set",
            record=disposition,
            before=before,
            after=snapshot(disposition, fields),
            data={"opinion": opinion.pk},
        )
    return disposition


def compilation_save(*, actor, topic_id: int, summary: str) -> Compilation:
    """协商意见整理汇总: allowed once every counted opinion has a theme."""
    with _write(actor, topic_id, steps=ADOPT) as topic:
        summary = clean_text(
            summary,
            field="summary",
            max_length=5000,
            multiline=True,
            required_message=_("请填写意见汇总说明。"),
        )
        unthemed = topic_opinions([topic.pk]).filter(disposition__isnull=True).count()
        if unthemed:
            raise ValidationError(
                {
                    "summary": [
                        _("还有 %(n)d 条意见没有归入主题，请先归类。") % {"n": unthemed}
                    ]
                }
            )
        compilation = Compilation.objects.filter(topic=topic).first()
        before = snapshot(compilation, ["summary"]) if compilation else None
        if compilation is None:
            compilation = Compilation(topic=topic)
        compilation.summary = summary
        compilation.compiled_by = actor
        compilation.compiled_at = timezone.now()
        compilation.save(
            update_fields=None
            if compilation.pk is None
            else ["summary", "compiled_by", "compiled_at"]
        )
        topic_event(
            topic,
            actor=actor,
            verb="compilation_save",
            record=compilation,
            before=before,
            after={"summary": summary},
        )
    return compilation


def explanation_add(
    *,
    actor,
    topic_id: int,
    disposition_id: int,
    explained_by: str,
    explained_on: date | None,
    method: str,
    note: str,
):
    """沟通解释 to the author of an opinion not (or only partly) adopted."""
    with _write(actor, topic_id, steps=ADOPT) as topic:
        disposition = Disposition.objects.filter(pk=disposition_id, topic=topic).first()
        if disposition is None:
            raise ValidationError({"disposition": [_("该采纳记录不属于本议题。")]})
        if disposition.outcome not in NEEDS_EXPLANATION:
            raise ValidationError(
                {"disposition": [_("只有不予采纳或部分采纳的意见需要沟通解释。")]}
            )
        explanation = Explanation(
            disposition=disposition,
            explained_by=clean_text(
                explained_by,
                field="explained_by",
                max_length=64,
                required_message=_("请填写解释人。"),
            ),
            explained_on=clean_date(
                explained_on,
                field="explained_on",
                required=True,
                future_message=_("解释日期不能晚于今天。"),
            ),
            method=method,
            note=clean_text(
                note,
                field="note",
                max_length=2000,
                multiline=True,
                required_message=_("请填写解释情况。"),
            ),
            recorded_by=actor,
        )
        if method not in ExplainMethod.values:
            raise ValidationError({"method": [_("请选择解释方式。")]})
        explanation.save()
        topic_event(
            topic,
            actor=actor,
            verb="explanation_add",
            record=explanation,
            after=snapshot(
                explanation, ["explained_by", "explained_on", "method", "note"]
            ),
            data={"disposition": disposition.pk},
        )
    return explanation


# -- step 4: decision and vote ----------------------------------------------------


def _consultation_end(topic: Topic) -> date | None:
    """The day the consultation ended: the end of the last meeting or interview
    recorded, or the closing of the last written or online consultation."""
    ends = []
    for form, ends_at, recorded_at, closed_at in Session.objects.filter(
        topic=topic
    ).values_list("form", "ends_at", "recorded_at", "closed_at"):
        if KIND_OF_FORM[form] in (SessionKind.WRITTEN, SessionKind.ONLINE):
            if closed_at:
                ends.append(closed_at)
        elif recorded_at:
            ends.append(ends_at)
    return timezone.localdate(max(ends)) if ends else None


def _after_consultation(topic: Topic, day: date, field: str, message: str) -> None:
    """§二.3 协商在决策之前： no decision or vote dated before the consultation."""
    end = _consultation_end(topic)
    if end is not None and day < end:
        raise ValidationError({field: [message % {"date": end.isoformat()}]})


def decision_record(
    *,
    actor,
    topic_id: int,
    meeting_date: date | None,
    attendees: str,
    plan: str,
    files: Iterable = (),
) -> Decision:
    """班子联席会议: date, attendees, the 决策方案 and its attachments."""
    checked = upload_check(files, kind=FileKind.DOCUMENT)
    with _write(actor, topic_id, steps=ADOPT) as topic:
        meeting_date = clean_date(
            meeting_date,
            field="meeting_date",
            required=True,
            future_message=_("会议日期不能晚于今天。"),
        )
        _after_consultation(
            topic,
            meeting_date,
            "meeting_date",
            _(
                "协商在决策之前：班子联席会议日期不能早于协商活动结束的日期"
                "（%(date)s）。"
            ),
        )
        voted_on = Vote.objects.filter(topic=topic).aggregate(first=Min("held_on"))[
            "first"
        ]
        if voted_on is not None and meeting_date > voted_on:
            raise ValidationError(
                {
                    "meeting_date": [
                        _(
                            "法定会议已于 %(date)s 表决：班子联席会议的决策日期"
                            "不能晚于表决日期。"
                        )
                        % {"date": voted_on.isoformat()}
                    ]
                }
            )
        decision = Decision(
            topic=topic,
            meeting_date=meeting_date,
            attendees=clean_text(
                attendees,
                field="attendees",
                max_length=2000,
                multiline=True,
                required_message=_("请填写参会人员。"),
            ),
            plan=clean_text(
                plan,
                field="plan",
                max_length=20000,
                multiline=True,
                required_message=_("请填写决策方案。"),
            ),
            recorded_by=actor,
        )
        decision.save()
        topic_event(
            topic,
            actor=actor,
            verb="decision_record",
            record=decision,
            after=snapshot(decision, ["meeting_date", "attendees", "plan"]),
        )
        _store(
            actor=actor,
            topic=topic,
            checked=checked,
            purpose=AttachmentPurpose.DECISION,
            decision=decision,
        )
    return decision


def vote_mark(*, actor, topic_id: int, reason: str) -> VoteMark:
    """The clerk marks a topic as needing a statutory vote whatever its category."""
    with _write(actor, topic_id, steps=ADOPT) as topic:
        reason = clean_text(
            reason,
            field="reason",
            max_length=500,
            required_message=_("请填写需要表决的理由。"),
        )
        if VoteMark.objects.filter(topic=topic).exists():
            raise Conflict(_("该议题已标记为需要表决。"))
        mark = VoteMark.objects.create(topic=topic, reason=reason, marked_by=actor)
        topic_event(topic, actor=actor, verb="vote_mark", record=mark, reason=reason)
    return mark


def _count(value, field: str) -> int:
    if value is None or isinstance(value, bool):
        raise ValidationError({field: [_("请填写人数。")]})
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({field: [_("人数必须是整数。")]}) from exc
    if number < 0:
        raise ValidationError({field: [_("人数不能为负数。")]})
    if number > MAX_VOTERS:
        raise ValidationError(
            {field: [_("人数不能超过 %(max)d。") % {"max": MAX_VOTERS}]}
        )
    return number


def vote_record(
    *,
    actor,
    topic_id: int,
    kind: str,
    held_on: date | None,
    entitled,
    present,
    in_favour,
    against,
    abstain,
) -> Vote:
    """法定会议表决: numbers in, result computed by the meeting kind's rule.

    A failed vote stays on record; the topic stays in step 4 and may vote again.
    """
    with _write(actor, topic_id, steps=ADOPT) as topic:
        if kind not in MeetingKind.values:
            raise ValidationError({"kind": [_("请选择会议类型。")]})
        allowed = rules.meeting_kinds(topic)
        if kind not in allowed:
            raise ValidationError(
                {
                    "kind": [
                        _("%(kind)s不能表决%(level)s议题，请选择%(allowed)s。")
                        % {
                            "kind": MeetingKind(kind).label,
                            "level": Level(topic.level).label,
                            "allowed": join_list(MeetingKind(k).label for k in allowed),
                        }
                    ]
                }
            )
        held_on = clean_date(
            held_on,
            field="held_on",
            required=True,
            future_message=_("表决日期不能晚于今天。"),
        )
        _after_consultation(
            topic,
            held_on,
            "held_on",
            _("协商在决策之前：表决日期不能早于协商活动结束的日期（%(date)s）。"),
        )
        decided_on = Decision.objects.filter(topic=topic).aggregate(
            last=Max("meeting_date")
        )["last"]
        if decided_on is not None and held_on < decided_on:
            raise ValidationError(
                {
                    "held_on": [
                        _(
                            "表决的是班子联席会议形成的决策方案：表决日期不能早于"
                            "决策日期（%(date)s）。"
                        )
                        % {"date": decided_on.isoformat()}
                    ]
                }
            )
        numbers = {
            name: _count(value, name)
            for name, value in (
                ("entitled", entitled),
                ("present", present),
                ("in_favour", in_favour),
                ("against", against),
                ("abstain", abstain),
            )
        }
        if numbers["entitled"] < 1:
            raise ValidationError({"entitled": [_("应到人数至少为 1。")]})
        if numbers["present"] > numbers["entitled"]:
            raise ValidationError({"present": [_("到会人数不能多于应到人数。")]})
        cast = numbers["in_favour"] + numbers["against"] + numbers["abstain"]
        if cast > numbers["present"]:
            raise ValidationError(
                {"in_favour": [_("赞成、反对、弃权人数之和不能多于到会人数。")]}
            )
        if topic.pk not in rules.topics_needing_vote([topic]):
            raise Conflict(_("该议题不需要法定会议表决；如确需表决，请先标记。"))
        if Vote.objects.filter(topic=topic, passed=True).exists():
            raise Conflict(_("该议题已有通过的表决，不能再次表决。"))
        rule = rules.meeting_rule(topic, kind)
        quorum_met, passed = rules.vote_result(
            rule,
            entitled=numbers["entitled"],
            present=numbers["present"],
            in_favour=numbers["in_favour"],
        )
        vote = Vote.objects.create(
            topic=topic,
            kind=kind,
            held_on=held_on,
            rule=rule.as_dict(),
            quorum_met=quorum_met,
            passed=passed,
            recorded_by=actor,
            **numbers,
        )
        topic_event(
            topic,
            actor=actor,
            verb="vote_record",
            record=vote,
            after=snapshot(
                vote,
                [
                    "kind",
                    "held_on",
                    "entitled",
                    "present",
                    "in_favour",
                    "against",
                    "abstain",
                    "quorum_met",
                    "passed",
                ],
            ),
            data={"rule": rule.as_dict()},
        )
    return vote
