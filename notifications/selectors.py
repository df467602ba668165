from .models import Channel, Delivery, DeliveryStatus


def inbox_deliveries(user):
    return (
        Delivery.objects.filter(person__user=user, channel=Channel.INBOX)
        .exclude(status=DeliveryStatus.SKIPPED)
        .select_related("notification", "notification__topic")
    )


def unread_count(user) -> int:
    return inbox_deliveries(user).filter(status=DeliveryStatus.SENT).count()
