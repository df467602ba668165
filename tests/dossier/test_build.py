"""Building a dossier: constant queries whatever the records, and bad data
(rare characters, long texts, a missing file, a corrupt image) still renders
with the unreadable part marked."""

import subprocess

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dossier.builder import build_html, chain_head, context
from dossier.pdf import render
from feedback.models import Attachment, AttachmentPurpose, ProgressReport, Task
from tests.factories import (
    FeedbackProgressFactory,
    FeedbackTaskFactory,
    ParticipantFactory,
    TopicFactory,
)
from tests.feedback.conftest import add_opinions
from topics.states import State

pytestmark = pytest.mark.django_db


def pdftotext(data: bytes) -> str:
    """Poppler's text of the PDF: it maps every CJK glyph, rare ones included."""
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def grown(opinions: int, tasks: int, reports: int):
    topic = TopicFactory(state=State.FEEDBACK)
    participants = [ParticipantFactory(topic=topic) for _ in range(3)]
    add_opinions(topic, opinions, participants=participants)
    made = [FeedbackTaskFactory(topic=topic) for _ in range(tasks)]
    for i in range(reports):
        FeedbackProgressFactory(task=made[i % len(made)])
    return topic


def queries_for(topic) -> int:
    with CaptureQueriesContext(connection) as captured:
        build_html(topic)
    return len(captured.captured_queries)


def test_building_the_html_takes_constant_queries():
    queries_for(grown(1, 1, 1))  # warm the content-type cache
    small = queries_for(grown(3, 1, 1))
    big = grown(300, 20, 50)
    assert ProgressReport.objects.filter(task__topic=big).count() == 50
    assert Task.objects.filter(topic=big).count() == 20
    assert queries_for(big) == small


def test_rare_characters_long_texts_missing_and_corrupt_files_still_render():
    topic = grown(3, 1, 1)
    topic.title = "𠮷野家𡈼村 🌾 路灯 LED 2026 年"
    topic.description = "很长的说明。" * 2000
    topic.save(update_fields=["title", "description"])
    report = ProgressReport.objects.filter(task__topic=topic).first()
    corrupt = Attachment(
        topic=topic,
        purpose=AttachmentPurpose.PROGRESS,
        report=report,
        name="坏图片.jpg",
        content_type="image/jpeg",
        size=10,
        sha256="0" * 64,
        uploaded_at=timezone.now(),
    )
    corrupt.file.save("bad.jpg", ContentFile(b"not a jpeg"), save=False)
    corrupt.save()
    missing = Attachment(
        topic=topic,
        purpose=AttachmentPurpose.PROGRESS,
        report=report,
        name="丢失的照片.png",
        content_type="image/png",
        size=10,
        sha256="1" * 64,
        uploaded_at=timezone.now(),
        file="feedback/nowhere.png",
    )
    missing.save()
    html, data = build_html(topic)
    rendered = render(html)
    text = pdftotext(rendered.data).replace(" ", "").replace("\n", "")
    assert "图片无法读取：坏图片.jpg" in text
    assert "文件缺失：丢失的照片.png" in text
    assert "𠮷野家" in text and "LED2026" in text
    assert rendered.pages > 5


def test_the_chain_head_is_the_last_event():
    topic = TopicFactory()
    assert chain_head(topic).count == 0
    data = context(topic, exported_at=timezone.now(), head=chain_head(topic))
    assert data["head"].hash == ""
