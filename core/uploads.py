"""Uploaded files, the one set of rules for every app that takes them.

A file is checked before anything is stored: its name may not carry a path or
control characters, its size is limited by ``XST_UPLOAD_MAX_BYTES`` (and never
more than the limit is read), and its type is detected from the bytes with
``filetype`` (never from the name or the browser's claim) and must agree with
its extension. A file is served back only as a download, never rendered by
the browser.

What each purpose accepts, decided once:

- ``FileKind.IMAGE`` (a photo taken on a phone: the sign-in sheet of a
  meeting, the 公示 as posted on the notice board): JPG, PNG or WebP. WebP is
  what many Android phones and WeChat save, and every image is re-encoded
  anyway, so accepting it costs nothing.
- ``FileKind.DOCUMENT`` (a topic's materials, the attachments of a decision,
  of a progress report and of a 公示): PDF, Word and Excel, the 97-2003
  ``.doc`` and ``.xls`` included because village offices still write them,
  and the images above (a scanned page, a progress photo). A document is
  only ever served as a download, so an old Office file is no riskier here
  than a new one.

Every image, whatever the purpose, is decoded and re-encoded with Pillow
before it is hashed and stored: the EXIF orientation is applied to the pixels
and nothing else of the original is kept (no EXIF, GPS, XMP, ICC profile or
comment), so a photo never tells where or with which phone it was taken. The
stored hash and size are those of the stored bytes. An image Pillow cannot
read is refused.

``StoredFile`` is the one shape of a stored file (materials, sign-in photos,
feedback attachments): the same columns in every app and one storage path
scheme through the field's storage, so a topic's files are one query over
the concrete models, each of which has its ``topic``. ``upload_check`` checks
the uploads of a request before anything is stored; ``upload_store`` then
stores each checked file with its record and appends the upload to the
topic's audit chain, inside the caller's locked transaction.
"""

import hashlib
import io
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import models
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps

from core.audit import audit_record
from core.text import join_list

# MIME type as ``filetype`` detects it -> the extension a stored copy gets.
IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    **IMAGE_TYPES,
}


class FileKind(models.TextChoices):
    IMAGE = "image", gettext_lazy("图片")
    DOCUMENT = "document", gettext_lazy("文件")


TYPES_OF_KIND = {FileKind.IMAGE: IMAGE_TYPES, FileKind.DOCUMENT: DOCUMENT_TYPES}
# Pillow's format name of each image type, to write it back the same way.
_PIL_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# A phone photo is about 12-50 megapixels; more is a decompression bomb.
IMAGE_MAX_PIXELS = 80_000_000
# Other spellings of an extension that name the same type.
_ALSO = {".jpg": (".jpeg",)}
NAME_MAX = 150
_CHUNK = 64 * 1024
# filetype looks at the first 261 bytes; Office's zip and OLE headers fit too.
_HEAD = 8192


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks; ``content`` is what will be stored."""

    name: str
    content_type: str
    size: int
    sha256: str
    content: File


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _checked_name(raw) -> str:
    name = unicodedata.normalize("NFC", str(raw or "")).strip()
    if (
        not name
        or "/" in name
        or "\\" in name
        or ".." in name
        or name.startswith(".")
        or any(unicodedata.category(c).startswith("C") for c in name)
    ):
        raise _refuse(_("文件名不合法，请改名后再上传。"))
    if len(name) > NAME_MAX:
        raise _refuse(_("文件名过长，请改名后再上传。"))
    return name


def _too_large(max_bytes: int) -> ValidationError:
    megabytes = f"{max_bytes / 1048576:g}"
    return _refuse(_("文件过大：超过了 %(mb)s MB 的大小上限。") % {"mb": megabytes})


def _measure(upload, max_bytes: int) -> tuple[bytes, int, str]:
    """The first bytes, the size and the SHA-256 of the upload, reading in
    chunks no more than one byte past the limit: a file on disk stays there."""
    if hasattr(upload, "seek"):
        upload.seek(0)
    head, total, digest = b"", 0, hashlib.sha256()
    while total <= max_bytes:
        block = upload.read(min(_CHUNK, max_bytes + 1 - total))
        if not block:
            break
        if len(head) < _HEAD:
            head += block[: _HEAD - len(head)]
        digest.update(block)
        total += len(block)
    if total > max_bytes:
        raise _too_large(max_bytes)
    return head, total, digest.hexdigest()


def _type_list(allowed: dict[str, str]) -> str:
    """The accepted extensions as words: "PDF、DOCX、JPG 或 PNG"."""
    labels = list(dict.fromkeys(e.lstrip(".").upper() for e in allowed.values()))
    if len(labels) == 1:
        return labels[0]
    return _("%(items)s 或 %(last)s") % {
        "items": join_list(labels[:-1]),
        "last": labels[-1],
    }


def _reencoded(upload, mime: str) -> bytes:
    """The image's pixels, upright, written anew without any metadata."""
    unreadable = _refuse(_("图片已损坏或无法识别，请重新拍摄或另存后再上传。"))
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            if image.width * image.height > IMAGE_MAX_PIXELS:
                raise _refuse(_("图片像素过多，请缩小后再上传。"))
            image.load()
            upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as bad:
        raise unreadable from bad
    # Only the pixels go into the new file: no exif=, icc_profile= or pnginfo=.
    fresh = Image.new(upright.mode, upright.size)
    fresh.paste(upright)
    if "transparency" in upright.info:
        fresh.info["transparency"] = upright.info["transparency"]
    if fresh.mode == "P":
        fresh.putpalette(upright.getpalette())
    fmt = _PIL_FORMAT[mime]
    if fmt == "JPEG" and fresh.mode not in ("RGB", "L"):
        fresh = fresh.convert("RGB")
    out = io.BytesIO()
    options = {"quality": 90} if fmt in ("JPEG", "WEBP") else {"optimize": True}
    try:
        fresh.save(out, format=fmt, **options)
    except (OSError, ValueError) as bad:
        raise unreadable from bad
    return out.getvalue()


