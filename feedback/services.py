"""Every write of steps 4 and 5.

Each service locks the topic through ``topics.records.topic_write`` (which
refuses archived topics with ``Sealed`` and topics in another step with
``StepClosed``), checks the actor through ``feedback.permissions``, validates,
writes the record and appends the change to the topic's audit chain in one
transaction. The only write an archived topic takes is ``topic_note_append``.
"""

import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from committees import roles
from committees.models import Person, Place
from committees.permissions import place_perm_holders
from consult.selectors import topic_opinions, topic_participants
from core.errors import Conflict, NotVisible, Sealed
from notifications.models import Kind
from notifications.services import notify
from topics.models import Topic
from topics.records import snapshot, topic_event, topic_write
from topics.states import State, Step

from . import permissions as perm
from . import rules
from .files import CheckedFile, check_upload
from .models import (
    NEEDS_EXPLANATION,
    Attachment,
    AttachmentPurpose,
    Bulletin,
    Compilation,
    Decision,
    Disposition,
    ExplainMethod,
    Explanation,
    MeetingKind,
    Note,
    NoticeResponse,
    NoticeStatus,
    NoticeSubject,
    Outcome,
    ProgressReport,
    PublicNotice,
    ResponseKind,
    SupervisionNote,
    Task,
    TaskStatus,
    Vote,
    VoteMark,
)

logger = logging.getLogger(__name__)

ADOPT = {Step.ADOPT}
FEEDBACK = {Step.FEEDBACK}
# Tasks are assigned once the decision is taken, and followed up in step 5.
IMPLEMENT = {Step.ADOPT, Step.FEEDBACK}


def send_notice(*, topic: Topic, **kwargs):
    """The one place feedback calls notifications, so its signature lives here."""
    return notify(topic=topic, **kwargs)


def _text(value, field: str, message: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [message]})
    if len(value) > max_length:
        raise ValidationError({field: [_("不能超过 %(n)d 个字。") % {"n": max_length}]})
    return value


def _not_future(value: date | None, field: str, message: str) -> date:
    if value is None:
        raise ValidationError({field: [_("请填写日期。")]})
    if value > timezone.localdate():
        raise ValidationError({field: [message]})
    return value


def _refuse(actor, topic: Topic) -> None:
    if not perm.can_view(actor, topic):
        raise NotVisible
    raise PermissionDenied(_("您没有执行该操作的权限。"))


@contextmanager
def _write(actor, topic_id: int, *, steps, check: Callable = perm.can_record):
    """Check the actor, then lock the topic; the seal and step are topic_write's."""
    topic = Topic.objects.select_related("place").filter(pk=topic_id).first()
    if topic is None:
        raise NotVisible
    if not check(actor, topic):
        _refuse(actor, topic)
    with topic_write(topic_id, steps=steps) as locked:
        yield locked


def _check_all(uploads: Iterable, *, images_only: bool = False) -> list[CheckedFile]:
    """Check every upload before anything is stored, so a bad one saves nothing."""
    return [check_upload(u, images_only=images_only) for u in uploads or ()]


def _store(
    *, actor, topic: Topic, checked: Iterable[CheckedFile], purpose: str, **owner
) -> list[Attachment]:
    stored = []
    for item in checked:
        attachment = Attachment(
            topic=topic,
            purpose=purpose,
            name=item.name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            uploaded_by=actor,
            **owner,
        )
        attachment.file.save(item.content.name, item.content, save=False)
        attachment.save()
        topic_event(
            topic,
            actor=actor,
            verb="attachment_add",
            record=attachment,
            after=snapshot(
                attachment, ["purpose", "name", "content_type", "size", "sha256"]
            ),
        )
        stored.append(attachment)
    return stored


