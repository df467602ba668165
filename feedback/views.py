"""Pages of steps 4 and 5 and the public 公示 pages. Reads via selectors, writes
via services; a refused write re-renders its page with the bound form and the
reason (``core.refusals``), as consult's step pages do."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import Conflict, NotVisible
from core.refusals import answer, form_errors
from core.uploads import file_response
from topics import selectors as topic_selectors
from topics.evidence import missing
from topics.states import State, Step

from . import forms, rules, selectors, services
from . import permissions as perm
from .models import Task


def _topic(user, topic_id: int):
    """The topic for its staff; a responsible person has their own page."""
    topic = topic_selectors.topic_detail(user, topic_id)
    if topic is None:
        raise NotVisible
    return topic


def _adopt_page(request, topic, *, status=200, errors=(), forms_in=None):
    context = {
        "topic": topic,
        "errors": list(errors),
        "can_record": perm.can_record(request.user, topic)
        and rules.writable(topic)["adoption"],
        "decision_form": forms.DecisionForm(),
        "vote_form": forms.VoteForm(topic=topic),
        "vote_mark_form": forms.VoteMarkForm(),
        "compilation_form": forms.CompilationForm(),
        "explain_methods": forms.ExplainMethod.choices,
        "outcomes": forms.Outcome.choices,
        "today": timezone.localdate(),
        "missing": missing(topic, Step.ADOPT) if topic.step == Step.ADOPT else [],
        **selectors.adoption(topic),
        **(forms_in or {}),
    }
    return render(request, "feedback/adopt.html", context, status=status)


def _implement_page(request, topic, *, status=200, errors=(), forms_in=None):
    writes = rules.writable(topic)
    context = {
        "topic": topic,
        "errors": list(errors),
        "can_record": perm.can_record(request.user, topic) and writes["implementation"],
        "can_notice": perm.can_record(request.user, topic) and writes["public_notice"],
        "can_supervise": perm.can_supervise(request.user, topic)
        and writes["implementation"],
        "can_note": perm.can_note(request.user, topic),
        "is_archived": topic.state == State.ARCHIVED,
        "task_form": forms.TaskForm(topic=topic),
        "notice_form": forms.NoticeForm(topic=topic),
        "note_form": forms.NoteForm(),
        "today": timezone.localdate(),
        "user_id": request.user.pk,
        "missing": (
            missing(topic, Step.FEEDBACK) if topic.step == Step.FEEDBACK else []
        ),
        **selectors.implementation(topic),
        **(forms_in or {}),
    }
    return render(request, "feedback/implement.html", context, status=status)


@login_required
def adopt(request, topic_id: int):
    return _adopt_page(request, _topic(request.user, topic_id))


@login_required
def implement(request, topic_id: int):
    return _implement_page(request, _topic(request.user, topic_id))


def _my_tasks_page(request, *, status=200, errors=(), failed_task=None):
    return render(
        request,
        "feedback/my_tasks.html",
        {
            "tasks": selectors.own_tasks(request.user),
            "errors": list(errors),
            "failed_task": failed_task,
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
def my_tasks(request):
    """The responsible person's own page: their tasks, progress and 督办 notes."""
    return _my_tasks_page(request)


def _act(
    request,
    topic_id: int,
    *,
    page: Callable,
    form=None,
    slot: str = "",
    run: Callable,
    done: str,
    anchor: str = "",
):
    """Validate the form, run the service, and redirect; or the page again
    with the form bound in its ``slot`` (a row's own small form has none:
    its messages go at the top)."""
    topic = _topic(request.user, topic_id)
    name = "feedback:adopt" if page is _adopt_page else "feedback:implement"
    return answer(
        request,
        form=form,
        page=lambda status, errors: page(
            request,
            topic,
            status=status,
            errors=errors,
            forms_in={slot: form} if slot else None,
        ),
        run=run,
        done=done,
        to=reverse(name, kwargs={"topic_id": topic_id}) + anchor,
    )


@login_required
@require_POST
def disposition(request, topic_id: int):
    return _act(
        request,
        topic_id,
        page=_adopt_page,
        form=forms.DispositionForm(request.POST),
        run=lambda d: services.disposition_set(
            actor=request.user,
            topic_id=topic_id,
            opinion_id=d["opinion_id"],
            theme=d["theme"],
            outcome=d["outcome"],
            reason=d["reason"],
        ),
        done=_("采纳情况已保存。"),
        anchor="#opinions",
    )


@login_required
@require_POST
def compile_opinions(request, topic_id: int):
    return _act(
        request,
        topic_id,
        page=_adopt_page,
        form=forms.CompilationForm(request.POST),
        slot="compilation_form",
        run=lambda d: services.compilation_save(
            actor=request.user, topic_id=topic_id, summary=d["summary"]
        ),
        done=_("意见汇总已保存。"),
    )


