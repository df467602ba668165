"""The size of a whole request (core.middleware.RequestSizeMiddleware): too
many bytes or too many files are refused with a Chinese page before any view
runs, and nothing is stored."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from feedback.models import Attachment, PublicNotice

from .helpers import PDF, to_feedback

pytestmark = pytest.mark.django_db

KIB = 1024


@pytest.fixture
def poster(adopting, clerk, secretary, settings):
    to_feedback(adopting, clerk, secretary)
    # Scaled down from 50 MiB and 20 MiB: three files each under the file
    # limit, together over the request limit.
    settings.XST_REQUEST_MAX_BYTES = 100 * KIB
    settings.XST_UPLOAD_MAX_BYTES = 40 * KIB
    client = Client()
    client.force_login(clerk)

    def post(files):
        now = timezone.localtime()
        return client.post(
            reverse("feedback:public_notice_create", args=[adopting.pk]),
            {
                "subject": "decision",
                "title": "关于道路加宽的公示",
                "body": "决策方案如下。",
                "places": [adopting.place_id],
                "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
                "ends_at": (now + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M"),
                "files": files,
            },
        )

    return post


def big_pdf(n: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"附件{n}.pdf", PDF + b"0" * (39 * KIB))


def test_three_big_files_in_one_post_are_refused_with_413(poster):
    response = poster([big_pdf(n) for n in range(3)])
    assert response.status_code == 413
    assert "提交的内容过大" in response.text
    assert "没有保存任何内容" in response.text
    assert not PublicNotice.objects.exists()
    assert not Attachment.objects.exists()


def test_two_of_the_same_files_pass(poster):
    response = poster([big_pdf(n) for n in range(2)])
    assert response.status_code == 302
    assert Attachment.objects.count() == 2


def test_too_many_files_in_one_post_are_refused_with_400(poster, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    small = [SimpleUploadedFile(f"{n}.pdf", PDF) for n in range(4)]
    response = poster(small)
    assert response.status_code == 400
    assert "一次上传的文件过多：最多 3 个" in response.text
    assert not PublicNotice.objects.exists()
    assert not Attachment.objects.exists()


def test_the_request_limit_matches_nginx_in_the_readme(settings):
    from pathlib import Path

    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    megabytes = settings.XST_REQUEST_MAX_BYTES // (1024 * 1024)
    assert f"client_max_body_size {megabytes}m;" in readme


def test_files_beyond_the_threshold_are_streamed_to_disk(settings, rf):
    threshold = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    assert threshold <= 1024 * KIB
    small = SimpleUploadedFile("a.pdf", PDF)
    big = SimpleUploadedFile("b.pdf", PDF + b"0" * threshold)
    # Django decides by the length of the whole request.
    on_disk = rf.post("/", {"file": big}).FILES["file"]
    in_memory = rf.post("/", {"file": small}).FILES["file"]
    assert isinstance(on_disk, TemporaryUploadedFile)
    assert not isinstance(in_memory, TemporaryUploadedFile)