# -- step 4: compile, dispose, explain ------------------------------------------


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
        theme = _text(theme, "theme", _("请填写意见所属主题。"), 60)
        outcome = (outcome or "").strip()
        reason = (reason or "").strip()
        if outcome and outcome not in Outcome.values:
            raise ValidationError({"outcome": [_("采纳情况不正确。")]})
        if outcome:
            reason = _text(reason, "reason", _("请填写采纳或不采纳的理由。"), 2000)
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
        disposition.save()
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
        summary = _text(summary, "summary", _("请填写意见汇总说明。"), 5000)
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
        compilation.save()
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
            explained_by=_text(explained_by, "explained_by", _("请填写解释人。"), 64),
            explained_on=_not_future(
                explained_on, "explained_on", _("解释日期不能晚于今天。")
            ),
            method=method,
            note=_text(note, "note", _("请填写解释情况。"), 2000),
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
    checked = _check_all(files)
    with _write(actor, topic_id, steps=ADOPT) as topic:
        decision = Decision(
            topic=topic,
            meeting_date=_not_future(
                meeting_date, "meeting_date", _("会议日期不能晚于今天。")
            ),
            attendees=_text(attendees, "attendees", _("请填写参会人员。"), 2000),
            plan=_text(plan, "plan", _("请填写决策方案。"), 20000),
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
        reason = _text(reason, "reason", _("请填写需要表决的理由。"), 500)
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
        held_on = _not_future(held_on, "held_on", _("表决日期不能晚于今天。"))
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
        rule = rules.meeting_rule(topic.place_id, kind)
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


# -- step 5: tasks, progress, supervision -----------------------------------------


def task_create(
    *,
    actor,
    topic_id: int,
    description: str,
    responsible_id: int | None,
    deadline: date | None,
) -> Task:
    with _write(actor, topic_id, steps=IMPLEMENT) as topic:
        description = _text(description, "description", _("请填写任务内容。"), 2000)
        responsible = (
            Person.objects.filter(pk=responsible_id).first() if responsible_id else None
        )
        if responsible is None:
            raise ValidationError({"responsible": [_("请指定责任人。")]})
        if deadline is None:
            raise ValidationError({"deadline": [_("请填写完成期限。")]})
        if deadline < timezone.localdate():
            raise ValidationError({"deadline": [_("完成期限不能早于今天。")]})
        task = Task.objects.create(
            topic=topic,
            description=description,
            responsible=responsible,
            deadline=deadline,
            created_by=actor,
        )
        topic_event(
            topic,
            actor=actor,
            verb="task_create",
            record=task,
            after=snapshot(task, ["description", "responsible", "deadline"]),
        )
        send_notice(
            topic=topic,
            key=f"feedback-task:{task.pk}",
            kind=Kind.REMINDER,
            recipients=[responsible],
            subject=_("落实任务：%(topic)s") % {"topic": topic.title},
            body=_("您是以下任务的责任人，完成期限 %(deadline)s：%(text)s")
            % {"deadline": deadline.isoformat(), "text": description},
            link=reverse("feedback:implement", kwargs={"topic_id": topic.pk}),
            actor=actor,
        )
    return task


def _task_of(topic: Topic, task_id: int) -> Task:
    task = (
        Task.objects.select_for_update()
        .select_related("responsible")
        .filter(pk=task_id, topic=topic)
        .first()
    )
    if task is None:
        raise NotVisible
    return task


def _task_topic_id(task_id: int) -> int:
    topic_id = (
        Task.objects.filter(pk=task_id).values_list("topic_id", flat=True).first()
    )
    if topic_id is None:
        raise NotVisible
    return topic_id


def task_close(*, actor, task_id: int, reason: str) -> Task:
    """End a task that will not be done, with the reason (终止)."""
    with _write(actor, _task_topic_id(task_id), steps=IMPLEMENT) as topic:
        task = _task_of(topic, task_id)
        reason = _text(reason, "reason", _("请填写终止理由。"), 500)
        if task.status != TaskStatus.OPEN:
            raise Conflict(_("该任务已结束。"))
        task.status, task.close_reason = TaskStatus.CLOSED, reason
        task.save(update_fields=["status", "close_reason"])
        topic_event(
            topic,
            actor=actor,
            verb="task_close",
            record=task,
            before={"status": TaskStatus.OPEN},
            after={"status": TaskStatus.CLOSED},
            reason=reason,
        )
    return task


def progress_report(
    *,
    actor,
    task_id: int,
    percent,
    reported_on: date | None,
    note: str,
    files: Iterable = (),
) -> ProgressReport:
    """A progress report; 100% marks the task done."""
    checked = _check_all(files)
    topic_id = _task_topic_id(task_id)
    task_for_check = Task.objects.select_related("topic__place", "responsible").get(
        pk=task_id
    )

    def check(user, topic) -> bool:
        return perm.can_report(user, task_for_check)

    with _write(actor, topic_id, steps=IMPLEMENT, check=check) as topic:
        task = _task_of(topic, task_id)
        if task.status != TaskStatus.OPEN:
            raise Conflict(_("该任务已结束，不能再报告进展。"))
        try:
            percent = int(percent)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"percent": [_("完成百分比必须是整数。")]}) from exc
        if not 0 <= percent <= 100:
            raise ValidationError({"percent": [_("完成百分比必须在 0 到 100 之间。")]})
        report = ProgressReport.objects.create(
            task=task,
            percent=percent,
            reported_on=_not_future(
                reported_on, "reported_on", _("进展日期不能晚于今天。")
            ),
            note=_text(note, "note", _("请填写进展情况。"), 2000),
            reported_by=actor,
        )
        topic_event(
            topic,
            actor=actor,
            verb="progress_report",
            record=report,
            after=snapshot(report, ["task", "percent", "reported_on", "note"]),
        )
        _store(
            actor=actor,
            topic=topic,
            checked=checked,
            purpose=AttachmentPurpose.PROGRESS,
            report=report,
        )
        if percent == 100:
            task.status = TaskStatus.DONE
            task.save(update_fields=["status"])
            topic_event(
                topic,
                actor=actor,
                verb="task_done",
                record=task,
                before={"status": TaskStatus.OPEN},
                after={"status": TaskStatus.DONE},
            )
    return report


