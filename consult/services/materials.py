"""Materials: uploaded versions and sending them to the participants."""

from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from core.errors import NotVisible
from core.uploads import FileKind, upload_check, upload_store
from core.validators import clean_text
from notifications.models import Kind
from topics.records import topic_event

from ..models import (
    Material,
    MaterialVersion,
    Participant,
)
from ._base import (
    PLANNING,
    _link,
    _writing,
    send_notice,
)

# -- uploads


def material_upload(
    *,
    actor,
    topic_id: int,
    upload: UploadedFile,
    title: str = "",
    is_public: bool = False,
    material_id: int | None = None,
) -> MaterialVersion:
    """Upload a topic document, or a new version of an existing one."""
    (checked,) = upload_check([upload], kind=FileKind.DOCUMENT)
    title = clean_text(
        (title or "").strip() or PurePosixPath(checked.name).stem,
        field="title",
        max_length=Material._meta.get_field("title").max_length,
    )
    with _writing(topic_id, actor=actor, steps=PLANNING) as (topic, _r):
        if material_id:
            material = (
                Material.objects.select_for_update()
                .filter(pk=material_id, topic=topic)
                .first()
            )
            if material is None:
                raise NotVisible
            last = material.versions.order_by("-number").first()
            number = last.number + 1 if last else 1
        else:
            material = Material.objects.create(
                topic=topic, title=title, is_public=is_public, created_by=actor
            )
            number = 1
        version = MaterialVersion(material=material, topic=topic, number=number)
        upload_store(
            version,
            checked,
            actor=actor,
            verb="material_upload",
            after={
                "material": material.pk,
                "title": material.title,
                "number": number,
                "is_public": material.is_public,
            },
        )
    return version


def material_send(*, actor, topic_id: int):
    """Tell every participant that the topic's materials are ready to read."""
    with _writing(topic_id, actor=actor, steps=PLANNING) as (topic, _r):
        versions = list(
            MaterialVersion.objects.filter(topic=topic)
            .select_related("material")
            .order_by("material__pk", "-number")
        )
        if not versions:
            raise ValidationError(_("还没有上传资料。"))
        persons = [
            p.person
            for p in Participant.objects.filter(topic=topic).select_related("person")
        ]
        if not persons:
            raise ValidationError(_("请先确定参与对象名单。"))
        latest = max(v.pk for v in versions)
        titles = sorted({v.material.title for v in versions})
        notification = send_notice(
            topic=topic,
            key=f"consult:materials:{topic.pk}:{latest}",
            kind=Kind.MATERIAL,
            recipients=persons,
            subject=_("议题资料：%(title)s") % {"title": topic.title},
            body="\n".join(titles),
            link=_link("consult:prepare", topic_id=topic.pk),
            actor=actor,
        )
        topic_event(
            topic,
            actor=actor,
            verb="material_send",
            record=notification,
            after={"latest_version": latest, "recipients": len(persons)},
        )
    return notification
