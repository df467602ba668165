"""What every feedback service shares: the notice wrapper, the locked write
with the actor checked first, and stored attachments."""

import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from core.errors import NotVisible
from core.uploads import (
    CheckedFile,
    upload_store,
)
from notifications.notify import notify
from topics.models import Topic
from topics.records import topic_write

from .. import permissions as perm
from ..models import Attachment
from ..rules import ADOPT, FEEDBACK, IMPLEMENT  # noqa: F401 (the services' step sets)

logger = logging.getLogger(__name__)


def send_notice(*, topic: Topic, **kwargs):
    """The one place feedback calls notifications, so its signature lives here."""
    return notify(about=topic, **kwargs)


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


def _store(
    *, actor, topic: Topic, checked: Iterable[CheckedFile], purpose: str, **owner
) -> list[Attachment]:
    """Store a feedback record's checked files as its attachments, audited."""
    return [
        upload_store(
            Attachment(topic=topic, purpose=purpose, **owner),
            item,
            actor=actor,
            verb="attachment_add",
            after={"purpose": purpose},
        )
        for item in checked
    ]
