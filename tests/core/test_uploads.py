"""core/uploads.py: every refusal of an upload, images stored without their
metadata, and how a stored file is served."""

import hashlib
import io
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.http import Http404
from PIL import Image, PngImagePlugin

from core import uploads
from core.uploads import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    NAME_MAX,
    FileKind,
    check_upload,
    file_response,
    upload_check,
)

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# The signature of a PNG without a picture: recognised by type, not readable.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def image_bytes(fmt: str = "JPEG", size=(4, 2), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt, **save)
    return out.getvalue()


JPEG = image_bytes()
HTML = b"<html><script>alert(1)</script></html>"
LIMIT = 1024


def check(upload, allowed=DOCUMENT_TYPES, max_bytes=LIMIT):
    return check_upload(upload, allowed=allowed, max_bytes=max_bytes)


def refusal(upload, **kwargs) -> str:
    with pytest.raises(ValidationError) as refused:
        check(upload, **kwargs)
    assert list(refused.value.message_dict) == ["file"]
    return " ".join(refused.value.messages)


class CountingReader(io.BytesIO):
    """A file that claims no size and counts the bytes read from it."""

    name = "big.pdf"
    size = None

    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, n=-1):
        block = super().read(n)
        self.bytes_read += len(block)
        return block


def test_accepted_file_is_described_and_nothing_is_stored(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    checked = check(SimpleUploadedFile("方案.pdf", PDF))
    assert checked.name == "方案.pdf"
    assert checked.content_type == "application/pdf"
    assert checked.size == len(PDF)
    assert checked.sha256 == hashlib.sha256(PDF).hexdigest()
    assert checked.content.read() == PDF
    # The stored name is random, with the extension of the detected type.
    assert checked.content.name.endswith(".pdf") and "方案" not in checked.content.name
    assert not any(tmp_path.iterdir()), "checking must store nothing"


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [("照片.jpeg", JPEG, "image/jpeg"), ("照片.JPG", JPEG, "image/jpeg")],
)
def test_jpeg_may_be_named_jpg_or_jpeg_in_any_case(name, content, mime):
    checked = check(SimpleUploadedFile(name, content), allowed=IMAGE_TYPES)
    assert checked.content_type == mime
    assert checked.content.name.endswith(".jpg")


def test_one_type_table_per_purpose():
    """Photos are JPG, PNG or WebP; documents add PDF, Word and Excel, the
    97-2003 formats included, for every document purpose alike."""
    assert set(IMAGE_TYPES.values()) == {".jpg", ".png", ".webp"}
    assert set(DOCUMENT_TYPES.values()) == {
        ".pdf",
        ".docx",
        ".xlsx",
        ".doc",
        ".xls",
        ".jpg",
        ".png",
        ".webp",
    }
    assert uploads.TYPES_OF_KIND == {
        FileKind.IMAGE: IMAGE_TYPES,
        FileKind.DOCUMENT: DOCUMENT_TYPES,
    }


def test_no_file_is_refused():
    assert "请选择要上传的文件" in refusal(None)


def test_empty_file_is_refused():
    assert "文件是空的" in refusal(SimpleUploadedFile("a.pdf", b""))


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../a.pdf",
        "dir/a.pdf",
        "..\\a.pdf",
        "C:\\tmp\\a.pdf",
        "a\x07.pdf",
        "a\x00.pdf",
        "a\n.pdf",
        "a\u202e.fdp",  # right-to-left override hides the real extension
        ".pdf",
    ],
)
def test_name_with_a_path_or_control_characters_is_refused(name):
    # ContentFile keeps the name as given; a browser upload's path is cut off
    # by Django, but a name from elsewhere is not.
    assert "文件名不合法" in refusal(ContentFile(PDF, name=name))


def test_too_long_name_is_refused():
    name = "长" * (NAME_MAX - 3) + ".pdf"
    assert "文件名过长" in refusal(SimpleUploadedFile(name, PDF))
    assert check(SimpleUploadedFile(name[1:], PDF)).name == name[1:]


