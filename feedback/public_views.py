"""The public 公示 pages: no account needed to read; responses from the right people."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import Conflict
from core.ratelimit import rate_limited
from core.refusals import form_errors

from . import forms, rules, selectors, services
from . import permissions as perm
from .models import AttachmentPurpose
from .views import _file_response, _public_or_404


def _public_url(request, notice) -> str:
    path = reverse("public_notice", kwargs={"public_id": notice.public_id})
    base = settings.XST_SITE_URL.rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def public_list(request):
    """Current and past 公示; ``?place=<id>`` for one village's notice board."""
    place = request.GET.get("place", "")
    notices = selectors.public_notices(place_id=int(place) if place.isdigit() else None)
    return render(
        request, "feedback/public_list.html", {"notices": list(notices[:100])}
    )


def public_topic_notices(request, topic_id: int):
    notices = list(selectors.public_notices().filter(topic_id=topic_id))
    return render(request, "feedback/public_list.html", {"notices": notices})


def public_notice(request, public_id, *, status=200, errors=(), form=None):
    notice = _public_or_404(public_id)
    open_now = rules.public_notice_open(notice, timezone.now())
    return render(
        request,
        "feedback/public_notice.html",
        {
            "notice": notice,
            "open_now": open_now,
            "form": form or forms.ResponseForm(),
            "errors": list(errors),
            "documents": [
                a
                for a in notice.attachments.all()
                if a.purpose == AttachmentPurpose.NOTICE
            ],
            "photos": [
                a
                for a in notice.attachments.all()
                if a.purpose == AttachmentPurpose.POSTED_PHOTO
            ],
            "answered": [r for r in notice.responses.all() if r.answered_at],
            "can_respond": perm.can_respond(request.user, notice),
            "not_in_scope": perm.NOT_IN_SCOPE,
        },
        status=status,
    )


def public_notice_print(request, public_id):
    import segno

    notice = _public_or_404(public_id)
    url = _public_url(request, notice)
    qr = segno.make(url, error="m")
    # The sheet goes on a Chinese notice board whoever prints it.
    with translation.override(settings.LANGUAGE_CODE):
        return render(
            request,
            "feedback/public_print.html",
            {"notice": notice, "url": url, "qr": qr.svg_data_uri(scale=4, border=2)},
        )


def public_notice_file(request, public_id, attachment_id: int):
    notice = _public_or_404(public_id)
    attachment = next(
        (a for a in notice.attachments.all() if a.pk == attachment_id), None
    )
    if attachment is None:
        raise Http404
    return _file_response(attachment)


@login_required
@require_POST
@rate_limited("respond")
def public_notice_respond(request, public_id):
    form = forms.ResponseForm(request.POST)
    if not form.is_valid():
        return public_notice(
            request, public_id, status=400, errors=form_errors(form), form=form
        )
    try:
        services.response_submit(
            actor=request.user,
            public_id=public_id,
            kind=form.cleaned_data["kind"],
            content=form.cleaned_data["content"],
        )
    except ValidationError as invalid:
        return public_notice(
            request, public_id, status=400, errors=invalid.messages, form=form
        )
    except Conflict as conflict:
        return public_notice(
            request, public_id, status=409, errors=[conflict.message], form=form
        )
    except PermissionDenied as refused:
        return public_notice(
            request, public_id, status=403, errors=refused.args, form=form
        )
    messages.success(request, _("您的意见已提交，工作人员会在公示页面答复。"))
    return redirect("public_notice", public_id=public_id)
