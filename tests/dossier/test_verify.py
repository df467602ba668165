"""verify_dossier: a match on an untouched dossier; otherwise the cause named."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from committees.models import Role
from core.models import AuditEvent
from dossier import services
from dossier.verify import Unreadable, explain, verify_pdf
from feedback.models import Attachment
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(archived):
    admin = user_with_role(Role.ADMINISTRATOR, archived.place.parent)
    export = services.dossier_now(actor=admin, topic_id=archived.pk)
    with export.file.open("rb") as handle:
        return archived, handle.read()


def test_an_untouched_dossier_matches(exported):
    _, data = exported
    result = verify_pdf(data)
    assert result.matches, result.findings
    assert explain(result) == ["一致：该文件与系统中的记录相符。"]


def test_an_audit_row_altered_with_raw_sql_is_named(exported):
    topic, data = exported
    event = AuditEvent.objects.for_subject(topic).order_by("seq")[3]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET reason = %s WHERE id = %s",
            ["改过的理由", event.pk],
        )
    result = verify_pdf(data)
    assert not result.matches
    assert any(
        "审计记录被改动" in f and f"第 {event.seq} 条" in f for f in result.findings
    )


def test_changed_attachment_bytes_name_the_file(exported):
    topic, data = exported
    attachment = Attachment.objects.filter(topic=topic).first()
    with attachment.file.open("wb") as handle:
        handle.write(b"%PDF-1.4 changed")
    result = verify_pdf(data)
    assert not result.matches
    assert any(attachment.name in f and "SHA-256" in f for f in result.findings)


def edit(data: bytes) -> bytes:
    """The PDF opened and saved again with one page's text changed."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.add_metadata({"/Title": "改过的标题"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_edited_pdf_does_not_match(exported):
    _, data = exported
    edited = edit(data)
    assert edited != data
    result = verify_pdf(edited)
    assert not result.matches
    assert any("导出后被修改" in f for f in result.findings)


def test_records_added_after_export_say_a_newer_dossier_exists(exported, clerk):
    from feedback.services import topic_note_append

    topic, data = exported
    topic_note_append(actor=clerk, topic_id=topic.pk, text="归档后补充说明。")
    result = verify_pdf(data)
    assert result.newer and not result.matches
    assert any("更新的一事一档" in line for line in explain(result))


@pytest.mark.parametrize(
    "data, message",
    [
        (b"hello", "不是 PDF"),
        (b"%PDF-1.4\n%%EOF", "PDF"),
    ],
)
def test_a_non_dossier_upload_is_refused(data, message):
    with pytest.raises(Unreadable, match=message):
        verify_pdf(data)


def test_an_encrypted_pdf_is_refused(exported):
    from pypdf import PdfReader, PdfWriter

    _, data = exported
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(Unreadable, match="加密"):
        verify_pdf(out.getvalue())


def test_the_command_exits_zero_only_for_a_match(exported, tmp_path, clerk):
    topic, data = exported
    path = tmp_path / "d.pdf"
    path.write_bytes(data)
    call_command("verify_dossier", str(path), stdout=io.StringIO())
    path.write_bytes(edit(data))
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_dossier", str(path), stdout=io.StringIO())
    assert exit_.value.code == 1
