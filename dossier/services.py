"""Exporting dossiers: request, build (in a Celery task), reuse, bulk ZIP.

An export is keyed by the topic's chain head (event count and last hash): a
request while the head has not moved returns the export already made (or being
made), so two requests at once make one file, and a new event makes the next
request build a new one. The PDF is stored through Django's storage API with
its SHA-256, so ``verify`` can tell an edited file from the one exported.
"""

import hashlib
import io
import logging
import zipfile

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import NotVisible
from topics.models import Topic
from topics.states import State

from . import permissions as perm
from .builder import build_html, chain_head
from .models import BulkExport, DossierExport, ExportStatus
from .pdf import DossierError, render, require_cjk_font

logger = logging.getLogger(__name__)


def _topic(topic_id: int) -> Topic:
    topic = Topic.objects.select_related("place").filter(pk=topic_id).first()
    if topic is None:
        raise NotVisible
    return topic


def _queue(export_id: int) -> None:
    from .tasks import build_dossier

    transaction.on_commit(lambda: build_dossier.delay(export_id))


def dossier_request(*, actor, topic_id: int) -> DossierExport:
    """The export for the topic's current chain head, queued if new.

    ``actor`` None is the system (the automatic export on archiving, commands).
    """
    topic = _topic(topic_id)
    if actor is not None and not perm.can_export(actor, topic):
        if not perm.topic_perm.can_view(actor, topic):
            raise NotVisible
        raise PermissionDenied(_("您不能导出该议题的一事一档。"))
    require_cjk_font()
    head = chain_head(topic)
    existing = (
        DossierExport.objects.filter(
            topic=topic, head_count=head.count, head_hash=head.hash
        )
        .exclude(status=ExportStatus.FAILED)
        .first()
    )
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            DossierExport.objects.filter(
                topic=topic,
                head_count=head.count,
                head_hash=head.hash,
                status=ExportStatus.FAILED,
            ).delete()
            export = DossierExport.objects.create(
                topic=topic,
                head_count=head.count,
                head_hash=head.hash,
                requested_by=actor,
            )
            _queue(export.pk)
    except IntegrityError:
        # Another request for the same head won the race: use its export.
        return DossierExport.objects.get(
            topic=topic, head_count=head.count, head_hash=head.hash
        )
    return export


def dossier_build(export_id: int) -> DossierExport:
    """Make the PDF of a queued export (the Celery task's body); idempotent."""
    with transaction.atomic():
        export = DossierExport.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.status == ExportStatus.DONE:
            return export
        export.status = ExportStatus.RUNNING
        export.progress = 10
        export.save(update_fields=["status", "progress"])
    try:
        topic = _topic(export.topic_id)
        exported_at = timezone.now()
        html, data = build_html(topic, exported_at=exported_at)
        if data["head"].count != export.head_count:
            # Records were added since the request: this export stands for the
            # head it was requested at, so build from the newer head instead.
            export.head_count, export.head_hash = data["head"].count, data["head"].hash
        DossierExport.objects.filter(pk=export.pk).update(progress=40)
        rendered = render(html)
        digest = hashlib.sha256(rendered.data).hexdigest()
        export.file.save(export.filename, ContentFile(rendered.data), save=False)
        export.sha256 = digest
        export.size = len(rendered.data)
        export.pages = rendered.pages
        export.manifest_hash = data["manifest_hash"]
        export.exported_at = exported_at
        export.status = ExportStatus.DONE
        export.progress = 100
        export.error = ""
        export.save(
            update_fields=[
                "file",
                "sha256",
                "size",
                "pages",
                "manifest_hash",
                "exported_at",
                "status",
                "progress",
                "error",
                "head_count",
                "head_hash",
            ]
        )
    except DossierError as error:
        _failed(export, str(error))
    except IntegrityError:
        _failed(export, _("同一链头的一事一档已由另一次导出生成。"))
    except Exception:
        logger.exception("dossier export %s failed", export_id)
        _failed(export, _("生成一事一档时出错，请稍后重试或联系管理员。"))
    return export


def _failed(export: DossierExport, message: str) -> None:
    export.status = ExportStatus.FAILED
    export.error = message
    export.progress = 0
    DossierExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.FAILED, error=message, progress=0
    )


def dossier_now(*, actor, topic_id: int) -> DossierExport:
    """Request and build at once (commands; eager runs); returns the done export."""
    export = dossier_request(actor=actor, topic_id=topic_id)
    if export.status != ExportStatus.DONE:
        export = dossier_build(export.pk)
    if export.status != ExportStatus.DONE:
        raise DossierError(export.error)
    return export


