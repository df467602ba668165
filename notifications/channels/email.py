"""Email through Django's mail backends (console in development, SMTP in use)."""

from collections.abc import Sequence
from contextlib import suppress
from email.utils import parseaddr
from urllib.parse import urljoin

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Notification
from ..text import single_line


class EmailError(Exception):
    """The mail backend accepted no message."""


def sender_domain() -> str:
    """The domain of the sending address, used in Message-ID and iCalendar UID."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


def message_id_header(value: object) -> str:
    return f"<{value}@{sender_domain()}>"


def site_url() -> str:
    """The site's own address for links sent out, or "" when none is known.

    ``XST_SITE_URL`` first; without it, the current site of the Sites framework
    when ``django.contrib.sites`` is installed (a bare domain is served over
    HTTPS). Otherwise the ``check --deploy`` warning notifications.W001 says
    the setting is missing.
    """
    if settings.XST_SITE_URL:
        return settings.XST_SITE_URL
    if apps.is_installed("django.contrib.sites"):
        domain = _current_site_domain()
        return domain if "://" in domain else f"https://{domain}"
    return ""


def _current_site_domain() -> str:
    # Imported here: the Sites framework is optional (not installed by default).
    from django.contrib.sites.models import Site

    return Site.objects.get_current().domain


def absolute_link(link: str) -> str:
    """A page path as a full address, from ``site_url()``.

    A path alone means nothing in a mail client or a text message; ``make
    run`` (run_local) sets http://127.0.0.1:8000, a deployment its own address.
    """
    if not link.startswith("/"):
        return link
    site = site_url()
    return urljoin(site, link) if site else link


def _when(notification: Notification) -> str:
    # The installation's time zone, whoever's request happens to send it.
    zone = timezone.get_default_timezone()
    start = timezone.localtime(notification.event_start, zone)
    text = start.strftime("%Y-%m-%d %H:%M")
    if notification.event_end is None:
        return text
    end = timezone.localtime(notification.event_end, zone)
    same_day = end.date() == start.date()
    return f"{text} – {end.strftime('%H:%M' if same_day else '%Y-%m-%d %H:%M')}"


def notification_lines(notification: Notification) -> list[str]:
    """Time, place and link: the facts a recipient needs besides the body."""
    lines = []
    if notification.event_start:
        lines.append(_("时间：%(when)s") % {"when": _when(notification)})
    if notification.location:
        lines.append(_("地点：%(location)s") % {"location": notification.location})
    if notification.link:
        lines.append(_("详情：%(link)s") % {"link": absolute_link(notification.link)})
    return lines


def notification_email(
    notification: Notification,
    *,
    to: str,
    message_id: str,
    ics: bytes | None = None,
) -> EmailMessage:
    body = notification.body
    lines = notification_lines(notification)
    if lines:
        body = body + "\n\n" + "\n".join(lines)
    message = EmailMessage(
        # Rows written before subjects were cleaned may still hold a break.
        subject=single_line(notification.subject),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id},
    )
    if ics is not None:
        message.attach("meeting.ics", ics, "text/calendar")
    return message


def digest_email(
    notifications: Sequence[Notification], *, to: str, message_id: str
) -> EmailMessage:
    """One message listing every held routine notice, oldest first."""
    blocks = []
    for number, notification in enumerate(notifications, start=1):
        lines = [
            f"{number}. 【{notification.get_kind_display()}】"
            + single_line(notification.subject),
            notification.body,
            *notification_lines(notification),
        ]
        blocks.append("\n".join(lines))
    return EmailMessage(
        subject=_("协商通每日汇总：%(count)d 条通知") % {"count": len(notifications)},
        body="\n\n".join(blocks),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id},
    )


class EmailChannel:
    """One backend connection reused for a run of messages (a batch, a digest).

    Opening an SMTP session per message would dominate the cost of a large
    notice; after a failure the connection is dropped so the next message
    starts on a fresh one.
    """

    def __init__(self) -> None:
        self._connection = None

    def send(self, message: EmailMessage) -> None:
        if self._connection is None:
            self._connection = get_connection(fail_silently=False)
            self._connection.open()
        try:
            accepted = self._connection.send_messages([message])
        except Exception:
            # The session may be half-dead; the caller records this failure,
            # and a broken close must not hide it.
            with suppress(Exception):
                self.close()
            raise
        if not accepted:
            raise EmailError(_("邮件服务器未接受该邮件。"))

    def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()