def test_declared_size_over_the_limit_is_refused_without_reading():
    class Huge:
        name = "a.pdf"
        size = LIMIT + 1

        def read(self, n=-1):
            raise AssertionError("must not read a file declared too large")

    message = refusal(Huge())
    assert "文件过大" in message and "大小上限" in message


def test_size_is_measured_reading_at_most_one_byte_past_the_limit():
    reader = CountingReader(PDF + b"0" * (10 * LIMIT))
    assert "文件过大" in refusal(reader)
    assert reader.bytes_read == LIMIT + 1


def test_file_of_exactly_the_limit_is_accepted():
    data = PDF + b"0" * (LIMIT - len(PDF))
    assert check(CountingReader(data)).size == LIMIT


@pytest.mark.parametrize(
    ("name", "content"),
    [("a.html", HTML), ("x.exe", b"MZ\x90\x00" + b"\x00" * 60), ("a.txt", b"hi")],
)
def test_type_not_allowed_is_refused_and_the_allowed_ones_named(name, content):
    message = refusal(SimpleUploadedFile(name, content))
    assert "不允许上传" in message and "只能上传" in message
    assert "PDF" in message and "DOCX" in message and "PNG" in message


def test_images_only_names_the_image_types():
    message = refusal(SimpleUploadedFile("方案.pdf", PDF), allowed=IMAGE_TYPES)
    assert "JPG、PNG 或 WEBP" in message


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.pdf", HTML),  # HTML disguised as a PDF
        ("a.png", PDF),  # an allowed type under another allowed extension
        ("photo.jpg", PDF),
        ("a.gif", PNG),  # an allowed type under an extension not allowed
        ("noextension", PDF),
    ],
)
def test_extension_that_does_not_match_the_content_is_refused(name, content):
    message = refusal(SimpleUploadedFile(name, content))
    assert "内容与扩展名不符" in message and "只能上传" in message


def test_browser_claimed_type_is_ignored():
    upload = SimpleUploadedFile("a.pdf", HTML, content_type="application/pdf")
    assert "内容与扩展名不符" in refusal(upload)


def test_one_size_limit_for_every_purpose(settings):
    settings.XST_UPLOAD_MAX_BYTES = len(PDF) - 1
    for kind in FileKind:
        with pytest.raises(ValidationError, match="文件过大"):
            upload_check([SimpleUploadedFile("a.pdf", PDF)], kind=kind)
    settings.XST_UPLOAD_MAX_BYTES = len(PDF)
    (checked,) = upload_check([SimpleUploadedFile("a.pdf", PDF)], kind="document")
    assert checked.size == len(PDF)


def test_a_document_on_disk_is_stored_from_disk_not_read_into_memory():
    upload = TemporaryUploadedFile("方案.pdf", "application/pdf", len(PDF), None)
    upload.write(PDF)
    checked = check(upload)
    assert checked.content.file is upload
    assert checked.sha256 == hashlib.sha256(PDF).hexdigest()
    upload.close()


# -- images: re-encoded without metadata


GPS = 0x8825
MAKE, MODEL, ORIENTATION = 0x010F, 0x0110, 0x0112


def photo_with_gps(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "ShanZhai Phone"
    exif[MODEL] = "X1"
    exif[ORIENTATION] = orientation
    exif[GPS] = {1: "N", 2: (30.0, 15.0, 7.5), 3: "E", 4: (120.0, 9.0, 3.0)}
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 120, 60)).save(
        out, format="JPEG", exif=exif, comment=b"taken at home"
    )
    return out.getvalue()


