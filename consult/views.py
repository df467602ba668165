"""Pages of steps 2 and 3. Thin: parse, call a service, show what selectors read.

A refused or invalid action renders the page it was sent from again, with the
user's input in the form and the service's message at its field (status 400,
or 403/409 with the message at the top: ``core.refusals``); nothing is
half-saved because each service is one transaction. Success redirects.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.ratelimit import rate_limited
from core.refusals import answer
from core.uploads import file_response
from notifications.forms import ReceiptForm
from notifications.models import Channel, Delivery
from notifications.services import receipt_record
from topics import evidence
from topics.models import Topic
from topics.states import Step

from . import permissions as perm
from . import rules, selectors, services
from .forms import (
    GapForm,
    MaterialForm,
    PersonForm,
    PreOpinionForm,
    SessionForm,
)
from .models import MaterialVersion, Session, SignInPhoto


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


def _post_int(request, name: str) -> int | None:
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        return None


def topic_action(view):
    """A POST action on a topic: login, the topic visible."""

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


def _prepare_page(request, topic, *, status=200, errors=(), forms_in=None):
    context = selectors.prepare_page(topic)
    clerk = perm.can_run(request.user, topic)
    participants = context["participants"]
    writes = rules.writable(topic)
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
            "session_form": SessionForm(topic=topic, participants=participants),
            "person_form": PersonForm(),
            "material_form": MaterialForm(),
            "opinion_form": PreOpinionForm(
                participants=participants if clerk else None
            ),
            "gap_form": GapForm(
                initial={"reason": getattr(context["plan"], "gap_reason", "")}
            ),
            "writes": writes,
            "in_step": writes["participants"],
            "min_days": settings.XST_NOTICE_MIN_DAYS,
            "categories_choices": selectors.MemberCategory.choices,
            "now": timezone.now(),
            "errors": list(errors),
            **(forms_in or {}),
        }
    )
    return render(request, "consult/prepare.html", context, status=status)


@login_required
def prepare(request, topic_id: int):
    return _prepare_page(request, _topic(request.user, topic_id))


def _on_prepare(
    request,
    topic,
    *,
    run: Callable[[dict], object],
    done: str,
    form=None,
    slot: str = "",
    forms_in: dict | None = None,
    anchor: str = "",
):
    """Run a step-2 service; refused, the prepare page again with ``form`` in
    its ``slot`` (the input kept, the messages at its fields)."""
    bound = {slot: form} if slot else {}
    return answer(
        request,
        form=form,
        page=lambda status, errors: _prepare_page(
            request,
            topic,
            status=status,
            errors=errors,
            forms_in={**bound, **(forms_in or {})},
        ),
        run=run,
        done=done,
        to=reverse("consult:prepare", kwargs={"topic_id": topic.pk}) + anchor,
    )


@topic_action
def session_add(request, topic):
    participants = list(selectors.topic_participants([topic.pk]))
    return _on_prepare(
        request,
        topic,
        form=SessionForm(request.POST, topic=topic, participants=participants),
        slot="session_form",
        run=lambda d: services.session_plan(
            actor=request.user,
            topic_id=topic.pk,
            form=d["form"],
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            location=d["location"],
            agenda=d["agenda"],
            host=d["host"],
            interviewee_id=d["interviewee"],
        ),
        done=_("协商活动已安排。"),
        anchor="#plan",
    )


@session_action
def session_edit(request, session):
    form = SessionForm(request.POST, topic=session.topic)
    return _on_prepare(
        request,
        session.topic,
        form=form,
        slot="edit_form",
        forms_in={"edit_session": session.pk},
        run=lambda d: services.session_reschedule(
            actor=request.user,
            session_id=session.pk,
            form=d["form"],
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            location=d["location"],
            agenda=d["agenda"],
            host=d["host"],
        ),
        done=_("协商活动已调整；如已发过通知，已重新通知全部参与对象。"),
        anchor="#plan",
    )


@topic_action
def roster_add(request, topic):
    return _on_prepare(
        request,
        topic,
        run=lambda d: services.participants_from_roster(
            actor=request.user,
            topic_id=topic.pk,
            platform_id=_post_int(request, "platform") or 0,
            categories=request.POST.getlist("category") or None,
        ),
        done=_("已从平台名册加入参与对象。"),
        anchor="#participants",
    )


@topic_action
def person_add(request, topic):
    return _on_prepare(
        request,
        topic,
        form=PersonForm(request.POST),
        slot="person_form",
        run=lambda d: services.participant_add_person(
            actor=request.user, topic_id=topic.pk, **d
        ),
        done=_("已加入参与对象。"),
        anchor="#participants",
    )


@topic_action
def participant_remove(request, topic):
    return _on_prepare(
        request,
        topic,
        run=lambda d: services.participant_remove(
            actor=request.user,
            topic_id=topic.pk,
            participant_id=_post_int(request, "participant") or 0,
        ),
        done=_("已移出名单。"),
        anchor="#participants",
    )


@topic_action
def gap_explain(request, topic):
    return _on_prepare(
        request,
        topic,
        form=GapForm(request.POST),
        slot="gap_form",
        run=lambda d: services.participants_gap_explain(
            actor=request.user, topic_id=topic.pk, reason=d["reason"]
        ),
        done=_("缺项说明已记录。"),
        anchor="#participants",
    )


@topic_action
def meeting_notice_send(request, topic):
    return _on_prepare(
        request,
        topic,
        run=lambda d: services.meeting_notice_send(
            actor=request.user, topic_id=topic.pk
        ),
        done=_("参会通知已发送。"),
        anchor="#notices",
    )


@topic_action
def meeting_notice_receipt(request, topic):
    """A paper receipt typed on the step-2 page: the same service and form as
    the topic's delivery page (``notifications:receipt``)."""
    delivery_id = _post_int(request, "delivery")
    if not Delivery.objects.filter(
        pk=delivery_id,
        channel=Channel.PAPER,
        notification__about_type=ContentType.objects.get_for_model(Topic),
        notification__about_id=topic.pk,
    ).exists():
        raise Http404
    form = ReceiptForm(request.POST)
    return _on_prepare(
        request,
        topic,
        form=form,
        slot="receipt_form",
        forms_in={"receipt_delivery": delivery_id},
        run=lambda d: receipt_record(
            actor=request.user,
            delivery_id=delivery_id,
            signed_by=d["signed_by"],
            signed_at=form.signed_at(),
        ),
        done=_("纸质通知签收已登记。"),
        anchor="#notices",
    )


