"""What every feedback service shares: the notice wrapper, input checks, the
locked write with the actor checked first, and stored attachments."""

import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotVisible
from core.uploads import DOCUMENT_TYPES, IMAGE_TYPES, CheckedFile, check_upload
from core.validators import date_window_error, no_control_chars, single_line
from notifications.notify import notify
from topics.models import Topic
from topics.records import snapshot, topic_event, topic_write

from .. import permissions as perm
from ..models import Attachment
from ..rules import ADOPT, FEEDBACK, IMPLEMENT  # noqa: F401 (the services' step sets)

logger = logging.getLogger(__name__)


def send_notice(*, topic: Topic, **kwargs):
    """The one place feedback calls notifications, so its signature lives here."""
    return notify(about=topic, **kwargs)


def _text(
    value, field: str, message: str, max_length: int, *, one_line: bool = False
) -> str:
    """Required text, stripped: ``one_line`` fields (titles, names, one-line
    reasons) refuse line breaks, text areas refuse other control characters."""
    value = _optional_text(value, field, max_length, one_line=one_line)
    if not value:
        raise ValidationError({field: [message]})
    return value


def _optional_text(value, field: str, max_length: int, *, one_line: bool) -> str:
    value = (value or "").strip()
    if len(value) > max_length:
        raise ValidationError({field: [_("不能超过 %(n)d 个字。") % {"n": max_length}]})
    try:
        (single_line if one_line else no_control_chars)(value)
    except ValidationError as invalid:
        raise ValidationError({field: invalid.messages}) from invalid
    return value


def _in_window(value, field: str) -> None:
    """Refuse a planned date or moment outside core.validators' sane window."""
    message = date_window_error(value)
    if message:
        raise ValidationError({field: [message]})


def _not_future(value: date | None, field: str, message: str) -> date:
    """A date that has happened (a meeting, a vote, a report): not in the
    future, and not before the sane window either (0001-01-01 is a typo)."""
    if value is None:
        raise ValidationError({field: [_("请填写日期。")]})
    if value > timezone.localdate():
        raise ValidationError({field: [message]})
    _in_window(value, field)
    return value


def _refuse(actor, topic: Topic) -> None:
    if not perm.can_view(actor, topic):
        raise NotVisible
    raise PermissionDenied(_("您没有执行该操作的权限。"))


@contextmanager
def _write(actor, topic_id: int, *, steps, check: Callable = perm.can_record):
    """Check the actor, then lock the topic; the seal and step are topic_write's."""
    topic = Topic.objects.select_related("place").filter(pk=topic_id).first()
    if topic is None:
        raise NotVisible
    if not check(actor, topic):
        _refuse(actor, topic)
    with topic_write(topic_id, steps=steps) as locked:
        yield locked


def _check_all(uploads: Iterable, *, images_only: bool = False) -> list[CheckedFile]:
    """Check every upload before anything is stored, so a bad one saves nothing."""
    allowed = IMAGE_TYPES if images_only else DOCUMENT_TYPES
    limit = settings.XST_FEEDBACK_UPLOAD_MAX_BYTES
    return [check_upload(u, allowed=allowed, max_bytes=limit) for u in uploads or ()]


def _store(
    *, actor, topic: Topic, checked: Iterable[CheckedFile], purpose: str, **owner
) -> list[Attachment]:
    stored = []
    for item in checked:
        attachment = Attachment(
            topic=topic,
            purpose=purpose,
            name=item.name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            uploaded_by=actor,
            **owner,
        )
        attachment.file.save(item.content.name, item.content, save=False)
        attachment.save()
        topic_event(
            topic,
            actor=actor,
            verb="attachment_add",
            record=attachment,
            after=snapshot(
                attachment, ["purpose", "name", "content_type", "size", "sha256"]
            ),
        )
        stored.append(attachment)
    return stored


# -- step 4: compile, dispose, explain ------------------------------------------
