"""The inbox, notice preferences, and the clerk's view of a subject's deliveries."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import NotVisible
from core.refusals import answer

from . import services
from .forms import PreferenceForm, ReceiptForm
from .ics import notification_ics
from .models import (
    REQUIRED_KINDS,
    Channel,
    Delivery,
    DeliveryStatus,
    Kind,
    Notification,
    Preference,
)
from .permissions import may_manage_subject
from .selectors import inbox_deliveries, notifications_about
from .subjects import Subject, subject_by_label, subject_of

INBOX_PAGE_SIZE = 20


def _back_to_inbox(request):
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("notifications:inbox")
    return redirect(target)


@login_required
def inbox(request):
    deliveries = inbox_deliveries(request.user).order_by("-created_at", "-pk")
    page = Paginator(deliveries, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread": DeliveryStatus.SENT},
    )


@login_required
@require_POST
def mark_read(request, delivery_id: int):
    services.delivery_mark_read(user=request.user, delivery_id=delivery_id)
    return _back_to_inbox(request)


@login_required
@require_POST
def mark_all_read(request):
    services.inbox_mark_all_read(user=request.user)
    messages.success(request, _("全部消息已标为已读。"))
    return _back_to_inbox(request)


@login_required
def ics(request, delivery_id: int):
    delivery = get_object_or_404(
        inbox_deliveries(request.user),
        pk=delivery_id,
        notification__event_start__isnull=False,
    )
    response = HttpResponse(
        notification_ics(delivery.notification),
        content_type="text/calendar; charset=utf-8",
    )
    filename = f"notice-{delivery.notification_id}.ics"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    person = getattr(request.user, "person", None)
    preference = (
        Preference.objects.filter(person=person).first() if person else None
    ) or Preference()
    # Unticking every box posts no field at all: bind on the method, not the data.
    data = request.POST if request.method == "POST" else None
    form = PreferenceForm(data, initial=model_to_dict(preference))
    if request.method == "POST" and form.is_valid():
        services.preference_save(actor=request.user, **form.cleaned_data)
        messages.success(request, _("通知偏好已保存。"))
        return redirect("notifications:preferences")
    required_kinds = [kind.label for kind in Kind if kind in REQUIRED_KINDS]
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "required_kinds": required_kinds},
    )


# -- clerks: what happened to the notices about a record ------------------------


def _managed_subject(user, label: str, pk: int) -> tuple[Subject, object]:
    """The registered record, if the user may manage its notices; 404 otherwise."""
    subject = subject_by_label(label)
    record = subject.get(pk) if subject else None
    if record is None or not may_manage_subject(user, record):
        raise NotVisible
    return subject, record


def _managed_notification(user, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None or not may_manage_subject(user, notification.about):
        raise NotVisible
    return notification


def _deliveries_url(record) -> str:
    subject = subject_of(record)
    if subject is None:
        return reverse("notifications:inbox")
    return subject.deliveries_url(record)


def _deliveries_page(
    request,
    subject: Subject,
    record,
    *,
    status: int = 200,
    errors=(),
    receipt_form: ReceiptForm | None = None,
    receipt_delivery: int | None = None,
):
    notifications = list(notifications_about(record))
    failed = unknown = 0
    for notification in notifications:
        deliveries = notification.deliveries.all()
        failed += sum(1 for d in deliveries if d.status == DeliveryStatus.FAILED)
        unknown += sum(1 for d in deliveries if d.status == DeliveryStatus.UNKNOWN)
        notification.paper_count = sum(
            1 for d in deliveries if d.channel == Channel.PAPER
        )
    return render(
        request,
        "notifications/subject_deliveries.html",
        {
            "record": record,
            "record_url": subject.page_url(record),
            "notifications": notifications,
            "failed": failed,
            "unknown": unknown,
            "status": DeliveryStatus,
            "paper": Channel.PAPER,
            "errors": list(errors),
            "receipt_form": receipt_form,
            "receipt_delivery": receipt_delivery,
        },
        status=status,
    )


@login_required
def subject_deliveries(request, label: str, pk: int):
    """Who was notified about a record, when, on which channel, who has read it."""
    subject, record = _managed_subject(request.user, label, pk)
    return _deliveries_page(request, subject, record)


@login_required
def topic_deliveries(request, topic_id: int):
    """The delivery page of a topic, at the address the topic page links to."""
    return subject_deliveries(request, "topic", topic_id)


@login_required
def print_notice(request, notification_id: int):
    notification = _managed_notification(request.user, notification_id)
    deliveries = list(
        notification.deliveries.filter(channel=Channel.PAPER)
        .select_related("person")
        .order_by("person__name", "pk")
    )
    return render(
        request,
        "notifications/print.html",
        {
            "notification": notification,
            "deliveries": deliveries,
            "back_url": _deliveries_url(notification.about),
        },
    )


@login_required
@require_POST
def record_receipt(request, delivery_id: int):
    delivery = (
        Delivery.objects.select_related("notification")
        .filter(pk=delivery_id, channel=Channel.PAPER)
        .first()
    )
    about = delivery.notification.about if delivery else None
    subject = subject_of(about)
    # Receipts are typed on a subject's delivery page; a notice about nothing
    # has none (the service still takes a staff member's receipt for it).
    if subject is None or not may_manage_subject(request.user, about):
        raise Http404
    form = ReceiptForm(request.POST)
    return answer(
        request,
        form=form,
        page=lambda status, errors: _deliveries_page(
            request,
            subject,
            about,
            status=status,
            errors=errors,
            receipt_form=form,
            receipt_delivery=delivery.pk,
        ),
        run=lambda d: services.receipt_record(
            actor=request.user,
            delivery_id=delivery.pk,
            signed_by=d["signed_by"],
            signed_at=form.signed_at(),
        ),
        done=lambda d: _("回执已登记，签收人：%(name)s。") % {"name": d["signed_by"]},
        to=_deliveries_url(about),
    )
