from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Prefetch, QuerySet

from .models import Channel, Delivery, DeliveryStatus, Notification


def inbox_deliveries(user):
    return (
        Delivery.objects.filter(person__user=user, channel=Channel.INBOX)
        .exclude(status=DeliveryStatus.SKIPPED)
        .select_related("notification")
        # One query per kind of subject, whatever the number of rows.
        .prefetch_related("notification__about")
    )


def unread_count(user) -> int:
    return inbox_deliveries(user).filter(status=DeliveryStatus.SENT).count()


def notifications_about(record: models.Model) -> QuerySet[Notification]:
    """The notices about one record with every delivery, for the delivery page."""
    return Notification.objects.filter(
        about_type=ContentType.objects.get_for_model(record), about_id=record.pk
    ).prefetch_related(
        Prefetch(
            "deliveries",
            queryset=Delivery.objects.select_related(
                "person", "receipt_recorded_by"
            ).order_by("person__name", "person_id", "channel"),
        )
    )