def supervision_note_add(*, actor, task_id: int, note: str) -> SupervisionNote:
    """跟踪督办: the township's follow-up on a task."""
    with _write(
        actor, _task_topic_id(task_id), steps=IMPLEMENT, check=perm.can_supervise
    ) as topic:
        task = _task_of(topic, task_id)
        written = SupervisionNote.objects.create(
            task=task,
            note=_text(note, "note", _("请填写督办意见。"), 2000),
            written_by=actor,
        )
        topic_event(
            topic,
            actor=actor,
            verb="supervision_note_add",
            record=written,
            after={"task": task.pk, "note": written.note},
        )
    return written


# -- step 5: 公示 --------------------------------------------------------------------


def _notice_places(topic: Topic, place_ids: Iterable[int]) -> list[Place]:
    """The places a 公示 may be shown for: the topic's place, its township, villages."""
    ids = {int(pk) for pk in place_ids or ()}
    if not ids:
        raise ValidationError({"places": [_("请选择公示范围。")]})
    township_id = topic.place.parent_id if topic.place.is_village else topic.place_id
    allowed = Place.objects.filter(pk__in=ids).filter(
        pk__in=[topic.place_id, township_id]
    ) | Place.objects.filter(pk__in=ids, parent_id=topic.place_id)
    places = list(allowed.distinct())
    if len(places) != len(ids):
        raise ValidationError({"places": [_("公示范围只能是本议题所在的镇或村。")]})
    return places


def _publish(notice: PublicNotice, topic: Topic, actor, now: datetime) -> None:
    notice.status = NoticeStatus.PUBLISHED
    notice.published_at = now
    notice.save(update_fields=["status", "published_at"])
    topic_event(
        topic,
        actor=actor,
        verb="notice_publish",
        record=notice,
        before={"status": NoticeStatus.SCHEDULED},
        after={"status": NoticeStatus.PUBLISHED},
    )
    persons = [p.person for p in topic_participants([topic.pk])]
    if persons:
        send_notice(
            topic=topic,
            key=f"feedback-notice:{notice.pk}",
            kind=Kind.PUBLIC_NOTICE,
            recipients=persons,
            subject=_("公示：%(title)s") % {"title": notice.title},
            body=_("公示期 %(start)s 至 %(end)s。") % _notice_period(notice),
            link=reverse("public_notice", kwargs={"public_id": notice.public_id}),
            actor=actor,
        )


def _notice_period(notice: PublicNotice) -> dict:
    return {
        "start": timezone.localtime(notice.starts_at).strftime("%Y-%m-%d %H:%M"),
        "end": timezone.localtime(notice.ends_at).strftime("%Y-%m-%d %H:%M"),
    }