@login_required
@require_POST
def explanation(request, topic_id: int):
    return _act(
        request,
        topic_id,
        page=_adopt_page,
        form=forms.ExplanationForm(request.POST),
        run=lambda d: services.explanation_add(
            actor=request.user, topic_id=topic_id, **d
        ),
        done=_("沟通解释已登记。"),
        anchor="#opinions",
    )


@login_required
@require_POST
def decision(request, topic_id: int):
    return _act(
        request,
        topic_id,
        page=_adopt_page,
        form=forms.DecisionForm(request.POST, request.FILES),
        slot="decision_form",
        run=lambda d: services.decision_record(
            actor=request.user,
            topic_id=topic_id,
            meeting_date=d["meeting_date"],
            attendees=d["attendees"],
            plan=d["plan"],
            files=d["files"],
        ),
        done=_("班子联席会议决策已登记。"),
    )


@login_required
@require_POST
def vote_mark(request, topic_id: int):
    return _act(
        request,
        topic_id,
        page=_adopt_page,
        form=forms.VoteMarkForm(request.POST),
        slot="vote_mark_form",
        run=lambda d: services.vote_mark(
            actor=request.user, topic_id=topic_id, reason=d["reason"]
        ),
        done=_("已标记为需要法定会议表决。"),
    )


@login_required
@require_POST
def vote(request, topic_id: int):
    topic = _topic(request.user, topic_id)

    def run(d):
        result = services.vote_record(actor=request.user, topic_id=topic_id, **d)
        if not result.passed:
            messages.warning(request, _("表决未通过，可重新组织表决。"))

    return _act(
        request,
        topic_id,
        page=_adopt_page,
        form=forms.VoteForm(request.POST, topic=topic),
        slot="vote_form",
        run=run,
        done=_("表决结果已登记。"),
        anchor="#vote",
    )


@login_required
@require_POST
def task_create(request, topic_id: int):
    topic = _topic(request.user, topic_id)
    return _act(
        request,
        topic_id,
        page=_implement_page,
        form=forms.TaskForm(request.POST, topic=topic),
        slot="task_form",
        run=lambda d: services.task_create(
            actor=request.user,
            topic_id=topic_id,
            description=d["description"],
            responsible_id=d["responsible"].pk,
            deadline=d["deadline"],
        ),
        done=_("落实任务已创建。"),
        anchor="#tasks",
    )


def _task_topic_id(request, task_id: int) -> int:
    topic_id = (
        Task.objects.filter(pk=task_id).values_list("topic_id", flat=True).first()
    )
    if topic_id is None:
        raise Http404
    return topic_id


def _own_progress(request, task):
    """A responsible person's report, from and back to their own page."""
    form = forms.ProgressForm(request.POST, request.FILES)
    if not form.is_valid():
        return _my_tasks_page(
            request, status=400, errors=form_errors(form), failed_task=task.pk
        )
    d = form.cleaned_data
    try:
        services.progress_report(
            actor=request.user,
            task_id=task.pk,
            percent=d["percent"],
            reported_on=d["reported_on"],
            note=d["note"],
            files=d["files"],
        )
    except ValidationError as invalid:
        return _my_tasks_page(
            request, status=400, errors=invalid.messages, failed_task=task.pk
        )
    except Conflict as conflict:
        return _my_tasks_page(
            request, status=409, errors=[conflict.message], failed_task=task.pk
        )
    messages.success(request, _("落实进展已登记。"))
    return redirect(reverse("feedback:my_tasks") + f"#task-{task.pk}")


@login_required
@require_POST
def progress(request, task_id: int):
    topic_id = _task_topic_id(request, task_id)
    if topic_selectors.topic_detail(request.user, topic_id) is None:
        task = selectors.own_task(request.user, task_id)
        if task is None:
            raise Http404
        return _own_progress(request, task)
    return _act(
        request,
        topic_id,
        page=_implement_page,
        form=forms.ProgressForm(request.POST, request.FILES),
        run=lambda d: services.progress_report(
            actor=request.user,
            task_id=task_id,
            percent=d["percent"],
            reported_on=d["reported_on"],
            note=d["note"],
            files=d["files"],
        ),
        done=_("落实进展已登记。"),
        anchor="#tasks",
    )


@login_required
@require_POST
def task_close(request, task_id: int):
    topic_id = _task_topic_id(request, task_id)
    return _act(
        request,
        topic_id,
        page=_implement_page,
        form=forms.ReasonForm(request.POST),
        run=lambda d: services.task_close(
            actor=request.user, task_id=task_id, reason=d["reason"]
        ),
        done=_("任务已终止。"),
        anchor="#tasks",
    )


@login_required
@require_POST
def supervise(request, task_id: int):
    topic_id = _task_topic_id(request, task_id)
    return _act(
        request,
        topic_id,
        page=_implement_page,
        form=forms.SupervisionForm(request.POST),
        run=lambda d: services.supervision_note_add(
            actor=request.user, task_id=task_id, note=d["note"]
        ),
        done=_("督办意见已登记。"),
        anchor="#tasks",
    )


