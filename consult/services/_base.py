"""Shared helpers of consult's services: the one call of notifications,
locking and loading."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotVisible
from core.validators import clean_text
from notifications.notify import notify
from topics.models import Topic
from topics.records import snapshot, topic_write
from topics.states import STEP_OF_STATE

from .. import permissions as perm
from ..models import (
    Opinion,
    OpinionKind,
    Participant,
    Session,
)
from ..rules import CONSULT, PLANNING, PREPARE  # noqa: F401 (the services' step sets)

REASON_MAX_LENGTH = 1000

SESSION_FIELDS = ("form", "starts_at", "ends_at", "location", "agenda", "host")

# -- the one place that calls notifications


def send_notice(
    *,
    topic: Topic,
    key: str,
    kind: str,
    recipients,
    subject: str,
    body: str,
    link: str = "",
    actor=None,
    event_start: datetime | None = None,
    event_end: datetime | None = None,
    location: str = "",
):
    """Notify about a topic; the only call of ``notifications.notify`` here."""
    return notify(
        key=key,
        kind=kind,
        recipients=recipients,
        subject=subject,
        body=body,
        about=topic,
        link=link,
        event_start=event_start,
        event_end=event_end,
        location=location,
        actor=actor,
    )


# -- helpers


@contextmanager
def _writing(
    topic_id: int, *, actor, steps, correction: str = "", run: bool = True
) -> Iterator[tuple[Topic, str]]:
    """Lock the topic and check the actor; yield the topic and the reason.

    ``correction`` (a clerk's reason) lets a record of a step the topic has
    already left be changed; it is refused for steps not yet reached.
    """
    correction = clean_text(
        correction, field="correction", max_length=REASON_MAX_LENGTH, required=False
    )
    with topic_write(topic_id, steps=steps, correction=bool(correction)) as topic:
        if not perm.can_view(actor, topic):
            raise NotVisible
        if (run or correction) and not perm.can_run(actor, topic):
            raise PermissionDenied(_("您不能办理该议题的协商准备和协商活动。"))
        if correction:
            current = STEP_OF_STATE.get(topic.state)
            if current is None or current <= max(steps):
                raise ValidationError(
                    {"correction": [_("只有已经过去的步骤的记录才需要更正说明。")]}
                )
        yield topic, correction


def _session_for_update(session_id: int) -> Session:
    session = Session.objects.filter(pk=session_id).only("topic_id").first()
    if session is None:
        raise NotVisible
    return session


def _load_session(topic: Topic, session_id: int) -> Session:
    session = (
        Session.objects.select_for_update(of=("self",))
        .filter(pk=session_id, topic=topic)
        .select_related("interviewee__person")
        .first()
    )
    if session is None:
        raise NotVisible
    session.topic = topic
    return session


def _participant(topic: Topic, participant_id, field: str = "participant"):
    participant = (
        Participant.objects.filter(pk=participant_id, topic=topic)
        .select_related("person")
        .first()
        if participant_id
        else None
    )
    if participant is None:
        raise ValidationError({field: [_("该人员不在本议题的参与对象名单中。")]})
    return participant


def _link(name: str, **kwargs) -> str:
    path = reverse(name, kwargs=kwargs)
    return settings.XST_SITE_URL.rstrip("/") + path if settings.XST_SITE_URL else path


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _clean_opinion(content: str, kind: str, author_name: str = "") -> tuple:
    errors: dict[str, list[str]] = {}
    content = clean_text(
        content,
        field="content",
        max_length=Opinion._meta.get_field("content").max_length,
        multiline=True,
        required_message=_("请填写意见内容。"),
        errors=errors,
    )
    if kind not in OpinionKind.values:
        errors["kind"] = [_("请选择意见类型。")]
    clean_text(
        author_name,
        field="author_name",
        max_length=Opinion._meta.get_field("author_name").max_length,
        required=False,
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    return content, kind


def _opinion_after(opinion: Opinion) -> dict:
    return snapshot(
        opinion, ("source", "session", "participant", "author_name", "content", "kind")
    )