def notice_create(
    *,
    actor,
    topic_id: int,
    subject: str,
    title: str,
    body: str,
    place_ids: Iterable[int],
    starts_at: datetime | None,
    ends_at: datetime | None,
    posted_at: str = "",
    files: Iterable = (),
) -> PublicNotice:
    """A 公示; one whose start has passed is published at once, others by the job."""
    checked = _check_all(files)
    with _write(actor, topic_id, steps=FEEDBACK) as topic:
        if subject not in NoticeSubject.values:
            raise ValidationError({"subject": [_("请选择公示内容类别。")]})
        title = _text(title, "title", _("请填写公示标题。"), 120)
        body = _text(body, "body", _("请填写公示正文。"), 20000)
        if starts_at is None or ends_at is None:
            raise ValidationError({"ends_at": [_("请填写公示起止时间。")]})
        if ends_at <= starts_at:
            raise ValidationError({"ends_at": [_("公示结束时间必须晚于开始时间。")]})
        min_days = settings.XST_PUBLIC_NOTICE_MIN_DAYS
        now = timezone.now()
        # A start in the past publishes now: the period is counted from now.
        if ends_at - max(starts_at, now) < timedelta(days=min_days):
            raise ValidationError(
                {"ends_at": [_("公示期不能少于 %(days)d 天。") % {"days": min_days}]}
            )
        places = _notice_places(topic, place_ids)
        notice = PublicNotice.objects.create(
            topic=topic,
            subject=subject,
            title=title,
            body=body,
            posted_at=(posted_at or "").strip()[:200],
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=actor,
        )
        notice.places.set(places)
        topic_event(
            topic,
            actor=actor,
            verb="notice_create",
            record=notice,
            after={
                **snapshot(
                    notice, ["subject", "title", "body", "starts_at", "ends_at"]
                ),
                "places": sorted(p.pk for p in places),
            },
        )
        _store(
            actor=actor,
            topic=topic,
            checked=checked,
            purpose=AttachmentPurpose.NOTICE,
            notice=notice,
        )
        if starts_at <= now:
            _publish(notice, topic, actor, now)
    return notice


def _notice_topic_id(notice_id: int) -> int:
    topic_id = (
        PublicNotice.objects.filter(pk=notice_id)
        .values_list("topic_id", flat=True)
        .first()
    )
    if topic_id is None:
        raise NotVisible
    return topic_id


def _locked_notice(topic: Topic, notice_id: int) -> PublicNotice:
    return PublicNotice.objects.select_for_update().get(pk=notice_id, topic=topic)


def notice_withdraw(*, actor, notice_id: int, reason: str) -> PublicNotice:
    with _write(actor, _notice_topic_id(notice_id), steps=FEEDBACK) as topic:
        notice = _locked_notice(topic, notice_id)
        reason = _text(reason, "reason", _("请填写撤回理由。"), 500)
        if notice.status not in (NoticeStatus.SCHEDULED, NoticeStatus.PUBLISHED):
            raise Conflict(_("该公示已结束或已撤回。"))
        before = notice.status
        notice.status = NoticeStatus.WITHDRAWN
        notice.withdrawn_at = timezone.now()
        notice.withdraw_reason = reason
        notice.save(update_fields=["status", "withdrawn_at", "withdraw_reason"])
        topic_event(
            topic,
            actor=actor,
            verb="notice_withdraw",
            record=notice,
            before={"status": before},
            after={"status": NoticeStatus.WITHDRAWN},
            reason=reason,
        )
    return notice


def notice_photo_add(*, actor, notice_id: int, upload) -> Attachment:
    """A photo of the 公示 as posted on the notice board, as proof."""
    checked = _check_all([upload], images_only=True)
    with _write(actor, _notice_topic_id(notice_id), steps=FEEDBACK) as topic:
        notice = _locked_notice(topic, notice_id)
        if notice.status == NoticeStatus.WITHDRAWN:
            raise Conflict(_("该公示已撤回。"))
        return _store(
            actor=actor,
            topic=topic,
            checked=checked,
            purpose=AttachmentPurpose.POSTED_PHOTO,
            notice=notice,
        )[0]


def _withdraw_unshown(notice: PublicNotice, topic: Topic, now, reason: str) -> None:
    notice.status = NoticeStatus.WITHDRAWN
    notice.withdrawn_at = now
    notice.withdraw_reason = reason
    notice.save(update_fields=["status", "withdrawn_at", "withdraw_reason"])
    topic_event(
        topic,
        actor=None,
        verb="notice_withdraw",
        record=notice,
        before={"status": NoticeStatus.SCHEDULED},
        after={"status": NoticeStatus.WITHDRAWN},
        reason=reason,
    )


