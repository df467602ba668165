"""Uploaded files, the one set of rules for every app that takes them.

A file is checked before anything is stored: its name may not carry a path or
control characters, its size is limited (and never more than the limit is
read), and its type is detected from the bytes with ``filetype`` (never from
the name or the browser's claim) and must agree with its extension. A file is
served back only as a download, never rendered by the browser.
"""

import hashlib
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

import filetype
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from core.text import join_list

# MIME type as ``filetype`` detects it -> the extension a stored copy gets.
IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png"}
DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    **IMAGE_TYPES,
}
# Word 97-2003 and Excel 97-2003 files, still common in village offices.
LEGACY_OFFICE_TYPES = {
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
}
WEBP_TYPES = {"image/webp": ".webp"}
# Other spellings of an extension that name the same type.
_ALSO = {".jpg": (".jpeg",)}
NAME_MAX = 150
_CHUNK = 64 * 1024
_KNOWN = {**DOCUMENT_TYPES, **LEGACY_OFFICE_TYPES, **WEBP_TYPES}


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int
    sha256: str
    content: ContentFile


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


def _read_at_most(upload, max_bytes: int) -> bytes:
    """The file's bytes, reading no more than one byte past the limit."""
    if hasattr(upload, "seek"):
        upload.seek(0)
    parts, total = [], 0
    while total <= max_bytes:
        block = upload.read(min(_CHUNK, max_bytes + 1 - total))
        if not block:
            break
        parts.append(block)
        total += len(block)
    if total > max_bytes:
        raise _too_large(max_bytes)
    return b"".join(parts)


def _type_list(allowed: dict[str, str]) -> str:
    """The accepted extensions as words: "PDF、DOCX、JPG 或 PNG"."""
    labels = list(dict.fromkeys(e.lstrip(".").upper() for e in allowed.values()))
    if len(labels) == 1:
        return labels[0]
    return _("%(items)s 或 %(last)s") % {
        "items": join_list(labels[:-1]),
        "last": labels[-1],
    }


def check_upload(upload, *, allowed: dict[str, str], max_bytes: int) -> CheckedFile:
    """Read and check an upload; raise ValidationError with a clear message.

    ``allowed`` maps each accepted MIME type to its extension. Nothing is
    stored: the caller saves ``content`` (under a random name with the
    extension of the detected type) once every file of a request is checked.
    """
    if upload is None:
        raise _refuse(_("请选择要上传的文件。"))
    name = _checked_name(getattr(upload, "name", ""))
    declared = getattr(upload, "size", None)
    if declared is not None and declared > max_bytes:
        raise _too_large(max_bytes)
    data = _read_at_most(upload, max_bytes)
    if not data:
        raise _refuse(_("文件是空的。"))
    kind = filetype.guess(data)
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
    return CheckedFile(
        name=name,
        content_type=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=ContentFile(data, name=f"{uuid.uuid4().hex}{allowed[mime]}"),
    )


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
    if content_type not in _KNOWN:
        content_type = "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = _disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