@login_required
@require_POST
def public_notice_create(request, topic_id: int):
    topic = _topic(request.user, topic_id)
    return _act(
        request,
        topic_id,
        page=_implement_page,
        form=forms.NoticeForm(request.POST, request.FILES, topic=topic),
        slot="notice_form",
        run=lambda d: services.public_notice_create(
            actor=request.user,
            topic_id=topic_id,
            subject=d["subject"],
            title=d["title"],
            body=d["body"],
            place_ids=[p.pk for p in d["places"]],
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            posted_at=d["posted_at"],
            files=d["files"],
        ),
        done=_("公示已保存。"),
        anchor="#notices",
    )


def _notice_topic_id(notice_id: int) -> int:
    from .models import PublicNotice

    topic_id = (
        PublicNotice.objects.filter(pk=notice_id)
        .values_list("topic_id", flat=True)
        .first()
    )
    if topic_id is None:
        raise Http404
    return topic_id


@login_required
@require_POST
def public_notice_withdraw(request, notice_id: int):
    return _act(
        request,
        _notice_topic_id(notice_id),
        page=_implement_page,
        form=forms.ReasonForm(request.POST),
        run=lambda d: services.public_notice_withdraw(
            actor=request.user, notice_id=notice_id, reason=d["reason"]
        ),
        done=_("公示已撤回。"),
        anchor="#notices",
    )


@login_required
@require_POST
def public_notice_cover_progress(request, notice_id: int):
    return _act(
        request,
        _notice_topic_id(notice_id),
        page=_implement_page,
        run=lambda d: services.public_notice_cover_progress(
            actor=request.user, notice_id=notice_id
        ),
        done=_("已标记：该公示同时公示实施进展。"),
        anchor="#notices",
    )


@login_required
@require_POST
def public_notice_photo_add(request, notice_id: int):
    return _act(
        request,
        _notice_topic_id(notice_id),
        page=_implement_page,
        form=forms.PhotoForm(request.POST, request.FILES),
        run=lambda d: services.public_notice_photo_add(
            actor=request.user, notice_id=notice_id, upload=d["file"]
        ),
        done=_("张贴照片已上传。"),
        anchor="#notices",
    )


@login_required
@require_POST
def response_answer(request, response_id: int):
    from .models import NoticeResponse

    topic_id = (
        NoticeResponse.objects.filter(pk=response_id)
        .values_list("notice__topic_id", flat=True)
        .first()
    )
    if topic_id is None:
        raise Http404
    return _act(
        request,
        topic_id,
        page=_implement_page,
        form=forms.AnswerForm(request.POST),
        run=lambda d: services.response_answer(
            actor=request.user, response_id=response_id, answer=d["answer"]
        ),
        done=_("答复已保存。"),
        anchor="#notices",
    )


@login_required
@require_POST
def response_spam(request, response_id: int):
    from .models import NoticeResponse

    topic_id = (
        NoticeResponse.objects.filter(pk=response_id)
        .values_list("notice__topic_id", flat=True)
        .first()
    )
    if topic_id is None:
        raise Http404
    return _act(
        request,
        topic_id,
        page=_implement_page,
        form=forms.ReasonForm(request.POST),
        run=lambda d: services.response_mark_spam(
            actor=request.user, response_id=response_id, reason=d["reason"]
        ),
        done=_("该意见已认定为无效，保留在记录中。"),
        anchor="#notices",
    )


@login_required
@require_POST
def bulletin(request, topic_id: int):
    def run(d):
        count = services.bulletin_send(actor=request.user, topic_id=topic_id)
        messages.info(request, _("本次通报 %(n)d 人。") % {"n": count})

    return _act(
        request,
        topic_id,
        page=_implement_page,
        run=run,
        done=_("通报已发送。"),
        anchor="#bulletin",
    )


@login_required
@require_POST
def note(request, topic_id: int):
    return _act(
        request,
        topic_id,
        page=_implement_page,
        form=forms.NoteForm(request.POST),
        slot="note_form",
        run=lambda d: services.topic_note_append(
            actor=request.user, topic_id=topic_id, text=d["text"]
        ),
        done=_("说明已追加。"),
        anchor="#notes",
    )


def _file_response(attachment) -> FileResponse:
    return file_response(
        attachment.file, name=attachment.name, content_type=attachment.content_type
    )


@login_required
def attachment_download(request, attachment_id: int):
    """Who may see the topic, or the responsible person their task's files;
    always as an attachment."""
    attachment = selectors.attachment(attachment_id)
    if attachment is None or not (
        perm.can_view(request.user, attachment.topic)
        or selectors.is_own_attachment(request.user, attachment)
    ):
        raise Http404
    return _file_response(attachment)


# -- public pages (no account needed) ---------------------------------------------


def _public_or_404(public_id):
    notice = selectors.public_notice(public_id)
    if notice is None:
        raise Http404
    return notice
