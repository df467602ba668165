"""Pages of steps 2 and 3. Thin: parse, call a service, show what selectors read.

A refused or invalid action comes back to the page it was sent from with the
service's message; nothing is half-saved because each service is one
transaction.
"""

from datetime import date, datetime, time, timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import Conflict
from core.ratelimit import rate_limited
from core.uploads import file_response
from topics import evidence
from topics.models import Topic
from topics.states import Step

from . import permissions as perm
from . import selectors, services
from .forms import MaterialForm, OpinionForm, PersonForm, SessionForm
from .models import AttendanceStatus, MaterialVersion, Session, SignInPhoto


def _topic(user, topic_id: int) -> Topic:
    topic = Topic.objects.select_related("place", "body").filter(pk=topic_id).first()
    if topic is None or not perm.can_view(user, topic):
        raise Http404
    return topic


def _session(user, session_id: int) -> Session:
    session = (
        Session.objects.select_related("topic__place", "topic__body")
        .filter(pk=session_id)
        .first()
    )
    if session is None or not perm.can_see_session(user, session):
        raise Http404
    return session


def _acted(request, back: str, call, done: str):
    """Run a service; show its refusal on the page it came from."""
    try:
        call()
    except ValidationError as invalid:
        for message in invalid.messages:
            messages.error(request, message)
    except Conflict as conflict:
        messages.error(request, conflict.message)
    else:
        messages.success(request, done)
    return redirect(back)


def _post_int(request, name: str) -> int | None:
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        return None


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}：{error}" if label else error)


def topic_action(view):
    """A POST action on a topic: login, the topic visible, back to ``back``."""

    @login_required
    @require_POST
    @wraps(view)
    def wrapper(request, topic_id: int):
        topic = _topic(request.user, topic_id)
        return view(request, topic)

    return wrapper


def session_action(view):
    @login_required
    @require_POST
    @wraps(view)
    def wrapper(request, session_id: int):
        session = _session(request.user, session_id)
        return view(request, session)

    return wrapper


# -- step 2


@login_required
def prepare(request, topic_id: int):
    topic = _topic(request.user, topic_id)
    context = selectors.prepare_page(topic)
    clerk = perm.can_run(request.user, topic)
    own = perm.participant_of(request.user, topic)
    if not perm.can_see_internal(request.user, topic):
        # A participant sees their own notice, not how the others were reached.
        context["notice_rows"] = [
            row
            for row in context["notice_rows"]
            if own is not None and row.participant.pk == own.pk
        ]
    context.update(
        {
            "topic": topic,
            "clerk": clerk,
            "own": own,
            "missing": evidence.missing(topic, Step.PREPARE),
            "session_form": SessionForm(
                topic=topic, participants=context["participants"]
            ),
            "person_form": PersonForm(),
            "material_form": MaterialForm(),
            "opinion_form": OpinionForm(),
            "in_step": topic.step == Step.PREPARE,
            "min_days": settings.XST_NOTICE_MIN_DAYS,
            "categories_choices": selectors.MemberCategory.choices,
            "now": timezone.now(),
        }
    )
    return render(request, "consult/prepare.html", context)


def _back(topic) -> str:
    return reverse("consult:prepare", kwargs={"topic_id": topic.pk})


@topic_action
def session_add(request, topic):
    participants = list(selectors.topic_participants([topic.pk]))
    form = SessionForm(request.POST, topic=topic, participants=participants)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_back(topic))
    return _acted(
        request,
        _back(topic),
        lambda: services.session_plan(
            actor=request.user,
            topic_id=topic.pk,
            form=form.cleaned_data["form"],
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            location=form.cleaned_data["location"],
            agenda=form.cleaned_data["agenda"],
            host=form.cleaned_data["host"],
            interviewee_id=form.cleaned_data["interviewee"],
        ),
        _("协商活动已安排。"),
    )


@session_action
def session_edit(request, session):
    form = SessionForm(request.POST, topic=session.topic)
    back = _back(session.topic)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    return _acted(
        request,
        back,
        lambda: services.session_reschedule(
            actor=request.user,
            session_id=session.pk,
            form=form.cleaned_data["form"],
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            location=form.cleaned_data["location"],
            agenda=form.cleaned_data["agenda"],
            host=form.cleaned_data["host"],
        ),
        _("协商活动已调整；如已发过通知，已重新通知全部参与对象。"),
    )


@topic_action
def roster_add(request, topic):
    return _acted(
        request,
        _back(topic),
        lambda: services.participants_from_roster(
            actor=request.user,
            topic_id=topic.pk,
            platform_id=_post_int(request, "platform") or 0,
            categories=request.POST.getlist("category") or None,
        ),
        _("已从平台名册加入参与对象。"),
    )


