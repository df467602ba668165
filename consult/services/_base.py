"""Shared helpers of consult's services: the one call of notifications,
text rules, locking and loading."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotVisible
from core.uploads import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    LEGACY_OFFICE_TYPES,
    WEBP_TYPES,
    CheckedFile,
    check_upload,
)
from core.validators import no_control_chars, single_line
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

# A topic's materials may also be old Word and Excel files and WebP images;
# sign-in sheet photos are images only.
MATERIAL_TYPES = {**DOCUMENT_TYPES, **LEGACY_OFFICE_TYPES, **WEBP_TYPES}
PHOTO_TYPES = {**IMAGE_TYPES, **WEBP_TYPES}


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


def _invalid(field: str | None, message: str) -> ValidationError:
    return ValidationError({field: [message]} if field else message)


def _text_errors(errors: dict[str, list[str]], field: str, value: str, rule) -> None:
    """Add the field's message when ``rule`` refuses the text: ``single_line``
    for one-line fields, ``no_control_chars`` for text areas."""
    try:
        rule(value)
    except ValidationError as invalid:
        errors.setdefault(field, []).extend(invalid.messages)


def _clean_text(value: str, field: str, rule=single_line) -> str:
    """The stripped text, refused with the field's message if ``rule`` refuses it."""
    value = (value or "").strip()
    errors: dict[str, list[str]] = {}
    _text_errors(errors, field, value, rule)
    if errors:
        raise ValidationError(errors)
    return value


def _reason(reason: str, field: str = "reason", *, rule=single_line) -> str:
    """A reason typed in one line (corrections, late answers, hiding); the
    participant-gap reason is a text area and passes ``no_control_chars``."""
    reason = _clean_text(reason, field, rule)
    if len(reason) > REASON_MAX_LENGTH:
        raise _invalid(field, _("说明不能超过 %(n)d 个字。") % {"n": REASON_MAX_LENGTH})
    return reason


@contextmanager
def _writing(
    topic_id: int, *, actor, steps, correction: str = "", run: bool = True
) -> Iterator[tuple[Topic, str]]:
    """Lock the topic and check the actor; yield the topic and the reason.

    ``correction`` (a clerk's reason) lets a record of a step the topic has
    already left be changed; it is refused for steps not yet reached.
    """
    correction = _reason(correction, "correction")
    with topic_write(topic_id, steps=steps, correction=bool(correction)) as topic:
        if not perm.can_view(actor, topic):
            raise NotVisible
        if (run or correction) and not perm.can_run(actor, topic):
            raise PermissionDenied(_("您不能办理该议题的协商准备和协商活动。"))
        if correction:
            current = STEP_OF_STATE.get(topic.state)
            if current is None or current <= max(steps):
                raise _invalid(
                    "correction", _("只有已经过去的步骤的记录才需要更正说明。")
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
        raise _invalid(field, _("该人员不在本议题的参与对象名单中。"))
    return participant


def _link(name: str, **kwargs) -> str:
    path = reverse(name, kwargs=kwargs)
    return settings.XST_SITE_URL.rstrip("/") + path if settings.XST_SITE_URL else path


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _inspect(upload: UploadedFile, allowed: dict[str, str]) -> CheckedFile:
    return check_upload(
        upload, allowed=allowed, max_bytes=settings.XST_UPLOAD_MAX_BYTES
    )


def _facts(checked: CheckedFile) -> dict:
    return {
        "original_name": checked.name,
        "content_type": checked.content_type,
        "size": checked.size,
        "sha256": checked.sha256,
    }


def _clean_opinion(content: str, kind: str, author_name: str = "") -> tuple:
    content = (content or "").strip()
    errors: dict[str, list[str]] = {}
    if not content:
        errors["content"] = [_("请填写意见内容。")]
    elif len(content) > Opinion._meta.get_field("content").max_length:
        errors["content"] = [_("意见内容过长。")]
    if kind not in OpinionKind.values:
        errors["kind"] = [_("请选择意见类型。")]
    if len(author_name) > Opinion._meta.get_field("author_name").max_length:
        errors["author_name"] = [_("提出人姓名过长。")]
    _text_errors(errors, "content", content, no_control_chars)
    _text_errors(errors, "author_name", author_name, single_line)
    if errors:
        raise ValidationError(errors)
    return content, kind


def _opinion_after(opinion: Opinion) -> dict:
    return snapshot(
        opinion, ("source", "session", "participant", "author_name", "content", "kind")
    )