def _sweep_one(notice_id: int, topic_id: int, now: datetime) -> bool:
    with topic_write(topic_id) as topic:
        notice = _locked_notice(topic, notice_id)
        if notice.status == NoticeStatus.SCHEDULED and notice.starts_at <= now:
            if topic.state != State.FEEDBACK:
                # The topic was withdrawn meanwhile: nothing of it goes public.
                _withdraw_unshown(
                    notice, topic, now, _("议题已不在结果反馈阶段，公示未发布。")
                )
            elif notice.ends_at <= now:
                # Never shown in time: it cannot count as having run its period.
                _withdraw_unshown(notice, topic, now, _("未能按时发布，公示期已过。"))
            else:
                _publish(notice, topic, None, now)
            return True
        if notice.status == NoticeStatus.PUBLISHED and notice.ends_at <= now:
            notice.status = NoticeStatus.ENDED
            notice.ended_at = now
            notice.save(update_fields=["status", "ended_at"])
            topic_event(
                topic,
                actor=None,
                verb="notice_end",
                record=notice,
                before={"status": NoticeStatus.PUBLISHED},
                after={"status": NoticeStatus.ENDED},
            )
            return True
    return False


def notices_sweep(now: datetime) -> int:
    """The scheduled job: publish 公示 whose start has come, end those whose end has.

    Safe to run twice: each notice moves only from the state it is found in,
    each in its own transaction; a sealed topic's notice is left as it is.
    """
    due = list(
        PublicNotice.objects.filter(
            status=NoticeStatus.SCHEDULED, starts_at__lte=now
        ).values_list("pk", "topic_id")
    ) + list(
        PublicNotice.objects.filter(
            status=NoticeStatus.PUBLISHED, ends_at__lte=now
        ).values_list("pk", "topic_id")
    )
    changed = 0
    for notice_id, topic_id in due:
        try:
            changed += _sweep_one(notice_id, topic_id, now)
        except Sealed:
            logger.warning(
                "notice %s of sealed topic %s left as it is", notice_id, topic_id
            )
    return changed


def response_submit(*, actor, public_id, kind: str, content: str) -> NoticeResponse:
    """A resident responds to or objects to a 公示 during its period."""
    notice = PublicNotice.objects.filter(public_id=public_id).first()
    if notice is None or notice.status not in (
        NoticeStatus.PUBLISHED,
        NoticeStatus.ENDED,
    ):
        raise NotVisible
    if not perm.can_respond(actor):
        raise PermissionDenied(_("请先登录再提出意见。"))

    def anyone(user, topic) -> bool:
        return True

    with _write(actor, notice.topic_id, steps=FEEDBACK, check=anyone) as topic:
        notice = _locked_notice(topic, notice.pk)
        now = timezone.now()
        if notice.status != NoticeStatus.PUBLISHED or not (
            notice.starts_at <= now < notice.ends_at
        ):
            raise Conflict(_("公示期已结束，不能再提出意见。"))
        if kind not in ResponseKind.values:
            raise ValidationError({"kind": [_("请选择意见类型。")]})
        response = NoticeResponse.objects.create(
            notice=notice,
            author=actor,
            kind=kind,
            content=_text(content, "content", _("请填写意见内容。"), 2000),
        )
        topic_event(
            topic,
            actor=actor,
            verb="response_submit",
            record=response,
            after=snapshot(response, ["notice", "kind", "content"]),
        )
        clerks = place_perm_holders(roles.RUN, {topic.place_id}).get(topic.place_id, [])
        if clerks:
            send_notice(
                topic=topic,
                key=f"feedback-response:{response.pk}",
                kind=Kind.REMINDER,
                recipients=clerks,
                subject=_("公示收到群众意见：%(title)s") % {"title": notice.title},
                body=_("请在议题页面答复该意见，全部答复后议题才能归档。"),
                link=reverse("feedback:implement", kwargs={"topic_id": topic.pk}),
            )
    return response


def response_answer(*, actor, response_id: int, answer: str) -> NoticeResponse:
    """The clerk answers a resident's response; every one must be answered."""
    row = (
        NoticeResponse.objects.filter(pk=response_id)
        .values_list("notice__topic_id", flat=True)
        .first()
    )
    if row is None:
        raise NotVisible
    with _write(actor, row, steps=FEEDBACK) as topic:
        response = NoticeResponse.objects.select_for_update().get(pk=response_id)
        if response.answered_at is not None:
            raise Conflict(_("该意见已经答复。"))
        response.answer = _text(answer, "answer", _("请填写答复内容。"), 2000)
        response.answered_by = actor
        response.answered_at = timezone.now()
        response.save(update_fields=["answer", "answered_by", "answered_at"])
        topic_event(
            topic,
            actor=actor,
            verb="response_answer",
            record=response,
            after={"answer": response.answer},
        )
    return response


