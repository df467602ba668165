"""The 一事一档 PDF: every step's records in order, in Chinese, with a CJK font
embedded, reused until the chain head moves, and made once on archiving."""

import io

import pytest
from pypdf import PdfReader

from committees.models import Role
from dossier import services
from dossier.models import DossierExport, ExportStatus
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def text_of(export) -> str:
    with export.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def fonts_of(reader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font") or {}
        for ref in fonts.values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


@pytest.fixture
def admin(township):
    return user_with_role(Role.ADMINISTRATOR, township)


def test_archiving_makes_the_dossier_once(archived):
    exports = DossierExport.objects.filter(topic=archived)
    assert exports.count() == 1
    assert exports.get().status == ExportStatus.DONE


def test_the_dossier_holds_each_step_in_order_in_chinese(archived, admin):
    export = services.dossier_now(actor=admin, topic_id=archived.pk)
    text, reader = text_of(export)
    markers = [
        "一事一档",
        "目录",
        "第1步",
        "村集体鱼塘承包方案",
        "第2步",
        "参与协商对象",
        "第3步",
        "第4步",
        "与土地承包法规定不符",
        "公开招标承包，期限五年",
        "第5步",
        "公示",
        "附件清单",
        "审计记录",
        "核验信息",
    ]
    positions = []
    compact = text.replace(" ", "").replace("\n", "")
    for marker in markers:
        where = compact.find(marker.replace(" ", ""), positions[-1] if positions else 0)
        assert where >= 0, marker
        positions.append(where)
    assert any("CJK" in name or "Noto" in name for name in fonts_of(reader))
    meta = reader.metadata
    assert meta["/xsttopic"] == str(archived.pk)
    assert int(meta["/xstevents"]) == export.head_count
    assert len(reader.outline) >= 5


def test_an_export_is_reused_until_the_head_moves(archived, admin, clerk):
    first = services.dossier_now(actor=admin, topic_id=archived.pk)
    again = services.dossier_request(actor=admin, topic_id=archived.pk)
    assert again.pk == first.pk
    from feedback.services import topic_note_append

    topic_note_append(actor=clerk, topic_id=archived.pk, text="补充：鱼塘已验收。")
    newer = services.dossier_now(actor=admin, topic_id=archived.pk)
    assert newer.pk != first.pk
    assert newer.head_count == first.head_count + 1


def test_no_cjk_font_refuses_with_the_install_line(archived, admin, monkeypatch):
    from dossier import pdf

    monkeypatch.setattr(pdf, "cjk_fonts", lambda: ())
    with pytest.raises(pdf.DossierError, match="fonts-noto-cjk"):
        services.dossier_request(actor=admin, topic_id=archived.pk)