@topic_action
def material_upload(request, topic):
    return _on_prepare(
        request,
        topic,
        form=MaterialForm(request.POST, request.FILES),
        # A new version of a listed material is its row's own small form.
        slot="" if request.POST.get("material") else "material_form",
        run=lambda d: services.material_upload(
            actor=request.user,
            topic_id=topic.pk,
            upload=d["file"],
            title=d["title"],
            is_public=d["is_public"],
            material_id=_post_int(request, "material"),
        ),
        done=_("资料已上传。"),
        anchor="#materials",
    )


@topic_action
def material_send(request, topic):
    return _on_prepare(
        request,
        topic,
        run=lambda d: services.material_send(actor=request.user, topic_id=topic.pk),
        done=_("资料已发送给参与对象。"),
        anchor="#materials",
    )


@topic_action
@rate_limited("answer", exempt=lambda request, topic: perm.can_run(request.user, topic))
def pre_opinion(request, topic):
    clerk = perm.can_run(request.user, topic)
    participants = list(selectors.topic_participants([topic.pk])) if clerk else None
    return _on_prepare(
        request,
        topic,
        form=PreOpinionForm(request.POST, participants=participants),
        slot="opinion_form",
        run=lambda d: services.opinion_pre_collect(
            actor=request.user,
            topic_id=topic.pk,
            content=d["content"],
            kind=d["kind"],
            participant_id=d.get("participant"),
        ),
        done=_("会前意见已记录。"),
        anchor="#pre-opinions",
    )


def _download(record) -> FileResponse:
    return file_response(
        record.file, name=record.name, content_type=record.content_type
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
def mine(request):
    return render(
        request,
        "consult/mine.html",
        {"rows": selectors.participant_dashboard(request.user), "now": timezone.now()},
    )