# -- step 5: 通报 ---------------------------------------------------------------------


def _bulletin_body(topic: Topic, decision: Decision | None, opinions: list) -> str:
    lines = [
        _("议题“%(topic)s”已形成决策。") % {"topic": topic.title},
    ]
    if decision is not None:
        lines.append(_("决策方案：%(plan)s") % {"plan": decision.plan[:500]})
    if opinions:
        lines.append(_("您提出的意见及采纳情况："))
        for number, opinion in enumerate(opinions, start=1):
            disposition = getattr(opinion, "disposition", None)
            outcome = disposition.get_outcome_display() if disposition else ""
            reason = disposition.reason if disposition else ""
            lines.append(
                _("%(n)d. %(content)s —— %(outcome)s（%(reason)s）")
                % {
                    "n": number,
                    "content": opinion.content[:200],
                    "outcome": outcome,
                    "reason": reason,
                }
            )
    else:
        lines.append(_("您在本次协商中没有登记意见。"))
    return "\n".join(lines)


def bulletin_send(*, actor, topic_id: int) -> int:
    """通报 every participant; each message names their opinions and dispositions.

    Sending again reaches only participants not yet sent a 通报.
    """
    with _write(actor, topic_id, steps=FEEDBACK) as topic:
        decision = (
            Decision.objects.filter(topic=topic).order_by("-meeting_date").first()
        )
        if decision is None:
            raise Conflict(_("还没有决策记录，不能通报。"))
        participants = list(topic_participants([topic.pk]))
        if not participants:
            raise Conflict(_("本议题没有参与协商对象。"))
        already = set(
            Bulletin.objects.filter(topic=topic).values_list("person_id", flat=True)
        )
        by_person: dict[int, list] = {}
        by_participant: dict[int, list] = {}
        for opinion in topic_opinions([topic.pk]).select_related("disposition"):
            if opinion.participant_id:
                by_participant.setdefault(opinion.participant_id, []).append(opinion)
            elif opinion.author_id:
                by_person.setdefault(opinion.author_id, []).append(opinion)
        sent = 0
        link = reverse("public_topic_notices", kwargs={"topic_id": topic.pk})
        for participant in participants:
            if participant.person_id in already:
                continue
            opinions = by_participant.get(participant.pk, []) + by_person.get(
                participant.person_id, []
            )
            notification = send_notice(
                topic=topic,
                key=f"feedback-bulletin:{topic.pk}:{participant.person_id}",
                kind=Kind.BULLETIN,
                recipients=[participant.person],
                subject=_("协商结果通报：%(topic)s") % {"topic": topic.title},
                body=_bulletin_body(topic, decision, opinions),
                link=link,
                actor=actor,
            )
            bulletin = Bulletin.objects.create(
                topic=topic,
                person=participant.person,
                notification=notification,
                sent_by=actor,
            )
            topic_event(
                topic,
                actor=actor,
                verb="bulletin_send",
                record=bulletin,
                after={
                    "person": participant.person_id,
                    "opinions": [o.pk for o in opinions],
                },
            )
            sent += 1
    return sent


# -- after archiving -------------------------------------------------------------------


def topic_note_append(*, actor, topic_id: int, text: str) -> Note:
    """An appended, audited note: the one change a sealed topic still takes.

    Takes the topic's row lock itself (not ``topic_write``, which refuses
    archived topics) and only ever adds a Note row and its audit event.
    """
    with transaction.atomic():
        topic = (
            Topic.objects.select_for_update()
            .select_related("place")
            .filter(pk=topic_id)
            .first()
        )
        if topic is None:
            raise NotVisible
        if not perm.can_note(actor, topic):
            _refuse(actor, topic)
        note = Note.objects.create(
            topic=topic,
            text=_text(text, "text", _("请填写说明内容。"), 2000),
            written_by=actor,
        )
        topic_event(
            topic,
            actor=actor,
            verb="note_append",
            record=note,
            after={"text": note.text},
        )
    return note
