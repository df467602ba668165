"""Notices about topics: step-1 events tell whoever must act next.

Connected in ``TopicsConfig.ready()``: the topic becomes a notice subject (its
delivery page is ``notifications:topic_deliveries``), and a receiver of
``topics.services.topic_transitioned`` (sent after the transition commits)
notifies:

- submitting: the topic's approvers (``approve_topics`` on its place);
- approving: the people who run topics at the place (its clerks), that step 2
  (协商准备) can begin;
- returning for revision and rejecting: the drafter, with the reason (the
  people who run topics at the place when the drafter has no active account);
- withdrawing: the drafter and the people who run topics at the place, with
  the reason.

Whoever acted is not told of their own action.

Inbox always; email and SMS as each person chose (routine notices may wait
for their daily digest). One notice per event: the key holds the time the
topic entered its new state.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from committees import roles
from notifications.models import Channel, Kind
from notifications.notify import notify
from notifications.reminders import holders, reminder_key
from notifications.subjects import register_subject

from .models import Topic
from .records import topic_write
from .services import topic_transitioned

logger = logging.getLogger(__name__)

ELECTRONIC = (Channel.INBOX, Channel.EMAIL, Channel.SMS)


def _detail_url(topic: Topic) -> str:
    return reverse("topics:detail", args=[topic.pk])


def _approvers(topic: Topic, actor_id: int | None) -> list:
    return holders(roles.APPROVE, {topic.place_id}).get(topic.place_id, [])


def _runners(topic: Topic, actor_id: int | None) -> list:
    runners = holders(roles.RUN, {topic.place_id}).get(topic.place_id, [])
    return [user for user in runners if user.pk != actor_id]


def _drafter(topic: Topic, actor_id: int | None) -> list:
    drafter = topic.created_by
    if drafter is not None and drafter.is_active:
        return [drafter]
    return _runners(topic, actor_id)


def _drafter_and_runners(topic: Topic, actor_id: int | None) -> list:
    people = {user.pk: user for user in _runners(topic, actor_id)}
    drafter = topic.created_by
    if drafter is not None and drafter.is_active and drafter.pk != actor_id:
        people.setdefault(drafter.pk, drafter)
    return list(people.values())


def _facts(topic: Topic, reason: str) -> dict[str, str]:
    return {"title": topic.title, "place": topic.place.name, "reason": reason}


def _submitted(topic: Topic, reason: str) -> tuple[str, str]:
    facts = _facts(topic, reason)
    return (
        _("待审批：议题“%(title)s”已提交") % facts,
        _("%(place)s的议题“%(title)s”已提交审批，请及时审核：批准、退回修改或驳回。")
        % facts,
    )


def _returned(topic: Topic, reason: str) -> tuple[str, str]:
    facts = _facts(topic, reason)
    return (
        _("议题“%(title)s”被退回修改") % facts,
        _("议题“%(title)s”被退回修改。理由：%(reason)s\n请按意见修改后重新提交审批。")
        % facts,
    )


def _rejected(topic: Topic, reason: str) -> tuple[str, str]:
    facts = _facts(topic, reason)
    return (
        _("议题“%(title)s”未获批准") % facts,
        _("议题“%(title)s”已被驳回，不再进入协商程序。理由：%(reason)s") % facts,
    )


def _approved(topic: Topic, reason: str) -> tuple[str, str]:
    facts = _facts(topic, reason)
    return (
        _("议题“%(title)s”已批准，可以开始协商准备") % facts,
        _(
            "%(place)s的议题“%(title)s”已获批准。请开始第二步协商准备："
            "制定协商方案、确定参与对象、发送参会通知和资料。"
        )
        % facts,
    )


def _withdrawn(topic: Topic, reason: str) -> tuple[str, str]:
    facts = _facts(topic, reason)
    return (
        _("议题“%(title)s”已撤回") % facts,
        _("%(place)s的议题“%(title)s”已撤回，不再办理。理由：%(reason)s") % facts,
    )


# action -> (kind, who is told, wording)
EVENTS: dict[str, tuple[str, Callable, Callable]] = {
    "submit": (Kind.TOPIC_SUBMITTED, _approvers, _submitted),
    "approve": (Kind.TOPIC_APPROVED, _runners, _approved),
    "return_for_revision": (Kind.TOPIC_RETURNED, _drafter, _returned),
    "reject": (Kind.TOPIC_REJECTED, _drafter, _rejected),
    "withdraw": (Kind.TOPIC_WITHDRAWN, _drafter_and_runners, _withdrawn),
}


def notify_transition(
    sender, *, topic_id: int, action: str, actor_id=None, reason: str = "", **kwargs
) -> None:
    """topic_transitioned receiver: notify the people who must act next."""
    event = EVENTS.get(action)
    if event is None:
        return
    kind, recipients_of, wording = event
    # send_robust would swallow an error silently: log it, the transition
    # itself has committed and stands.
    try:
        topic = (
            Topic.objects.select_related("place", "created_by")
            .filter(pk=topic_id)
            .first()
        )
        if topic is None:
            return
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = wording(topic, reason)
        notify(
            # Microseconds: a topic resubmitted within a second is a new event.
            key=reminder_key(
                f"topic-{action}", topic.pk, topic.state_changed_at.isoformat()
            ),
            kind=kind,
            recipients=recipients_of(topic, actor_id),
            subject=subject,
            body=body,
            about=topic,
            link=_detail_url(topic),
            channels=ELECTRONIC,
        )
    except Exception:
        logger.exception("notice of %s on topic %s failed", action, topic_id)


def connect() -> None:
    register_subject(
        "topic",
        Topic,
        place_of=lambda topic: topic.place_id,
        page_url=_detail_url,
        select_related=("place",),
        url_name="notifications:topic_deliveries",
        # A paper receipt of a topic's notice is a record of the topic: on its
        # one chain, under its lock, refused once it is archived.
        write=lambda topic: topic_write(topic.pk),
    )
    topic_transitioned.connect(
        notify_transition,
        sender=Topic,
        dispatch_uid="topics.transition_messages.transition",
    )