def check_upload(upload, *, allowed: dict[str, str], max_bytes: int) -> CheckedFile:
    """Read and check an upload; raise ValidationError with a clear message.

    ``allowed`` maps each accepted MIME type to its extension. Nothing is
    stored: the caller saves ``content`` once every file of a request is
    checked. An image's ``content`` is its re-encoded copy; any other file's
    is the upload itself, read again in chunks when it is stored.
    """
    if upload is None:
        raise _refuse(_("请选择要上传的文件。"))
    name = _checked_name(getattr(upload, "name", ""))
    declared = getattr(upload, "size", None)
    if declared is not None and declared > max_bytes:
        raise _too_large(max_bytes)
    head, size, sha256 = _measure(upload, max_bytes)
    if not size:
        raise _refuse(_("文件是空的。"))
    kind = filetype.guess(head)
    mime = kind.mime if kind else ""
    extension = PurePosixPath(name).suffix.lower()
    accepted = {e for ext in allowed.values() for e in (ext, *_ALSO.get(ext, ()))}
    if mime not in allowed and extension not in accepted:
        raise _refuse(
            _("不允许上传这种类型的文件，只能上传 %(types)s。")
            % {"types": _type_list(allowed)}
        )
    if mime not in allowed or extension not in (
        allowed[mime],
        *_ALSO.get(allowed[mime], ()),
    ):
        raise _refuse(
            _("文件内容与扩展名不符，请检查后再上传（只能上传 %(types)s）。")
            % {"types": _type_list(allowed)}
        )
    stored_name = f"{uuid.uuid4().hex}{allowed[mime]}"
    if mime in IMAGE_TYPES:
        data = _reencoded(upload, mime)
        size, sha256 = len(data), hashlib.sha256(data).hexdigest()
        content = ContentFile(data, name=stored_name)
    else:
        upload.seek(0)
        content = File(upload, name=stored_name)
    return CheckedFile(
        name=name, content_type=mime, size=size, sha256=sha256, content=content
    )


def upload_check(uploads: Iterable, *, kind: FileKind) -> list[CheckedFile]:
    """Check every upload of a request before anything is stored, so a bad
    one stores nothing; each is limited to ``XST_UPLOAD_MAX_BYTES``."""
    allowed = TYPES_OF_KIND[kind]
    limit = settings.XST_UPLOAD_MAX_BYTES
    return [check_upload(u, allowed=allowed, max_bytes=limit) for u in uploads or ()]


def stored_file_path(instance: "StoredFile", filename: str) -> str:
    """``<app>/<model>/<topic id>/<random><ext>``: the stored name never comes
    from the user, only the extension of the type detected from the content."""
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    meta = instance._meta
    folder = f"{meta.app_label}/{meta.model_name}/{instance.topic_id}"
    return f"{folder}/{uuid.uuid4().hex}{suffix}"


class StoredFile(models.Model):
    """A checked file of a topic, stored through the field's storage."""

    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("议题"),
    )
    file = models.FileField(
        gettext_lazy("文件"), upload_to=stored_file_path, max_length=200
    )
    name = models.CharField(gettext_lazy("文件名"), max_length=200)
    content_type = models.CharField(gettext_lazy("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(gettext_lazy("大小（字节）"))
    sha256 = models.CharField(gettext_lazy("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("上传人"),
    )
    uploaded_at = models.DateTimeField(gettext_lazy("上传时间"), default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


FILE_FIELDS = ("name", "content_type", "size", "sha256")


def upload_store(
    record: StoredFile,
    checked: CheckedFile,
    *,
    actor,
    verb: str,
    after: dict | None = None,
) -> StoredFile:
    """Store a checked file as ``record`` and append the upload to its topic's
    chain (what ``topics.records.topic_event`` does; core sits below topics).

    Runs inside the caller's ``topic_write``, with ``record.topic`` the locked
    topic; ``after`` adds what the record is for (the material, the session).
    """
    record.name = checked.name
    record.content_type = checked.content_type
    record.size = checked.size
    record.sha256 = checked.sha256
    record.uploaded_by = actor
    record.file.save(checked.content.name, checked.content, save=False)
    record.save()
    audit_record(
        subject=record.topic,
        actor=actor,
        verb=verb,
        data={
            "after": {**(after or {}), **{f: getattr(record, f) for f in FILE_FIELDS}}
        },
        record=record,
    )
    return record


def _disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback and the RFC 5987 UTF-8 name."""
    clean = (
        "".join(
            "_" if c in '/\\"' or unicodedata.category(c).startswith("C") else c
            for c in unicodedata.normalize("NFC", name or "")
        ).strip()
        or "download"
    )
    fallback = "".join(c if c.isascii() and c != "%" else "_" for c in clean)
    return (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(clean, safe='')}"
    )


def file_response(fieldfile, *, name: str, content_type: str) -> FileResponse:
    """Serve a stored file as a download under its original name.

    Only a type this module accepts is named as such; anything else goes out
    as ``application/octet-stream``, so no stored file is ever read as HTML.
    """
    try:
        handle = fieldfile.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    if content_type not in DOCUMENT_TYPES:
        content_type = "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = _disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
