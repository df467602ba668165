"""The iCalendar (.ics) file attached to meeting notices."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event

from .channels.email import absolute_link, sender_domain
from .models import Notification


def notification_ics(notification: Notification) -> bytes:
    """One VEVENT for the notice's meeting, in the installation's time zone.

    The UID comes from the notice's idempotency key, so a calendar that
    receives the same notice twice (resent, or by two channels) keeps one event.
    """
    if notification.event_start is None:
        raise ValueError("notification has no event_start")
    zone = ZoneInfo(settings.TIME_ZONE)
    start = notification.event_start.astimezone(zone)
    end = notification.event_end.astimezone(zone) if notification.event_end else None
    description = notification.body
    if notification.link:
        description = f"{description}\n\n{absolute_link(notification.link)}"
    event = Event.new(
        uid=f"{notification.key}@{sender_domain()}",
        stamp=notification.created_at,
        start=start,
        end=end,
        summary=notification.subject,
        description=description,
        location=notification.location or None,
    )
    calendar = Calendar.new(
        prodid="-//xieshangtong//notices//ZH", method="PUBLISH", subcomponents=[event]
    )
    # Only the rules around the meeting: the full zone history back to 1970
    # would add obsolete daylight-saving blocks that some clients mis-read.
    last = (end or start).date() + timedelta(days=1)
    calendar.add_missing_timezones(first_date=start.date(), last_date=last)
    return calendar.to_ical()
