"""Uploads of feedback records: type from the content, size limit, SHA-256.

The same rules as consult's materials: the type is detected from the bytes
with ``filetype`` (never from the name or the browser's claim), the size is
limited by ``XST_FEEDBACK_UPLOAD_MAX_BYTES``, the name may not carry a path,
and the file is served only through ``feedback.views.attachment_download``.
"""

import hashlib
import os
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png"}
NAME_MAX = 200


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int
    sha256: str
    content: ContentFile


def check_upload(upload, *, images_only: bool = False) -> CheckedFile:
    """Read and check an uploaded file; raise ValidationError with a clear message."""
    allowed = IMAGE_TYPES if images_only else DOCUMENT_TYPES
    name = (getattr(upload, "name", "") or "").strip()
    if (
        not name
        or "/" in name
        or "\\" in name
        or ".." in name
        or any(ord(c) < 32 for c in name)
        or len(name) > NAME_MAX
    ):
        raise ValidationError({"file": [_("文件名不合规，请改名后再上传。")]})
    limit = settings.XST_FEEDBACK_UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            {"file": [_("文件超过大小上限（%(mb)d MB）。") % {"mb": limit // 1048576}]}
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            {"file": [_("文件超过大小上限（%(mb)d MB）。") % {"mb": limit // 1048576}]}
        )
    if not data:
        raise ValidationError({"file": [_("文件是空的。")]})
    kind = filetype.guess(data)
    mime = kind.mime if kind else ""
    if mime not in allowed:
        if images_only:
            message = _("只能上传 JPG 或 PNG 图片。")
        else:
            message = _(
                "只能上传 PDF、Word（docx）、Excel（xlsx）文件或 JPG、PNG 图片。"
            )
        raise ValidationError({"file": [message]})
    stem, ext = os.path.splitext(name)
    if ext.lower() not in {allowed[mime], ".jpeg" if mime == "image/jpeg" else ""}:
        raise ValidationError({"file": [_("文件扩展名与文件内容不符。")]})
    stored = ContentFile(data, name=f"{uuid.uuid4().hex}{allowed[mime]}")
    return CheckedFile(
        name=name,
        content_type=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=stored,
    )
