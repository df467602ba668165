"""The inbox, notice preferences, and the clerk's view of a topic's deliveries."""

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from committees import roles
from committees.permissions import has_place_perm
from committees.services import person_for_user

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
from .selectors import inbox_deliveries, topic_notifications

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
    ) or Preference(person=person)
    # Unticking every box posts no field at all: bind on the method, not the data.
    data = request.POST if request.method == "POST" else None
    form = PreferenceForm(data, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.instance.person = person or person_for_user(request.user)
        form.save()
        messages.success(request, _("通知偏好已保存。"))
        return redirect("notifications:preferences")
    required_kinds = [kind.label for kind in Kind if kind in REQUIRED_KINDS]
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "required_kinds": required_kinds},
    )


# -- clerks: what happened to a topic's notices ---------------------------------


def _managed_topic(user, topic_id: int):
    """The topic, if the user runs topics at its place; 404 otherwise."""
    # Looked up by name: topics imports notifications, never the reverse
    # (ARCHITECTURE.md, dependency direction).
    topic_model = apps.get_model("topics", "Topic")
    topic = topic_model.objects.select_related("place").filter(pk=topic_id).first()
    if topic is None or not has_place_perm(user, roles.RUN, topic.place_id):
        raise Http404
    return topic


def _managed_notification(user, notification_id: int) -> Notification:
    notification = (
        Notification.objects.select_related("topic__place", "topic__body")
        .filter(pk=notification_id, topic__isnull=False)
        .first()
    )
    if notification is None or not has_place_perm(
        user, roles.RUN, notification.topic.place_id
    ):
        raise Http404
    return notification


@login_required
def topic_deliveries(request, topic_id: int):
    topic = _managed_topic(request.user, topic_id)
    notifications = list(topic_notifications(topic))
    failed = 0
    for notification in notifications:
        deliveries = notification.deliveries.all()
        failed += sum(1 for d in deliveries if d.status == DeliveryStatus.FAILED)
        notification.paper_count = sum(
            1 for d in deliveries if d.channel == Channel.PAPER
        )
    return render(
        request,
        "notifications/topic_deliveries.html",
        {
            "topic": topic,
            "notifications": notifications,
            "failed": failed,
            "status": DeliveryStatus,
            "paper": Channel.PAPER,
        },
    )


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
        {"notification": notification, "deliveries": deliveries},
    )


@login_required
@require_POST
def record_receipt(request, delivery_id: int):
    delivery = (
        Delivery.objects.select_related("notification__topic")
        .filter(
            pk=delivery_id, channel=Channel.PAPER, notification__topic__isnull=False
        )
        .first()
    )
    if delivery is None or not has_place_perm(
        request.user, roles.RUN, delivery.notification.topic.place_id
    ):
        raise Http404
    form = ReceiptForm(request.POST)
    if form.is_valid():
        try:
            services.receipt_record(
                actor=request.user,
                delivery_id=delivery.pk,
                signed_by=form.cleaned_data["signed_by"],
                signed_at=form.signed_at(),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("回执已登记,签收人:%(name)s。")
                % {"name": form.cleaned_data["signed_by"]},
            )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(
        "notifications:topic_deliveries", topic_id=delivery.notification.topic_id
    )