@topic_action
def person_add(request, topic):
    form = PersonForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_back(topic))
    return _acted(
        request,
        _back(topic),
        lambda: services.participant_add_person(
            actor=request.user, topic_id=topic.pk, **form.cleaned_data
        ),
        _("已加入参与对象。"),
    )


@topic_action
def participant_remove(request, topic):
    return _acted(
        request,
        _back(topic),
        lambda: services.participant_remove(
            actor=request.user,
            topic_id=topic.pk,
            participant_id=_post_int(request, "participant") or 0,
        ),
        _("已移出名单。"),
    )


@topic_action
def gap_explain(request, topic):
    return _acted(
        request,
        _back(topic),
        lambda: services.participants_gap_explain(
            actor=request.user, topic_id=topic.pk, reason=request.POST.get("reason")
        ),
        _("缺项说明已记录。"),
    )


@topic_action
def meeting_notice_send(request, topic):
    return _acted(
        request,
        _back(topic),
        lambda: services.meeting_notice_send(actor=request.user, topic_id=topic.pk),
        _("参会通知已发送。"),
    )


def _signed_at(value: str):
    """The day written on a paper receipt, as noon of that day (today: now)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    if day >= timezone.localdate():
        return None if day == timezone.localdate() else timezone.now() + timedelta(1)
    return timezone.make_aware(datetime.combine(day, time(12)))


@topic_action
def meeting_notice_receipt(request, topic):
    return _acted(
        request,
        _back(topic),
        lambda: services.meeting_notice_receipt(
            actor=request.user,
            topic_id=topic.pk,
            delivery_id=_post_int(request, "delivery") or 0,
            signed_by=request.POST.get("signed_by", ""),
            signed_at=_signed_at(request.POST.get("signed_on", "")),
        ),
        _("纸质通知签收已登记。"),
    )


@topic_action
def material_upload(request, topic):
    form = MaterialForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_back(topic))
    return _acted(
        request,
        _back(topic),
        lambda: services.material_upload(
            actor=request.user,
            topic_id=topic.pk,
            upload=form.cleaned_data["file"],
            title=form.cleaned_data["title"],
            is_public=form.cleaned_data["is_public"],
            material_id=_post_int(request, "material"),
        ),
        _("资料已上传。"),
    )


@topic_action
def material_send(request, topic):
    return _acted(
        request,
        _back(topic),
        lambda: services.material_send(actor=request.user, topic_id=topic.pk),
        _("资料已发送给参与对象。"),
    )


@topic_action
@rate_limited("answer", exempt=lambda request, topic: perm.can_run(request.user, topic))
def pre_opinion(request, topic):
    return _acted(
        request,
        _back(topic),
        lambda: services.opinion_pre_collect(
            actor=request.user,
            topic_id=topic.pk,
            content=request.POST.get("content", ""),
            kind=request.POST.get("kind", ""),
            participant_id=_post_int(request, "participant"),
        ),
        _("会前意见已记录。"),
    )


def _download(record) -> FileResponse:
    return file_response(
        record.file, name=record.original_name, content_type=record.content_type
    )


def material_download(request, version_id: int):
    version = (
        MaterialVersion.objects.select_related("material__topic__place")
        .filter(pk=version_id)
        .first()
    )
    if version is None or not perm.can_download(request.user, version.material):
        # Anonymous visitors are asked to log in (whether or not the material
        # exists); a logged-in user who may not see it is told nothing.
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise Http404
    return _download(version)


@login_required
def photo_download(request, photo_id: int):
    photo = (
        SignInPhoto.objects.select_related("topic__place").filter(pk=photo_id).first()
    )
    if photo is None or not perm.can_see_internal(request.user, photo.topic):
        raise Http404
    return _download(photo)


# -- step 3


@login_required
def sessions(request, topic_id: int):
    topic = _topic(request.user, topic_id)
    return render(
        request,
        "consult/sessions.html",
        {
            "topic": topic,
            "sessions": selectors.topic_sessions([topic.pk]),
            "clerk": perm.can_run(request.user, topic),
            "missing": evidence.missing(topic, Step.CONSULT),
            "opinion_count": selectors.topic_opinions([topic.pk]).count(),
        },
    )


@login_required
def session_detail(request, session_id: int):
    session = _session(request.user, session_id)
    topic = session.topic
    clerk = perm.can_run(request.user, topic)
    own = perm.participant_of(request.user, topic)
    context = selectors.session_page(session, moderator=clerk, own=own)
    now = timezone.now()
    context.update(
        {
            "session": session,
            "topic": topic,
            "clerk": clerk,
            "own": own,
            "own_answer": next(
                (r.answer for r in context["rows"] if own and r.participant == own),
                None,
            ),
            "can_view_topic": perm.can_view(request.user, topic),
            "staff": perm.can_see_internal(request.user, topic),
            "can_comment": perm.can_comment(request.user, session),
            "is_open": not session.closed_at
            and session.starts_at <= now <= session.ends_at,
            "in_step": topic.step == Step.CONSULT,
            "answerable": topic.step == Step.CONSULT
            and not session.closed_at
            and session.starts_at <= now <= session.ends_at,
            # Records of a step the topic has left: a clerk may still correct
            # them with a reason (the archived topic is sealed).
            "correctable": bool(topic.step and topic.step > Step.CONSULT),
            "statuses": AttendanceStatus.choices,
            "opinion_form": OpinionForm(),
            "now": now,
        }
    )
    return render(request, "consult/session.html", context)


def _session_back(session) -> str:
    return reverse("consult:session", kwargs={"session_id": session.pk})


@session_action
def attendance(request, session):
    return _acted(
        request,
        _session_back(session),
        lambda: services.attendance_mark(
            actor=request.user,
            session_id=session.pk,
            participant_id=_post_int(request, "participant") or 0,
            status=request.POST.get("status", ""),
            represented_by=request.POST.get("represented_by", ""),
            correction=request.POST.get("correction", ""),
        ),
        _("签到已登记。"),
    )


@session_action
def session_record(request, session):
    return _acted(
        request,
        _session_back(session),
        lambda: services.session_record(
            actor=request.user,
            session_id=session.pk,
            minutes=request.POST.get("minutes", ""),
            consensus=request.POST.get("consensus", ""),
            disputed=request.POST.get("disputed", ""),
            correction=request.POST.get("correction", ""),
        ),
        _("会议记录已保存。"),
    )


@session_action
def opinion_add(request, session):
    return _acted(
        request,
        _session_back(session),
        lambda: services.opinion_record(
            actor=request.user,
            session_id=session.pk,
            content=request.POST.get("content", ""),
            kind=request.POST.get("kind", ""),
            participant_id=_post_int(request, "participant"),
            author_name=request.POST.get("author_name", ""),
            correction=request.POST.get("correction", ""),
        ),
        _("意见已记录。"),
    )


@session_action
def photo_add(request, session):
    return _acted(
        request,
        _session_back(session),
        lambda: services.photo_upload(
            actor=request.user, session_id=session.pk, upload=request.FILES.get("file")
        ),
        _("签到表照片已上传。"),
    )


@session_action
def written_send(request, session):
    return _acted(
        request,
        _session_back(session),
        lambda: services.written_request_send(
            actor=request.user, session_id=session.pk
        ),
        _("书面征询已发送。"),
    )


def _staff_session(request, session) -> bool:
    return perm.can_run(request.user, session.topic)


@session_action
@rate_limited("answer", exempt=_staff_session)
def written_answer(request, session):
    return _acted(
        request,
        _session_back(session),
        lambda: services.written_answer(
            actor=request.user,
            session_id=session.pk,
            content=request.POST.get("content", ""),
            kind=request.POST.get("kind", ""),
            participant_id=_post_int(request, "participant"),
            late_reason=request.POST.get("late_reason", ""),
        ),
        _("答复已保存。"),
    )


@session_action
def session_close(request, session):
    return _acted(
        request,
        _session_back(session),
        lambda: services.session_close(actor=request.user, session_id=session.pk),
        _("征询已结束，意见已汇集。"),
    )


@session_action
@rate_limited("comment")
def comment(request, session):
    return _acted(
        request,
        _session_back(session),
        lambda: services.online_comment(
            actor=request.user,
            session_id=session.pk,
            content=request.POST.get("content", ""),
        ),
        _("发言已提交。"),
    )


@session_action
def opinion_hide(request, session):
    return _acted(
        request,
        _session_back(session),
        lambda: services.opinion_hide(
            actor=request.user,
            session_id=session.pk,
            opinion_id=_post_int(request, "opinion") or 0,
            reason=request.POST.get("reason", ""),
        ),
        _("发言已屏蔽（保留在记录中）。"),
    )


# -- participants' own page


@login_required
def mine(request):
    return render(
        request,
        "consult/mine.html",
        {"rows": selectors.participant_dashboard(request.user), "now": timezone.now()},
    )
