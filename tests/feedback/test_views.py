"""URL × role: what each user gets from each feedback page, and the public pages."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import Decision

from .helpers import pdf, png, run_notice, to_feedback, today

pytestmark = pytest.mark.django_db

ROLES = ["clerk", "secretary", "town_clerk", "town_secretary", "resident", "outsider"]


def browser(request, who) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    return client


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("clerk", 200),
        ("secretary", 200),
        ("town_clerk", 200),
        ("town_secretary", 200),
        ("resident", 404),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
@pytest.mark.parametrize("page", ["feedback:adopt", "feedback:implement"])
def test_step_pages_by_role(adopting, request, who, status, page):
    response = browser(request, who).get(reverse(page, args=[adopting.pk]))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("clerk", 302),
        ("secretary", 302),
        ("town_clerk", 403),
        ("town_secretary", 403),
        ("resident", 404),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_recording_a_decision_by_role(adopting, request, who, status):
    response = browser(request, who).post(
        reverse("feedback:decision", args=[adopting.pk]),
        {"meeting_date": today().isoformat(), "attendees": "x", "plan": "y"},
    )
    assert response.status_code == status
    assert Decision.objects.exists() == (who in ("clerk", "secretary"))


def test_forms_are_shown_only_to_who_may_record(adopting, request):
    url = reverse("feedback:adopt", args=[adopting.pk])
    clerk_page = browser(request, "clerk").get(url).content.decode()
    town_page = browser(request, "town_clerk").get(url).content.decode()
    action = reverse("feedback:decision", args=[adopting.pk])
    assert action in clerk_page
    assert action not in town_page


def test_bad_form_input_is_a_400_with_the_field_named(adopting, request):
    response = browser(request, "clerk").post(
        reverse("feedback:vote", args=[adopting.pk]),
        {"kind": "villager_reps", "held_on": "昨天", "entitled": "x"},
    )
    assert response.status_code == 400
    assert "表决日期" in response.content.decode()


@pytest.fixture
def running(adopting, clerk, secretary):
    to_feedback(adopting, clerk, secretary)
    notice = run_notice(adopting, clerk)
    services.public_notice_photo_add(actor=clerk, notice_id=notice.pk, upload=png())
    return notice


def test_a_running_notice_is_public_at_a_stable_url(running):
    client = Client()
    url = reverse("public_notice", args=[running.public_id])
    assert url == f"/gongshi/{running.public_id}/"
    page = client.get(url)
    assert page.status_code == 200
    assert running.title in page.content.decode()
    assert running.title in client.get(reverse("public_notices")).content.decode()
    photo = running.attachments.get()
    download = client.get(
        reverse("public_notice_file", args=[running.public_id, photo.pk])
    )
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")


def test_print_page_is_a4_chinese_with_a_qr_code(running, settings):
    settings.XST_SITE_URL = "https://xst.example.cn"
    page = Client().get(reverse("public_notice_print", args=[running.public_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'lang="zh-CN"' in html
    assert "公　示" in html
    assert f"https://xst.example.cn/gongshi/{running.public_id}/" in html
    assert 'src="data:image/svg+xml' in html
    assert running.topic.place.name in html


def test_scheduled_and_withdrawn_notices_are_not_public(adopting, clerk, secretary):
    to_feedback(adopting, clerk, secretary)
    now = timezone.now()
    scheduled = services.public_notice_create(
        actor=clerk,
        topic_id=adopting.pk,
        subject="decision",
        title="待发布",
        body="x",
        place_ids=[adopting.place_id],
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=7),
    )
    withdrawn = run_notice(adopting, clerk)
    services.public_notice_withdraw(actor=clerk, notice_id=withdrawn.pk, reason="有误")
    client = Client()
    for notice in (scheduled, withdrawn):
        assert (
            client.get(reverse("public_notice", args=[notice.public_id])).status_code
            == 404
        )
        assert (
            client.get(
                reverse("public_notice_print", args=[notice.public_id])
            ).status_code
            == 404
        )


def test_responding_needs_an_account_and_content(running, request):
    url = reverse("public_notice_respond", args=[running.public_id])
    anonymous = Client().post(url, {"kind": "opinion", "content": "x"})
    assert anonymous.status_code == 302
    assert reverse("login") in anonymous["Location"]
    empty = browser(request, "resident").post(url, {"kind": "opinion", "content": ""})
    assert empty.status_code == 400
    assert "内容" in empty.content.decode()
    script = "<script>alert(1)</script>"
    done = browser(request, "resident").post(
        url, {"kind": "objection", "content": script}
    )
    assert done.status_code == 302
    staff = browser(request, "clerk").get(
        reverse("feedback:implement", args=[running.topic_id])
    )
    assert script not in staff.content.decode()
    assert "&lt;script&gt;" in staff.content.decode()


def test_staff_files_are_served_only_to_who_sees_the_topic(adopting, clerk, request):
    decision = services.decision_record(
        actor=clerk,
        topic_id=adopting.pk,
        meeting_date=today(),
        attendees="x",
        plan="y",
        files=[pdf()],
    )
    url = reverse("feedback:attachment", args=[decision.attachments.get().pk])
    assert browser(request, "town_clerk").get(url).status_code == 200
    assert browser(request, "outsider").get(url).status_code == 404
    assert browser(request, "resident").get(url).status_code == 404


def test_the_responsible_person_reports_from_their_own_page(
    adopting, clerk, secretary, resident
):
    from committees.models import Person
    from feedback.models import ProgressReport

    to_feedback(adopting, clerk, secretary)
    person = Person.objects.create(name="承包人", user=resident)
    task = services.task_create(
        actor=clerk,
        topic_id=adopting.pk,
        description="清淤",
        responsible_id=person.pk,
        deadline=today() + timedelta(days=3),
    )
    client = Client()
    client.force_login(resident)
    implement = client.get(reverse("feedback:implement", args=[adopting.pk]))
    assert implement.status_code == 404
    page = client.get(reverse("feedback:my_tasks"))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("feedback:progress", args=[task.pk]) in html
    assert reverse("feedback:task_close", args=[task.pk]) not in html
    assert reverse("feedback:task_create", args=[adopting.pk]) not in html
    done = client.post(
        reverse("feedback:progress", args=[task.pk]),
        {"percent": 30, "reported_on": today().isoformat(), "note": "已清淤三成"},
    )
    assert done.status_code == 302
    assert done.url.startswith(reverse("feedback:my_tasks"))
    assert ProgressReport.objects.get().reported_by == resident
    assert client.get(reverse("feedback:adopt", args=[adopting.pk])).status_code == 404


def test_the_public_list_filters_by_place(running, village):
    from tests.factories import VillageFactory

    client = Client()
    url = reverse("public_notices")
    assert running.title in client.get(url, {"place": village.pk}).content.decode()
    other = VillageFactory()
    assert running.title not in client.get(url, {"place": other.pk}).content.decode()
    assert client.get(url, {"place": "x"}).status_code == 200


def every_staff_url(topic) -> list[tuple[str, str]]:
    """(method, url) of every staff page and action of feedback, for one topic."""
    from feedback.models import Attachment, NoticeResponse, PublicNotice, Task

    task = Task.objects.filter(topic=topic).first()
    notice = PublicNotice.objects.filter(topic=topic).first()
    response = NoticeResponse.objects.filter(notice__topic=topic).first()
    attachment = Attachment.objects.filter(topic=topic).first()
    t = [topic.pk]
    return [
        ("get", reverse("feedback:adopt", args=t)),
        ("get", reverse("feedback:implement", args=t)),
        ("get", reverse("feedback:attachment", args=[attachment.pk])),
        ("post", reverse("feedback:disposition", args=t)),
        ("post", reverse("feedback:compile", args=t)),
        ("post", reverse("feedback:explanation", args=t)),
        ("post", reverse("feedback:decision", args=t)),
        ("post", reverse("feedback:vote_mark", args=t)),
        ("post", reverse("feedback:vote", args=t)),
        ("post", reverse("feedback:task_create", args=t)),
        ("post", reverse("feedback:progress", args=[task.pk])),
        ("post", reverse("feedback:task_close", args=[task.pk])),
        ("post", reverse("feedback:supervise", args=[task.pk])),
        ("post", reverse("feedback:public_notice_create", args=t)),
        ("post", reverse("feedback:public_notice_withdraw", args=[notice.pk])),
        ("post", reverse("feedback:public_notice_photo_add", args=[notice.pk])),
        ("post", reverse("feedback:response_answer", args=[response.pk])),
        ("post", reverse("feedback:bulletin", args=t)),
        ("post", reverse("feedback:note", args=t)),
    ]


@pytest.fixture
def full_topic(running, clerk, resident):
    from tests.factories import PersonFactory

    services.task_create(
        actor=clerk,
        topic_id=running.topic_id,
        description="x",
        responsible_id=PersonFactory().pk,
        deadline=today(),
    )
    services.response_submit(
        actor=resident, public_id=running.public_id, kind="opinion", content="x"
    )
    return running.topic


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 302), ("outsider", 404), ("resident", 404)]
)
def test_every_staff_url_is_closed_to_outsiders(full_topic, request, who, status):
    client = browser(request, who)
    for method, url in every_staff_url(full_topic):
        response = getattr(client, method)(url, {})
        assert response.status_code == status, (method, url)
        if status == 302:
            assert response["Location"].startswith(reverse("login")), url


def test_the_implement_page_names_people_not_usernames(running, clerk, request):
    """A resident's 公示 response and a clerk's note show the person's name."""
    from tests.factories import PersonFactory

    resident = request.getfixturevalue("resident")
    PersonFactory(name="沈桂芳", user=resident, place=running.topic.place)
    PersonFactory(name="朱丽娟", user=clerk, place=running.topic.place)
    services.response_submit(
        actor=resident, public_id=running.public_id, kind="opinion", content="好。"
    )
    services.topic_note_append(actor=clerk, topic_id=running.topic_id, text="补记")
    page = browser(request, "clerk").get(
        reverse("feedback:implement", args=[running.topic_id])
    )
    text = page.content.decode()
    assert '好。 <span class="muted small">沈桂芳 ' in text
    assert '补记 <span class="muted small">朱丽娟 ' in text
