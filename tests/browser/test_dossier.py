"""The administrator exports a topic's 一事一档 from its page and downloads the
PDF; its first page, rendered by pdftoppm, is kept as an artifact."""

import subprocess

import pytest

from committees.models import Role
from tests.factories import VillageFactory, user_with_role
from tests.feedback.helpers import walk_to_archive

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_administrator_exports_and_downloads_the_dossier(
    open_page, live_server, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    village = VillageFactory()
    topic = walk_to_archive(
        village=village,
        clerk=user_with_role(Role.VILLAGE_CLERK, village),
        secretary=user_with_role(Role.VILLAGE_SECRETARY, village),
        town_clerk=user_with_role(Role.TOWNSHIP_CLERK, village.parent),
        resident=user_with_role(Role.RESIDENT, village),
    )
    admin = user_with_role(Role.ADMINISTRATOR, village.parent)

    page = open_page(admin)
    page.goto(f"{live_server.url}/topics/{topic.pk}/")
    page.click("#dossier button[type=submit]")
    page.wait_for_load_state("networkidle")
    link = page.locator("a:has-text('下载 PDF')")
    assert link.is_visible()
    page.screenshot(path=str(tmp_path / "dossier-status.png"), full_page=True)
    with page.expect_download() as download_info:
        link.click()
    pdf = tmp_path / "dossier.pdf"
    download_info.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF-")

    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf),
            str(tmp_path / "dossier-page"),
        ],
        check=True,
    )
    first = next(tmp_path.glob("dossier-page*.png"))
    assert first.stat().st_size > 5_000, "the first page is blank"