def export_visible(user, export_id: int) -> DossierExport:
    export = (
        DossierExport.objects.select_related("topic__place")
        .filter(pk=export_id)
        .first()
    )
    if export is None or not perm.can_export(user, export.topic):
        raise NotVisible
    return export


# -- bulk ------------------------------------------------------------------------


def bulk_topics(place, year: int):
    """A place's topics of a year (its villages' too, for a township)."""
    places = [place.pk]
    if not place.is_village:
        places += list(place.children.values_list("pk", flat=True))
    return (
        Topic.objects.filter(place_id__in=places, created_at__year=year)
        .exclude(state=State.DRAFT)
        .select_related("place")
        .order_by("place__code", "pk")
    )


def bulk_request(*, actor, place, year: int) -> BulkExport:
    if actor is not None and not perm.can_export_place(actor, place):
        raise NotVisible
    if not 2000 <= year <= timezone.localdate().year:
        raise ValidationError({"year": [_("请填写 2000 年至今年之间的年度。")]})
    require_cjk_font()
    with transaction.atomic():
        bulk = BulkExport.objects.create(
            place=place,
            year=year,
            requested_by=actor,
            total=bulk_topics(place, year).count(),
        )
        audit_record(
            subject=place,
            actor=actor,
            verb="dossier_export",
            data={"year": year, "bulk": bulk.pk},
        )

        from .tasks import build_bulk

        transaction.on_commit(lambda: build_bulk.delay(bulk.pk))
    return bulk


def _index_xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "一事一档"
    sheet.append(
        ["议题编号", "地方", "议题标题", "状态", "页数", "SHA-256", "文件名", "说明"]
    )
    for row in rows:
        # Titles are typed by people: never let a cell start a formula.
        sheet.append(
            [f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in row]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(topic, export=None, problem: str = "") -> list:
    return [
        topic.pk,
        topic.place.name,
        topic.title,
        topic.get_state_display(),
        export.pages if export else 0,
        export.sha256 if export else "",
        export.filename if export else "",
        problem,
    ]


def index_xlsx_of(topics) -> bytes:
    """The index of exported dossiers (the latest done export of each topic)."""
    latest = {}
    for export in DossierExport.objects.filter(
        topic__in=topics, status=ExportStatus.DONE
    ).order_by("topic_id", "head_count"):
        latest[export.topic_id] = export
    return _index_xlsx([_row(topic, latest.get(topic.pk)) for topic in topics])


def bulk_build(bulk_id: int) -> BulkExport:
    bulk = BulkExport.objects.select_related("place").get(pk=bulk_id)
    if bulk.status == ExportStatus.DONE:
        return bulk
    BulkExport.objects.filter(pk=bulk.pk).update(status=ExportStatus.RUNNING)
    topics = list(bulk_topics(bulk.place, bulk.year))
    rows: list[list] = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for number, topic in enumerate(topics, start=1):
            try:
                export = dossier_now(actor=None, topic_id=topic.pk)
                with export.file.open("rb") as handle:
                    archive.writestr(export.filename, handle.read())
                rows.append(_row(topic, export))
            except DossierError as error:
                rows.append(_row(topic, problem=str(error)))
            BulkExport.objects.filter(pk=bulk.pk).update(done=number)
        archive.writestr("index.xlsx", _index_xlsx(rows))
    data = buffer.getvalue()
    bulk.refresh_from_db()
    bulk.file.save(bulk.filename, ContentFile(data), save=False)
    bulk.sha256 = hashlib.sha256(data).hexdigest()
    bulk.status = ExportStatus.DONE
    bulk.finished_at = timezone.now()
    bulk.save(update_fields=["file", "sha256", "status", "finished_at"])
    return bulk


def bulk_visible(user, bulk_id: int) -> BulkExport:
    bulk = BulkExport.objects.select_related("place").filter(pk=bulk_id).first()
    if bulk is None or not perm.can_export_place(user, bulk.place):
        raise NotVisible
    return bulk


# -- the automatic export when a topic is sealed ------------------------------------


def _on_transition(sender, *, topic_id: int, to_state: str, **kwargs) -> None:
    if to_state != State.ARCHIVED:
        return
    try:
        dossier_request(actor=None, topic_id=topic_id)
    except DossierError as error:
        logger.warning("no dossier made on archiving topic %s: %s", topic_id, error)


def connect() -> None:
    from topics.services import topic_transitioned

    topic_transitioned.connect(
        _on_transition, sender=Topic, dispatch_uid="dossier.on_archive"
    )
