"""The dossier in the browser: the button, progress, download, verification page."""

import pytest
from django.test import Client
from django.urls import reverse

from committees.models import Role
from dossier.models import DossierExport
from tests.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin(archived):
    return user_with_role(Role.ADMINISTRATOR, archived.place.parent)


def test_the_administrator_exports_from_the_topic_page(archived, admin):
    client = client_for(admin)
    page = client.get(reverse("topics:detail", args=[archived.pk]))
    assert "导出一事一档" in page.content.decode()
    response = client.post(reverse("dossier:export", args=[archived.pk]), follow=True)
    assert response.status_code == 200
    export = DossierExport.objects.filter(topic=archived).latest("head_count")
    body = response.content.decode()
    assert "下载 PDF" in body
    download = client.get(reverse("dossier:download", args=[export.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize("role", [Role.VILLAGE_CLERK, Role.VILLAGE_SECRETARY])
def test_staff_without_the_permission_see_no_button_and_get_404(archived, role):
    user = user_with_role(role, archived.place)
    client = client_for(user)
    page = client.get(reverse("topics:detail", args=[archived.pk]))
    assert page.status_code == 200
    assert "导出一事一档" not in page.content.decode()
    assert client.post(reverse("dossier:export", args=[archived.pk])).status_code == 404
    export = DossierExport.objects.filter(topic=archived).first()
    assert client.get(reverse("dossier:download", args=[export.pk])).status_code == 404
    assert client.get(reverse("dossier:status", args=[export.pk])).status_code == 404


def test_another_townships_administrator_gets_404(archived):
    from tests.factories import TownshipFactory

    other = user_with_role(Role.ADMINISTRATOR, TownshipFactory())
    client = client_for(other)
    assert client.post(reverse("dossier:export", args=[archived.pk])).status_code == 404
    export = DossierExport.objects.filter(topic=archived).first()
    assert client.get(reverse("dossier:download", args=[export.pk])).status_code == 404


def test_anyone_learns_match_only_who_may_see_learns_more(archived, admin):
    export = DossierExport.objects.filter(topic=archived).first()
    with export.file.open("rb") as handle:
        data = handle.read()
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(client):
        return client.post(
            reverse("dossier:verify"),
            {"file": SimpleUploadedFile("d.pdf", data, "application/pdf")},
        )

    anonymous = upload(Client()).content.decode()
    assert "一致" in anonymous and archived.title not in anonymous
    staff = upload(client_for(admin)).content.decode()
    assert archived.title in staff
    stranger = upload(client_for(UserFactory())).content.decode()
    assert archived.title not in stranger


def test_a_non_pdf_on_the_verification_page_is_refused_with_a_message():
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = Client().post(
        reverse("dossier:verify"),
        {"file": SimpleUploadedFile("a.pdf", b"not a pdf", "application/pdf")},
    )
    assert response.status_code == 400
    assert "上传的文件不是 PDF" in response.content.decode()


def test_bulk_export_zips_the_places_dossiers_with_an_index(
    archived, admin, django_capture_on_commit_callbacks
):
    import io
    import zipfile

    from django.utils import timezone

    client = client_for(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("dossier:bulk"),
            {"place": archived.place.parent_id, "year": timezone.localdate().year},
        )
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert "下载 ZIP" in response.content.decode()
    from dossier.models import BulkExport

    bulk = BulkExport.objects.get()
    data = b"".join(
        client.get(reverse("dossier:bulk_download", args=[bulk.pk])).streaming_content
    )
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "index.xlsx" in names
    assert any(name.endswith(".pdf") for name in names)
