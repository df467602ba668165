"""A participant, a responsible person and a resident are shown only links they
may follow (issue 16, item 10): every link on their pages answers, none is a
staff page that tells them 404 or 403."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from committees.models import Role
from committees.services import person_for_user
from consult import services as consult
from feedback import services as feedback
from tests.factories import (
    ParticipantFactory,
    SessionFactory,
    TopicFactory,
    VillageFactory,
    user_with_role,
)
from tests.feedback.conftest import add_opinions, add_participants
from tests.feedback.helpers import png, run_notice, to_feedback
from topics.catalogue import Category
from topics.states import State

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def place():
    village = VillageFactory()
    return {
        "village": village,
        "clerk": user_with_role(Role.VILLAGE_CLERK, village),
        "secretary": user_with_role(Role.VILLAGE_SECRETARY, village),
        "participant": user_with_role(Role.MEMBER, village),
        "responsible": user_with_role(Role.MEMBER, village),
        "resident": user_with_role(Role.RESIDENT, village),
    }


@pytest.fixture
def pages(place):
    """The places' pages each identity goes to, with real records behind them."""
    village, clerk = place["village"], place["clerk"]
    member = person_for_user(place["participant"])

    preparing = TopicFactory(place=village, state=State.PREPARING)
    meeting = consult.session_plan(
        actor=clerk,
        topic_id=preparing.pk,
        form="v_meeting",
        starts_at=timezone.now() + timedelta(days=10),
        ends_at=timezone.now() + timedelta(days=10, hours=2),
        location="村委会会议室",
        agenda="方案说明。",
        host="李书记",
    )
    ParticipantFactory(topic=preparing, person=member)
    ParticipantFactory(topic=preparing)
    consult.material_upload(
        actor=clerk,
        topic_id=preparing.pk,
        upload=SimpleUploadedFile("方案.pdf", PDF, content_type="application/pdf"),
    )
    consult.meeting_notice_send(actor=clerk, topic_id=preparing.pk)

    consulting = TopicFactory(place=village, state=State.CONSULTING)
    ParticipantFactory(topic=consulting, person=member)
    written = SessionFactory(
        topic=consulting,
        form="v_written",
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(days=1),
    )
    closed = SessionFactory(
        topic=consulting,
        form="v_written",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=1),
    )
    photo_meeting = SessionFactory(
        topic=consulting,
        form="v_meeting",
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    consult.photo_upload(
        actor=clerk,
        session_id=photo_meeting.pk,
        upload=SimpleUploadedFile("签到表.png", png().read(), content_type="image/png"),
    )

    implementing = TopicFactory(
        place=village, state=State.ADOPTING, category=Category.V2
    )
    add_participants(implementing, 2)
    add_opinions(implementing, 2)
    to_feedback(implementing, clerk, place["secretary"])
    task = feedback.task_create(
        actor=clerk,
        topic_id=implementing.pk,
        description="组织施工",
        responsible_id=person_for_user(place["responsible"]).pk,
        deadline=timezone.localdate() + timedelta(days=10),
    )
    feedback.progress_report(
        actor=place["responsible"],
        task_id=task.pk,
        percent=20,
        reported_on=timezone.localdate(),
        note="已备料。",
        files=[png()],
    )
    notice = run_notice(implementing, clerk)
    feedback.public_notice_photo_add(actor=clerk, notice_id=notice.pk, upload=png())
    feedback.response_submit(
        actor=place["resident"],
        public_id=notice.public_id,
        kind="opinion",
        content="支持。",
    )
    common = [
        reverse("dashboard"),
        reverse("consult:mine"),
        reverse("notifications:inbox"),
    ]
    public = [
        reverse("public_notices"),
        reverse("public_notice", args=[notice.public_id]),
    ]
    return {
        "participant": common
        + [
            reverse("consult:prepare", args=[preparing.pk]),
            reverse("consult:session", args=[meeting.pk]),
            reverse("consult:prepare", args=[consulting.pk]),
            reverse("consult:session", args=[written.pk]),
            reverse("consult:session", args=[closed.pk]),
            reverse("consult:session", args=[photo_meeting.pk]),
        ]
        + public,
        "responsible": common + [reverse("feedback:my_tasks")] + public,
        "resident": common + public,
    }


def _links(html: str) -> set[str]:
    found = set()
    for href in HREF.findall(html):
        parts = urlsplit(href.replace("&amp;", "&"))
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith("/static/"):
            continue
        found.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


@pytest.mark.parametrize("identity", ["participant", "responsible", "resident"])
def test_every_link_on_their_pages_answers(place, pages, identity):
    client = Client(raise_request_exception=False)
    client.force_login(place[identity])
    broken = []
    followed: set[str] = set()
    for page in pages[identity]:
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        for link in sorted(_links(response.content.decode()) - followed):
            followed.add(link)
            status = client.get(link).status_code
            if status in (403, 404):
                broken.append(f"{page} → {link}: {status}")
    assert not broken, "\n".join(broken)
    assert len(followed) > 5
