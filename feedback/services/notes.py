"""After archiving: an appended, audited note is the only change a topic takes."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import NotVisible
from core.validators import clean_text
from topics.models import Topic
from topics.records import topic_event

from .. import permissions as perm
from ..models import Note
from ._base import _refuse


def topic_note_append(*, actor, topic_id: int, text: str) -> Note:
    """An appended, audited note: the one change a sealed topic still takes.

    Takes the topic's row lock itself (not ``topic_write``, which refuses
    archived topics) and only ever adds a Note row and its audit event.
    """
    with transaction.atomic():
        topic = (
            Topic.objects.select_for_update(of=("self",))
            .select_related("place")
            .filter(pk=topic_id)
            .first()
        )
        if topic is None:
            raise NotVisible
        if not perm.can_note(actor, topic):
            _refuse(actor, topic)
        note = Note.objects.create(
            topic=topic,
            text=clean_text(
                text,
                field="text",
                max_length=2000,
                multiline=True,
                required_message=_("请填写说明内容。"),
            ),
            written_by=actor,
        )
        topic_event(
            topic,
            actor=actor,
            verb="note_append",
            record=note,
            after={"text": note.text},
        )
    return note
