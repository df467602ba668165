"""Consult's files as core.uploads.StoredFile: sign-in photos and image
materials stored without metadata, and every stored file of a topic in one
query for the dossier."""

import hashlib
import io

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from consult import services
from consult.models import MaterialVersion, SignInPhoto
from core.models import AuditEvent
from core.uploads import FILE_FIELDS, StoredFile
from feedback.models import Attachment, AttachmentPurpose
from topics.states import State

from .conftest import in_days, move, pdf, plan

pytestmark = pytest.mark.django_db

GPS, MAKE = 0x8825, 0x010F


def photo_with_gps(name: str = "签到表.jpg") -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[MAKE] = "ShanZhai Phone"
    exif[GPS] = {1: "N", 2: (30.0, 15.0, 7.5), 3: "E", 4: (120.0, 9.0, 3.0)}
    out = io.BytesIO()
    Image.new("RGB", (30, 40), (250, 250, 250)).save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def stored_bytes(record) -> bytes:
    with record.file.open("rb") as handle:
        return handle.read()


def assert_clean(record) -> None:
    data = stored_bytes(record)
    assert b"ShanZhai" not in data
    image = Image.open(io.BytesIO(data))
    assert not image.getexif() and not image.getexif().get_ifd(GPS)
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.size == len(data)


@pytest.fixture
def held(clerk, topic, participant):
    session = plan(clerk, topic, days=1)
    move(topic, State.CONSULTING)
    with time_machine.travel(in_days(1.01), tick=False):
        yield session


def test_sign_in_photo_is_stored_without_gps_and_hashed_as_stored(clerk, held):
    photo = services.photo_upload(
        actor=clerk, session_id=held.pk, upload=photo_with_gps()
    )
    photo.refresh_from_db()
    assert photo.name == "签到表.jpg" and photo.uploaded_by == clerk
    assert_clean(photo)
    event = AuditEvent.objects.get(verb="photo_upload", record_id=photo.pk)
    assert event.data["after"]["sha256"] == photo.sha256
    assert event.data["after"]["session"] == held.pk


def test_an_image_material_is_stored_without_gps(clerk, topic):
    version = services.material_upload(
        actor=clerk, topic_id=topic.pk, upload=photo_with_gps("现场.jpg")
    )
    assert_clean(version)


def test_stored_files_share_the_columns_and_reach_their_topic():
    for model in (MaterialVersion, SignInPhoto, Attachment):
        assert issubclass(model, StoredFile)
        assert model._meta.get_field("topic").related_model._meta.label == (
            "topics.Topic"
        )
        for field in (*FILE_FIELDS, "file", "uploaded_by", "uploaded_at"):
            assert model._meta.get_field(field).model is model


def test_a_topics_files_are_listed_in_one_query(
    clerk, topic, held, django_assert_num_queries
):
    services.material_upload(actor=clerk, topic_id=topic.pk, upload=pdf())
    services.photo_upload(actor=clerk, session_id=held.pk, upload=photo_with_gps())
    attachment = Attachment(
        topic=topic, purpose=AttachmentPurpose.DECISION, name="决策.pdf", size=3
    )
    attachment.file.save("x.pdf", ContentFile(b"%PD"), save=False)
    attachment.sha256 = "0" * 64
    attachment.save()
    columns = ("pk", *FILE_FIELDS, "uploaded_at")
    manifest = (
        MaterialVersion.objects.filter(topic=topic)
        .order_by()
        .values(*columns)
        .union(
            SignInPhoto.objects.filter(topic=topic).order_by().values(*columns),
            Attachment.objects.filter(topic=topic).order_by().values(*columns),
            all=True,
        )
        .order_by("uploaded_at")
    )
    with django_assert_num_queries(1):
        names = sorted(row["name"] for row in manifest)
    assert names == ["决策.pdf", "方案.pdf", "签到表.jpg"]
