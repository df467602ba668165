from django.db.models import Prefetch, QuerySet

from .models import Channel, Delivery, DeliveryStatus, Notification


def inbox_deliveries(user):
    return (
        Delivery.objects.filter(person__user=user, channel=Channel.INBOX)
        .exclude(status=DeliveryStatus.SKIPPED)
        .select_related("notification", "notification__topic")
    )


def unread_count(user) -> int:
    return inbox_deliveries(user).filter(status=DeliveryStatus.SENT).count()


def topic_notifications(topic) -> QuerySet[Notification]:
    """A topic's notices with every delivery, for the clerk's delivery page."""
    return Notification.objects.filter(topic=topic).prefetch_related(
        Prefetch(
            "deliveries",
            queryset=Delivery.objects.select_related(
                "person", "receipt_recorded_by"
            ).order_by("person__name", "person_id", "channel"),
        )
    )
