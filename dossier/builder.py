"""One topic's dossier as one HTML document: the cover, the registered
sections in step order, the manifest of attachments and the audit trail.

The sections come from ``topics.dossier``; this module never imports the apps
that register them. Every read here runs a fixed number of queries, so the
HTML of a topic with 300 opinions costs what one with 3 does.
"""

import base64
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime

import segno
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, F, Value
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import verb_label
from core.models import AuditEvent
from core.uploads import StoredFile
from notifications.channels.email import absolute_link
from topics.dossier import AFTER_ARCHIVE, sections
from topics.models import Topic
from topics.states import State, Step

IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


@dataclass(frozen=True)
class Head:
    """Where a topic's chain stood: the number of events and the last hash."""

    count: int
    hash: str


@dataclass
class FileEntry:
    model: str
    pk: int
    name: str
    content_type: str
    size: int
    sha256: str
    path: str
    uploaded_at: datetime

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES

    @property
    def key(self) -> tuple[str, int]:
        return (self.model, self.pk)


def chain_head(topic: Topic) -> Head:
    last = (
        AuditEvent.objects.for_subject(topic)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    return Head(*last) if last else Head(0, "")


def _stored_file_models() -> list:
    """The concrete stored-file models (``core.uploads.StoredFile``)."""
    return [model for model in apps.get_models() if issubclass(model, StoredFile)]


def manifest(topic_id: int) -> list[FileEntry]:
    """Every stored file of the topic, from all stored-file models, in one query."""
    queries = [
        model.objects.filter(topic_id=topic_id)
        .order_by()
        .values_list(
            Value(model._meta.label_lower, output_field=CharField()),
            "pk",
            "name",
            "content_type",
            "size",
            "sha256",
            F("file"),
            "uploaded_at",
        )
        for model in _stored_file_models()
    ]
    if not queries:
        return []
    union = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    entries = [FileEntry(*row) for row in union]
    return sorted(entries, key=lambda e: (e.uploaded_at, e.model, e.pk))


def manifest_hash(entries: list[FileEntry]) -> str:
    canonical = json.dumps(
        [[e.model, e.pk, e.name, e.size, e.sha256] for e in entries],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def verify_url() -> str:
    return absolute_link(reverse("dossier:verify"))


def _qr_svg(url: str) -> str:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=3, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def _image_uri(entry: FileEntry) -> tuple[str, str]:
    """A data URI of an image for the PDF, or the reason it cannot be shown."""
    from django.core.files.storage import default_storage
    from PIL import Image, UnidentifiedImageError

    try:
        with default_storage.open(entry.path, "rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        return "", _("文件缺失")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return "", _("图片无法读取")
    encoded = base64.b64encode(data).decode()
    return f"data:{entry.content_type};base64,{encoded}", ""


def _history(topic: Topic) -> list[AuditEvent]:
    events = list(
        AuditEvent.objects.for_subject(topic)
        .select_related("actor")
        .only(
            "seq",
            "verb",
            "reason",
            "created_at",
            "hash",
            "record_type_id",
            "record_id",
            "actor__username",
            "actor__first_name",
            "actor__last_name",
        )
        .order_by("seq")
    )
    for event in events:
        event.label = verb_label(event.verb)
    return events


STEP_TITLES = {**{step.value: step.label for step in Step}}


def context(topic: Topic, *, exported_at: datetime, head: Head) -> dict:
    """Everything the dossier template prints, read in a fixed number of queries."""
    topic = (
        Topic.objects.select_related("place", "place__parent", "body", "created_by")
        .filter(pk=topic.pk)
        .get()
    )
    files = manifest(topic.pk)
    images: dict[tuple[str, int], dict] = {}
    for entry in files:
        if entry.is_image:
            uri, problem = _image_uri(entry)
            images[entry.key] = {"uri": uri, "problem": problem, "entry": entry}
    steps = []
    for step in [*Step.values, AFTER_ARCHIVE]:
        rendered = []
        for section in sections(step):
            data = section.collect(topic)
            data.update(topic=topic, images=images, section=section)
            rendered.append(
                {
                    "key": section.key,
                    "title": section.title,
                    "html": render_to_string(section.template, data),
                }
            )
        if rendered or step != AFTER_ARCHIVE:
            steps.append(
                {
                    "number": step,
                    "title": STEP_TITLES.get(step, _("归档后")),
                    "sections": rendered,
                }
            )
    url = verify_url()
    return {
        "topic": topic,
        "sealed": topic.state == State.ARCHIVED,
        "steps": steps,
        "files": files,
        "manifest_hash": manifest_hash(files),
        "history": _history(topic),
        "head": head,
        "exported_at": exported_at,
        "dossier_number": f"{topic.place.code}-{topic.pk:06d}",
        "verify_url": url,
        "qr": _qr_svg(url),
        "site_url": getattr(settings, "XST_SITE_URL", ""),
        "topic_type": ContentType.objects.get_for_model(Topic).pk,
    }


def build_html(
    topic: Topic, *, exported_at: datetime | None = None
) -> tuple[str, dict]:
    exported_at = exported_at or timezone.now()
    data = context(topic, exported_at=exported_at, head=chain_head(topic))
    return render_to_string("dossier/dossier.html", data), data
