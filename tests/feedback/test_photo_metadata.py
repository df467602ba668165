"""A 公示's posting photo is stored without its metadata (issue 16, item 3):
the anonymous download carries no GPS or camera, and the recorded SHA-256 is
that of the stored bytes."""

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from core.models import AuditEvent
from feedback import services
from feedback.models import Attachment

from .helpers import run_notice, to_feedback

pytestmark = pytest.mark.django_db

GPS, MAKE = 0x8825, 0x010F


def photo_with_gps() -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "ShanZhai Phone"
    exif[GPS] = {1: "N", 2: (30.0, 15.0, 7.5), 3: "E", 4: (120.0, 9.0, 3.0)}
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 90, 200)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_posting_photo_is_downloaded_without_gps_or_camera(adopting, clerk, secretary):
    to_feedback(adopting, clerk, secretary)
    notice = run_notice(adopting, clerk)
    original = photo_with_gps()
    photo = services.public_notice_photo_add(
        actor=clerk,
        notice_id=notice.pk,
        upload=SimpleUploadedFile("张贴.jpg", original, content_type="image/jpeg"),
    )
    response = Client().get(
        reverse("public_notice_file", args=[notice.public_id, photo.pk])
    )
    assert response.status_code == 200
    served = b"".join(response.streaming_content)
    assert served != original and b"ShanZhai" not in served
    image = Image.open(io.BytesIO(served))
    assert not image.getexif() and not image.getexif().get_ifd(GPS)
    assert photo.sha256 == hashlib.sha256(served).hexdigest()
    assert photo.size == len(served)
    event = AuditEvent.objects.get(verb="attachment_add", record_id=photo.pk)
    assert event.data["after"]["sha256"] == photo.sha256


def test_a_corrupt_posting_photo_is_refused_and_nothing_stored(
    adopting, clerk, secretary
):
    to_feedback(adopting, clerk, secretary)
    notice = run_notice(adopting, clerk)
    broken = SimpleUploadedFile("张贴.jpg", photo_with_gps()[:200])
    with pytest.raises(ValidationError, match="图片已损坏或无法识别"):
        services.public_notice_photo_add(
            actor=clerk, notice_id=notice.pk, upload=broken
        )
    assert not Attachment.objects.exists()