def test_a_photo_is_stored_without_exif_gps_or_camera():
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS), "fixture"
    checked = check(SimpleUploadedFile("签到表.jpg", original), allowed=IMAGE_TYPES)
    stored = checked.content.read()
    assert stored != original
    assert b"ShanZhai" not in stored and b"taken at home" not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert "exif" not in image.info and "comment" not in image.info
    assert checked.sha256 == hashlib.sha256(stored).hexdigest()
    assert checked.size == len(stored)
    assert checked.content.name.endswith(".jpg")


def test_the_exif_orientation_is_applied_to_the_pixels():
    # 6 = the phone was held upright: the stored picture is turned, not tagged.
    checked = check(
        SimpleUploadedFile("竖拍.jpg", photo_with_gps(orientation=6)),
        allowed=IMAGE_TYPES,
    )
    image = Image.open(checked.content)
    assert image.size == (20, 40)
    assert ORIENTATION not in image.getexif()


def test_an_image_among_documents_is_re_encoded_too():
    checked = check(SimpleUploadedFile("现场.jpg", photo_with_gps()))
    assert not Image.open(checked.content).getexif()


def test_png_text_and_icc_profile_are_dropped_and_transparency_kept():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "GPS 30.25N 120.15E")
    out = io.BytesIO()
    Image.new("RGBA", (3, 3), (0, 0, 0, 0)).save(
        out, format="PNG", pnginfo=info, icc_profile=b"\x00" * 128
    )
    checked = check(SimpleUploadedFile("张贴.png", out.getvalue()), allowed=IMAGE_TYPES)
    image = Image.open(checked.content)
    assert "Comment" not in image.info and "icc_profile" not in image.info
    assert image.mode == "RGBA" and image.getpixel((0, 0))[3] == 0


def test_webp_is_accepted_and_re_encoded():
    checked = check(
        SimpleUploadedFile("微信图片.webp", image_bytes("WEBP")), allowed=IMAGE_TYPES
    )
    assert checked.content_type == "image/webp"
    assert Image.open(checked.content).format == "WEBP"


@pytest.mark.parametrize(
    ("name", "content"),
    [("坏.png", PNG), ("坏.jpg", JPEG[: len(JPEG) // 3])],
)
def test_a_corrupt_image_is_refused_in_chinese(name, content):
    message = refusal(SimpleUploadedFile(name, content), allowed=IMAGE_TYPES)
    assert "图片已损坏或无法识别" in message


def test_an_image_with_too_many_pixels_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(uploads, "IMAGE_MAX_PIXELS", 7)
    message = refusal(SimpleUploadedFile("大.jpg", JPEG), allowed=IMAGE_TYPES)
    assert "像素过多" in message


# -- downloads


def served(name: str, content_type: str = "application/pdf", data: bytes = PDF):
    return file_response(
        File(io.BytesIO(data), name="x/abc123.bin"),
        name=name,
        content_type=content_type,
    )


def test_download_is_an_attachment_never_sniffed():
    response = served("方案.pdf")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


def test_download_name_is_rfc_5987_with_an_ascii_fallback():
    disposition = served("2026年 方案.pdf")["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == "2026年 方案.pdf"
    assert " " not in encoded and "年" not in encoded
    assert 'filename="2026_ __.pdf"' in disposition


@pytest.mark.parametrize(
    "name", ['a".pdf', "a\r\nSet-Cookie: x=1.pdf", "../../etc/passwd", "a\\b.pdf"]
)
def test_download_name_cannot_break_the_header(name):
    disposition = served(name)["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    fallback = disposition.split('filename="')[1].split('"; ')[0]
    assert '"' not in fallback and "/" not in fallback and "\\" not in fallback


@pytest.mark.parametrize("content_type", ["text/html", "image/svg+xml", ""])
def test_a_type_not_accepted_is_served_as_bytes(content_type):
    response = served("a.html", content_type=content_type, data=HTML)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_missing_stored_file_is_404():
    class Gone:
        def open(self, mode="rb"):
            raise FileNotFoundError

    with pytest.raises(Http404):
        file_response(Gone(), name="a.pdf", content_type="application/pdf")
