"""Who may write and see what in steps 4 and 5 (issue 16): responses from the
公示's scope only, limited and deduplicated, spam set aside; the responsible
person's own page; vote numbers bounded."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from committees.models import Person, Role
from core.errors import Conflict, NotVisible
from core.models import AuditEvent
from feedback import services
from feedback.forms import VoteForm
from feedback.models import NoticeResponse, VoteMark
from notifications.models import Delivery, Notification
from tests.factories import (
    TownshipFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)
from topics.evidence import missing
from topics.states import Step

from .helpers import end_notices, png, run_notice, to_feedback, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def feedback_topic(adopting, clerk, secretary):
    to_feedback(adopting, clerk, secretary)
    return adopting


@pytest.fixture
def notice(feedback_topic, clerk):
    return run_notice(feedback_topic, clerk)


def _respond_url(notice) -> str:
    return reverse("public_notice_respond", args=[notice.public_id])


def _respond(user, notice, content="工期太长。"):
    return services.response_submit(
        actor=user, public_id=notice.public_id, kind="objection", content=content
    )


# -- 1. responses from the 公示's scope only -------------------------------------


@pytest.mark.parametrize(
    "who",
    ["next_village_resident", "other_township_resident", "other_township_clerk"],
)
def test_a_response_from_outside_the_notices_places_is_refused(notice, village, who):
    place = {
        "next_village_resident": lambda: VillageFactory(parent=village.parent),
        "other_township_resident": lambda: VillageFactory(parent=TownshipFactory()),
        "other_township_clerk": TownshipFactory,
    }[who]()
    role = Role.TOWNSHIP_CLERK if who == "other_township_clerk" else Role.RESIDENT
    user = user_with_role(role, place)
    with pytest.raises(PermissionDenied, match="公示范围"):
        _respond(user, notice)
    assert not NoticeResponse.objects.exists()


def test_an_account_without_a_role_cannot_respond(notice):
    with pytest.raises(PermissionDenied):
        _respond(UserFactory(), notice)


def test_residents_and_members_of_the_notices_place_respond(notice, village, resident):
    member = user_with_role(Role.MEMBER, village)
    _respond(resident, notice)
    _respond(member, notice)
    assert NoticeResponse.objects.count() == 2


def test_a_township_wide_notice_takes_responses_from_its_villages(
    feedback_topic, clerk, village
):
    from feedback.permissions import can_respond

    notice = run_notice(feedback_topic, clerk)
    notice.places.set([village.parent])
    resident = user_with_role(Role.RESIDENT, VillageFactory(parent=village.parent))
    assert can_respond(resident, notice)
    resident_elsewhere = user_with_role(Role.RESIDENT, VillageFactory())
    assert not can_respond(resident_elsewhere, notice)


def test_the_public_page_tells_an_outsider_why_there_is_no_form(notice, village):
    outsider = user_with_role(Role.RESIDENT, VillageFactory(parent=village.parent))
    client = Client()
    client.force_login(outsider)
    page = client.get(reverse("public_notice", args=[notice.public_id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "只有本公示范围内的群众" in text
    assert _respond_url(notice) not in text
    refused = client.post(_respond_url(notice), {"kind": "opinion", "content": "支持"})
    assert refused.status_code == 403
    assert "只有本公示范围内的群众" in refused.content.decode()
    assert not NoticeResponse.objects.exists()


def test_the_same_text_twice_in_a_short_window_is_refused(notice, resident):
    _respond(resident, notice, "工期太长。")
    with pytest.raises(Conflict, match="重复"):
        _respond(resident, notice, "  工期太长。 ")
    _respond(resident, notice, "另一条意见。")
    assert NoticeResponse.objects.count() == 2


def test_a_response_flood_stops_at_the_limit_and_nothing_past_it_is_kept(
    notice, resident, settings, django_capture_on_commit_callbacks
):
    """30 posts in a row: the first five are stored and notified, the rest 429."""
    settings.XST_RATE_LIMITS = {**settings.XST_RATE_LIMITS, "respond": (5, 100, 60)}
    client = Client()
    client.force_login(resident)
    statuses = []
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(30):
            response = client.post(
                _respond_url(notice), {"kind": "opinion", "content": f"意见{i}"}
            )
            statuses.append(response.status_code)
    assert statuses[:5] == [302] * 5
    assert set(statuses[5:]) == {429}
    assert "提交过于频繁" in response.content.decode()
    assert NoticeResponse.objects.count() == 5
    notified = Notification.objects.filter(key__startswith="feedback-response:")
    assert notified.count() == 5
    assert set(
        Delivery.objects.filter(
            notification__key__startswith="feedback-response:"
        ).values_list("notification_id", flat=True)
    ) == set(notified.values_list("pk", flat=True))


def test_the_address_limit_holds_across_accounts(notice, village, settings):
    settings.XST_RATE_LIMITS = {**settings.XST_RATE_LIMITS, "respond": (5, 3, 60)}
    statuses = []
    for i in range(5):
        client = Client()
        client.force_login(user_with_role(Role.RESIDENT, village))
        response = client.post(
            _respond_url(notice), {"kind": "opinion", "content": f"意见{i}"}
        )
        statuses.append(response.status_code)
    assert statuses == [302, 302, 302, 429, 429]
    assert NoticeResponse.objects.count() == 3


# -- 1. spam is kept, audited, and does not block archiving ----------------------


def test_a_response_marked_as_spam_is_kept_and_no_longer_blocks(
    feedback_topic, notice, clerk, resident
):
    response = _respond(resident, notice, "广告：低价出售……")
    end_notices()
    assert "feedback.public_notice" in {
        r.code for r in missing(feedback_topic, Step.FEEDBACK)
    }
    with pytest.raises(ValidationError, match="原因"):
        services.response_mark_spam(actor=clerk, response_id=response.pk, reason=" ")
    services.response_mark_spam(
        actor=clerk, response_id=response.pk, reason="与公示无关的广告。"
    )
    response.refresh_from_db()
    assert response.spam_reason == "与公示无关的广告。"
    assert response.spam_by == clerk
    assert AuditEvent.objects.filter(
        verb="response_mark_spam", reason="与公示无关的广告。"
    ).exists()
    assert "feedback.public_notice" not in {
        r.code for r in missing(feedback_topic, Step.FEEDBACK)
    }
    with pytest.raises(Conflict):
        services.response_answer(actor=clerk, response_id=response.pk, answer="x")


def test_only_the_clerk_marks_spam(notice, resident, town_clerk):
    response = _respond(resident, notice)
    for user in (resident, town_clerk):
        with pytest.raises((PermissionDenied, NotVisible)):
            services.response_mark_spam(
                actor=user, response_id=response.pk, reason="无关。"
            )
    response.refresh_from_db()
    assert response.spam_at is None


def test_the_clerk_marks_spam_on_the_implement_page(
    feedback_topic, notice, clerk, resident
):
    response = _respond(resident, notice)
    client = Client()
    client.force_login(clerk)
    page = client.get(reverse("feedback:implement", args=[feedback_topic.pk]))
    url = reverse("feedback:response_spam", args=[response.pk])
    assert url in page.content.decode()
    done = client.post(url, {"reason": "重复刷屏。"})
    assert done.status_code == 302
    response.refresh_from_db()
    assert response.spam_at is not None


# -- 2 and 9. the responsible person's own page ----------------------------------


@pytest.fixture
def responsible(village):
    return user_with_role(Role.MEMBER, village)


@pytest.fixture
def own_task(feedback_topic, clerk, responsible, village):
    person = Person.objects.create(name="张师傅", user=responsible, place=village)
    return services.task_create(
        actor=clerk,
        topic_id=feedback_topic.pk,
        description="道路加宽施工",
        responsible_id=person.pk,
        deadline=today() + timedelta(days=30),
    )


def test_the_implement_page_is_for_staff_only(feedback_topic, own_task, responsible):
    client = Client()
    client.force_login(responsible)
    url = reverse("feedback:implement", args=[feedback_topic.pk])
    assert client.get(url).status_code == 404


def test_the_responsible_person_sees_only_their_own_tasks(
    feedback_topic, own_task, responsible, clerk, town_clerk, resident, notice
):
    other = services.task_create(
        actor=clerk,
        topic_id=feedback_topic.pk,
        description="另一项任务：清理沟渠",
        responsible_id=Person.objects.create(name="李师傅").pk,
        deadline=today() + timedelta(days=30),
    )
    services.supervision_note_add(actor=town_clerk, task_id=own_task.pk, note="请按期")
    services.supervision_note_add(actor=town_clerk, task_id=other.pk, note="别人的督办")
    _respond(resident, notice, "居民姓名不应被看到")
    client = Client()
    client.force_login(responsible)
    page = client.get(reverse("feedback:my_tasks"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "道路加宽施工" in text and "请按期" in text
    assert "清理沟渠" not in text and "别人的督办" not in text
    assert "居民姓名不应被看到" not in text
    assert reverse("feedback:progress", args=[own_task.pk]) in text
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert reverse("feedback:my_tasks") in dashboard


def test_the_responsible_person_reports_and_downloads_their_attachment(
    own_task, responsible, settings, tmp_path
):
    client = Client()
    client.force_login(responsible)
    photo = SimpleUploadedFile("进展.png", png().read(), content_type="image/png")
    done = client.post(
        reverse("feedback:progress", args=[own_task.pk]),
        {
            "percent": 30,
            "reported_on": today().isoformat(),
            "note": "已备料",
            "files": photo,
        },
    )
    assert done.status_code == 302
    assert done.url.startswith(reverse("feedback:my_tasks"))
    report = own_task.reports.get()
    attachment = report.attachments.get()
    page = client.get(reverse("feedback:my_tasks")).content.decode()
    url = reverse("feedback:attachment", args=[attachment.pk])
    assert url in page
    download = client.get(url)
    assert download.status_code == 200
    assert download["Cache-Control"] == "private, no-store"


def test_a_refused_report_comes_back_to_the_own_page(own_task, responsible):
    client = Client()
    client.force_login(responsible)
    refused = client.post(
        reverse("feedback:progress", args=[own_task.pk]),
        {"percent": 300, "reported_on": today().isoformat(), "note": "x"},
    )
    assert refused.status_code == 400
    assert "我的落实任务" in refused.content.decode()
    assert not own_task.reports.exists()


def test_someone_elses_attachment_stays_hidden(
    feedback_topic, own_task, clerk, village
):
    report = services.progress_report(
        actor=clerk,
        task_id=own_task.pk,
        percent=10,
        reported_on=today(),
        note="x",
        files=[png()],
    )
    attachment = report.attachments.get()
    stranger = user_with_role(Role.MEMBER, village)
    client = Client()
    client.force_login(stranger)
    url = reverse("feedback:attachment", args=[attachment.pk])
    assert client.get(url).status_code == 404


# -- 6. vote numbers within what the database holds ------------------------------


@pytest.fixture
def voting(adopting, clerk):
    VoteMark.objects.create(topic=adopting, reason="涉及集体资产。", marked_by=clerk)
    return adopting


def test_a_vote_beyond_a_million_is_refused_with_a_message(voting, clerk):
    with pytest.raises(ValidationError, match="不能超过"):
        services.vote_record(
            actor=clerk,
            topic_id=voting.pk,
            kind="villager_reps",
            held_on=today(),
            entitled=3_000_000_000,
            present=25,
            in_favour=20,
            against=4,
            abstain=1,
        )
    form = VoteForm(
        {
            "kind": "villager_reps",
            "held_on": today().isoformat(),
            "entitled": "3000000000",
            "present": "-1",
            "in_favour": "1",
            "against": "0",
            "abstain": "0",
        },
        topic=voting,
    )
    assert not form.is_valid()
    assert {"entitled", "present"} <= set(form.errors)
