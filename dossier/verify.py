"""Is this PDF the dossier the records make? Recompute and say what differs.

The PDF carries, in its metadata and on its last page, the topic id, its chain
head (event count and last hash), the manifest hash and the export time. The
check compares, from the current records:
- the file's own SHA-256 with the export stored for that head (edited after
  export, or never exported here);
- the topic's audit chain (``core.chain.verify_subject``: an altered or deleted
  audit row, named by event);
- each stored attachment's bytes with its recorded SHA-256 (named by file), and
  the manifest with the one printed;
- the chain head with the one printed (records added later: a newer dossier).
"""

import hashlib
import io
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from core.chain import describe, subjects_of, verify_subject
from topics.models import Topic

from .builder import chain_head, manifest, manifest_hash
from .models import DossierExport, ExportStatus

MAX_BYTES = 200 * 1024 * 1024


class Unreadable(ValueError):
    """Not a dossier PDF this system can read; the message says why."""


@dataclass
class Stamp:
    topic_id: int
    events: int
    head: str
    manifest: str
    exported: str


@dataclass
class Result:
    stamp: Stamp | None
    findings: list[str] = field(default_factory=list)
    newer: bool = False

    @property
    def matches(self) -> bool:
        return self.stamp is not None and not self.findings and not self.newer


def read_stamp(data: bytes) -> Stamp:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if len(data) > MAX_BYTES:
        raise Unreadable(_("文件过大，不是本系统导出的一事一档。"))
    if not data.startswith(b"%PDF-"):
        raise Unreadable(_("上传的文件不是 PDF。"))
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise Unreadable(_("PDF 已加密，无法核验，请上传导出的原文件。"))
        info = reader.metadata or {}
    except PdfReadError as error:
        raise Unreadable(_("PDF 无法读取，文件可能已损坏。")) from error
    try:
        return Stamp(
            topic_id=int(info["/xsttopic"]),
            events=int(info["/xstevents"]),
            head=str(info["/xsthead"]),
            manifest=str(info["/xstmanifest"]),
            exported=str(info.get("/xstexported", "")),
        )
    except (KeyError, ValueError, TypeError) as error:
        raise Unreadable(_("该 PDF 不带一事一档的核验信息。")) from error


def _file_findings(entries) -> list[str]:
    findings = []
    for entry in entries:
        try:
            digest = hashlib.sha256()
            with default_storage.open(entry.path, "rb") as handle:
                for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                    digest.update(chunk)
        except (OSError, ValueError):
            findings.append(_("附件“%(name)s”的文件缺失。") % {"name": entry.name})
            continue
        if digest.hexdigest() != entry.sha256:
            findings.append(
                _("附件“%(name)s”的内容与登记的 SHA-256 不符，文件已被改动。")
                % {"name": entry.name}
            )
    return findings


def verify_pdf(data: bytes) -> Result:
    stamp = read_stamp(data)
    result = Result(stamp=stamp)
    topic = Topic.objects.filter(pk=stamp.topic_id).first()
    if topic is None:
        result.findings.append(_("系统中没有该议题。"))
        return result
    sha = hashlib.sha256(data).hexdigest()
    stored = DossierExport.objects.filter(
        topic=topic,
        head_count=stamp.events,
        head_hash=stamp.head,
        status=ExportStatus.DONE,
    ).first()
    if stored is None:
        result.findings.append(_("系统中没有与该文件链头一致的导出记录。"))
    elif stored.sha256 != sha:
        result.findings.append(_("文件在导出后被修改过（与导出时的 SHA-256 不符）。"))

    breaks = verify_subject(topic)
    subjects = subjects_of(breaks)
    for item in breaks:
        result.findings.append(
            _("审计记录被改动或删除：%(what)s")
            % {"what": describe(item, subjects.get(item.subject))}
        )

    head = chain_head(topic)
    if not breaks:
        if head.count < stamp.events:
            result.findings.append(_("审计记录少于导出时的条数，记录被删除。"))
        elif head.count > stamp.events:
            from core.models import AuditEvent

            at = (
                AuditEvent.objects.for_subject(topic)
                .filter(seq=stamp.events)
                .values_list("hash", flat=True)
                .first()
            )
            if at != stamp.head:
                result.findings.append(_("文件记载的链头与系统中的审计记录不符。"))
            else:
                result.newer = True
        elif head.hash != stamp.head:
            result.findings.append(_("文件记载的链头与系统中的审计记录不符。"))

    entries = manifest(topic.pk)
    result.findings += _file_findings(entries)
    if not result.newer and manifest_hash(entries) != stamp.manifest:
        result.findings.append(_("附件清单与导出时不同。"))
    return result


def explain(result: Result) -> list[str]:
    """The lines a person reads: the findings, or why it matched."""
    if result.matches:
        return [_("一致：该文件与系统中的记录相符。")]
    lines = list(result.findings)
    if result.newer:
        lines.append(_("导出之后该议题又有新的记录，已有更新的一事一档。"))
    return lines
