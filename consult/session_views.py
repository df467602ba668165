"""The session pages of steps 2 and 3: attendance, minutes, opinions, photos,
written and online consultation. Reads through selectors, writes through services."""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.ratelimit import rate_limited
from core.refusals import answer
from topics import evidence
from topics.states import Step

from . import permissions as perm
from . import rules, selectors, services
from .forms import (
    CommentForm,
    RecordForm,
    SessionOpinionForm,
    WrittenAnswerForm,
)
from .models import AttendanceStatus
from .views import _post_int, _session, _topic, session_action


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


def _session_forms(session, *, clerk: bool, data=None) -> dict:
    """The session page's forms, unbound or bound to a refused POST."""
    topic = session.topic
    correcting = rules.correctable(topic, "session")
    participants = list(selectors.topic_participants([topic.pk])) if clerk else None
    return {
        "record_form": RecordForm(data, correcting=correcting),
        "opinion_form": SessionOpinionForm(
            data,
            participants=participants,
            extra=("correction",) if correcting else (),
        ),
        "own_answer_form": WrittenAnswerForm(data),
        "paper_answer_form": WrittenAnswerForm(
            data, participants=participants, extra=("late_reason",)
        ),
        "comment_form": CommentForm(data),
    }


def _session_page(request, session, *, status=200, errors=(), forms_in=None):
    topic = session.topic
    clerk = perm.can_run(request.user, topic)
    own = perm.participant_of(request.user, topic)
    context = selectors.session_page(session, moderator=clerk, own=own)
    now = timezone.now()
    forms = _session_forms(session, clerk=clerk)
    # The minutes as they stand now, corrections applied.
    forms["record_form"].initial = context["record"]
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
            "is_open": rules.online_open(session, now),
            "in_step": rules.writable(topic)["session"],
            "answerable": topic.step == Step.CONSULT
            and not session.closed_at
            and session.starts_at <= now <= session.ends_at,
            # Records of a step the topic has left: a clerk may still correct
            # them with a reason (the archived topic is sealed).
            "correctable": rules.correctable(topic, "session"),
            "statuses": AttendanceStatus.choices,
            "now": now,
            "errors": list(errors),
            **forms,
            **(forms_in or {}),
        }
    )
    return render(request, "consult/session.html", context, status=status)


@login_required
def session_detail(request, session_id: int):
    return _session_page(request, _session(request.user, session_id))


def _on_session(
    request,
    session,
    *,
    run: Callable[[dict], object],
    done: str,
    slot: str = "",
    anchor: str = "",
):
    """Run a step-3 service; refused, the session page again with the form of
    ``slot`` bound to what was posted."""
    form = None
    if slot:
        clerk = perm.can_run(request.user, session.topic)
        form = _session_forms(session, clerk=clerk, data=request.POST)[slot]
    return answer(
        request,
        form=form,
        page=lambda status, errors: _session_page(
            request,
            session,
            status=status,
            errors=errors,
            forms_in={slot: form} if slot else None,
        ),
        run=run,
        done=done,
        to=reverse("consult:session", kwargs={"session_id": session.pk}) + anchor,
    )


@session_action
def attendance(request, session):
    return _on_session(
        request,
        session,
        run=lambda d: services.attendance_mark(
            actor=request.user,
            session_id=session.pk,
            participant_id=_post_int(request, "participant") or 0,
            status=request.POST.get("status", ""),
            represented_by=request.POST.get("represented_by", ""),
            correction=request.POST.get("correction", ""),
        ),
        done=_("签到已登记。"),
        anchor="#attendance",
    )


@session_action
def session_record(request, session):
    return _on_session(
        request,
        session,
        slot="record_form",
        run=lambda d: services.session_record(
            actor=request.user,
            session_id=session.pk,
            minutes=d["minutes"],
            consensus=d["consensus"],
            disputed=d["disputed"],
            no_consensus=d.get("no_consensus", False),
            correction=d.get("correction", ""),
        ),
        done=_("会议记录已保存。"),
        anchor="#session-record",
    )


@session_action
def opinion_add(request, session):
    return _on_session(
        request,
        session,
        slot="opinion_form",
        run=lambda d: services.opinion_record(
            actor=request.user,
            session_id=session.pk,
            content=d["content"],
            kind=d["kind"],
            participant_id=d.get("participant"),
            author_name=d["author_name"],
            correction=d.get("correction", ""),
        ),
        done=_("意见已记录。"),
        anchor="#opinions",
    )


@session_action
def photo_add(request, session):
    return _on_session(
        request,
        session,
        run=lambda d: services.photo_upload(
            actor=request.user, session_id=session.pk, upload=request.FILES.get("file")
        ),
        done=_("签到表照片已上传。"),
        anchor="#attendance",
    )


@session_action
def written_send(request, session):
    return _on_session(
        request,
        session,
        run=lambda d: services.written_request_send(
            actor=request.user, session_id=session.pk
        ),
        done=_("书面征询已发送。"),
        anchor="#written",
    )


def _staff_session(request, session) -> bool:
    return perm.can_run(request.user, session.topic)


@session_action
@rate_limited("answer", exempt=_staff_session)
def written_answer(request, session):
    # The clerk's paper answer names the participant; a participant's own does not.
    paper = "participant" in request.POST
    return _on_session(
        request,
        session,
        slot="paper_answer_form" if paper else "own_answer_form",
        run=lambda d: services.written_answer(
            actor=request.user,
            session_id=session.pk,
            content=d["content"],
            kind=d["kind"],
            participant_id=d.get("participant"),
            late_reason=d.get("late_reason", ""),
        ),
        done=_("答复已保存。"),
        anchor="#written",
    )


@session_action
def session_close(request, session):
    return _on_session(
        request,
        session,
        run=lambda d: services.session_close(actor=request.user, session_id=session.pk),
        done=_("征询已结束，意见已汇集。"),
    )


@session_action
@rate_limited("comment")
def comment(request, session):
    return _on_session(
        request,
        session,
        slot="comment_form",
        run=lambda d: services.online_comment(
            actor=request.user, session_id=session.pk, content=d["content"]
        ),
        done=_("发言已提交。"),
        anchor="#online",
    )


@session_action
def opinion_hide(request, session):
    return _on_session(
        request,
        session,
        run=lambda d: services.opinion_hide(
            actor=request.user,
            session_id=session.pk,
            opinion_id=_post_int(request, "opinion") or 0,
            reason=request.POST.get("reason", ""),
        ),
        done=_("发言已屏蔽（保留在记录中）。"),
        anchor="#opinions",
    )


# -- participants' own page
