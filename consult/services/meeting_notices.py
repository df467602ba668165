"""Meeting notices: rounds sent to the participants.

A paper notice's signed receipt is ``notifications.services.receipt_record``,
the one path both the step-2 page and the topic's delivery page call.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.text import join_list
from notifications.models import Delivery, Kind
from topics.models import Topic
from topics.records import topic_event

from ..evidence import notice_entry
from ..models import (
    Material,
    NoticeRound,
    Participant,
    Session,
)
from ._base import PLANNING, _link, _when, _writing, send_notice

# -- notices


def _notice_round(topic: Topic, *, actor, new: bool) -> tuple[NoticeRound, bool]:
    sessions = list(Session.objects.filter(topic=topic).order_by("starts_at", "pk"))
    persons = [
        p.person
        for p in Participant.objects.filter(topic=topic).select_related("person")
    ]
    if not sessions:
        raise ValidationError(_("请先安排协商活动，再发送通知。"))
    if not persons:
        raise ValidationError(_("请先确定参与对象名单，再发送通知。"))
    latest = NoticeRound.objects.filter(topic=topic).order_by("-number").first()
    if latest is None:
        number = 1
    elif new:
        number = latest.number + 1
    else:
        number = latest.number
    first = sessions[0]
    lines = [
        _("%(form)s：%(start)s 至 %(end)s，%(place)s；议程：%(agenda)s")
        % {
            "form": s.get_form_display(),
            "start": _when(s.starts_at),
            "end": _when(s.ends_at),
            "place": s.location or "—",
            "agenda": s.agenda,
        }
        for s in sessions
    ]
    # §六.2 提供相关议题资料： the notice names the materials uploaded so far;
    # its link opens the page where participants read them.
    titles = list(
        Material.objects.filter(topic=topic, versions__isnull=False)
        .distinct()
        .order_by("pk")
        .values_list("title", flat=True)
    )
    if titles:
        lines.append(_("议题资料：%(titles)s") % {"titles": join_list(titles)})
    subject = _("参会通知：%(title)s") % {"title": topic.title}
    if number > 1:
        subject = _("参会通知（变更）：%(title)s") % {"title": topic.title}
    notification = send_notice(
        topic=topic,
        key=f"consult:notice:{topic.pk}:{number}",
        kind=Kind.MEETING_NOTICE,
        recipients=persons,
        subject=subject,
        body="\n".join(lines),
        link=_link("consult:prepare", topic_id=topic.pk),
        actor=actor,
        event_start=first.starts_at,
        event_end=first.ends_at,
        location=first.location,
    )
    if latest is not None and latest.number == number:
        return latest, False
    notice = NoticeRound.objects.create(
        topic=topic,
        number=number,
        notification=notification,
        first_starts_at=first.starts_at,
        sessions=[notice_entry(s) for s in sessions],
        sent_by=actor if getattr(actor, "pk", None) else None,
    )
    topic_event(
        topic,
        actor=actor,
        verb="notice_send",
        record=notice,
        after={"number": number, "recipients": len(persons)},
    )
    return notice, True


def _renotify_if_sent(topic: Topic, *, actor) -> None:
    if NoticeRound.objects.filter(topic=topic).exists():
        _notice_round(topic, actor=actor, new=True)


def meeting_notice_send(*, actor, topic_id: int) -> NoticeRound:
    """Send the plan to every participant (again: only those not yet told)."""
    with _writing(topic_id, actor=actor, steps=PLANNING) as (topic, _r):
        notice, created = _notice_round(topic, actor=actor, new=False)
        if not created:
            recipients = (
                Delivery.objects.filter(notification_id=notice.notification_id)
                .values("person_id")
                .distinct()
                .count()
            )
            topic_event(
                topic,
                actor=actor,
                verb="notice_send",
                record=notice,
                after={"number": notice.number, "recipients": recipients},
            )
    return notice
