"""Step 5 落实: tasks, progress reports and the township's supervision."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import Person
from core.errors import Conflict, NotVisible
from core.uploads import FileKind, upload_check
from core.validators import clean_date, clean_text
from notifications.models import Kind
from topics.models import Topic
from topics.records import snapshot, topic_event

from .. import permissions as perm
from ..models import (
    AttachmentPurpose,
    ProgressReport,
    SupervisionNote,
    Task,
    TaskStatus,
)
from ._base import (
    IMPLEMENT,
    _store,
    _write,
    send_notice,
)


def task_create(
    *,
    actor,
    topic_id: int,
    description: str,
    responsible_id: int | None,
    deadline: date | None,
) -> Task:
    with _write(actor, topic_id, steps=IMPLEMENT) as topic:
        description = clean_text(
            description,
            field="description",
            max_length=2000,
            multiline=True,
            required_message=_("请填写任务内容。"),
        )
        responsible = (
            Person.objects.select_related("place").filter(pk=responsible_id).first()
            if responsible_id
            else None
        )
        if responsible is None:
            raise ValidationError({"responsible": [_("请指定责任人。")]})
        # A person of no recorded place (a contractor) may be named; one of a
        # county or another township may not.
        if (
            responsible.place is not None
            and responsible.place.township_id != topic.place.township_id
        ):
            raise ValidationError(
                {"responsible": [_("责任人必须是本镇或下辖村的人员。")]}
            )
        if deadline is None:
            raise ValidationError({"deadline": [_("请填写完成期限。")]})
        if deadline < timezone.localdate():
            raise ValidationError({"deadline": [_("完成期限不能早于今天。")]})
        clean_date(deadline, field="deadline")
        task = Task.objects.create(
            topic=topic,
            description=description,
            responsible=responsible,
            responsible_name=responsible.name,
            deadline=deadline,
            created_by=actor,
        )
        topic_event(
            topic,
            actor=actor,
            verb="task_create",
            record=task,
            after=snapshot(
                task, ["description", "responsible", "responsible_name", "deadline"]
            ),
        )
        send_notice(
            topic=topic,
            key=f"feedback-task:{task.pk}",
            kind=Kind.REMINDER,
            recipients=[responsible],
            subject=_("落实任务：%(topic)s") % {"topic": topic.title},
            body=_("您是以下任务的责任人，完成期限 %(deadline)s：%(text)s")
            % {"deadline": deadline.isoformat(), "text": description},
            # The responsible person reports from their own page, not the staff's.
            link=reverse("feedback:my_tasks") + f"#task-{task.pk}",
            actor=actor,
        )
    return task


def _task_of(topic: Topic, task_id: int) -> Task:
    task = (
        Task.objects.select_for_update(of=("self",))
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
        reason = clean_text(
            reason,
            field="reason",
            max_length=500,
            required_message=_("请填写终止理由。"),
        )
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
            after={"status": TaskStatus.CLOSED, "close_reason": task.close_reason},
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
    checked = upload_check(files, kind=FileKind.DOCUMENT)
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
            reported_on=clean_date(
                reported_on,
                field="reported_on",
                required=True,
                future_message=_("进展日期不能晚于今天。"),
            ),
            note=clean_text(
                note,
                field="note",
                max_length=2000,
                multiline=True,
                required_message=_("请填写进展情况。"),
            ),
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
            note=clean_text(
                note,
                field="note",
                max_length=2000,
                multiline=True,
                required_message=_("请填写督办意见。"),
            ),
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
