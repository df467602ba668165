"""After 已归档 every service, page and admin page refuses; only a note is added."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consult.models import Opinion
from core.errors import NotVisible, Sealed
from core.models import AuditEvent
from feedback import models, services
from feedback.jobs import send_task_overdue

from .helpers import pdf, png, today, walk_to_archive

pytestmark = pytest.mark.django_db


@pytest.fixture
def archived(village, clerk, secretary, town_clerk, resident):
    return walk_to_archive(
        village=village,
        clerk=clerk,
        secretary=secretary,
        town_clerk=town_clerk,
        resident=resident,
    )


def record_counts() -> dict:
    return {
        m.__name__: m.objects.count()
        for m in (
            models.Disposition,
            models.Explanation,
            models.Compilation,
            models.Decision,
            models.Vote,
            models.VoteMark,
            models.Task,
            models.ProgressReport,
            models.SupervisionNote,
            models.PublicNotice,
            models.NoticeResponse,
            models.Attachment,
            models.Bulletin,
            models.Note,
        )
    }


def calls(topic, clerk, town_clerk, resident):
    opinion = Opinion.objects.filter(topic=topic).first()
    disposition = models.Disposition.objects.filter(topic=topic).first()
    task = models.Task.objects.get(topic=topic)
    notice = models.PublicNotice.objects.get(topic=topic)
    response = models.NoticeResponse.objects.get()
    now = timezone.now()
    t = topic.pk
    return {
        "disposition_set": lambda: services.disposition_set(
            actor=clerk, topic_id=t, opinion_id=opinion.pk, theme="x"
        ),
        "compilation_save": lambda: services.compilation_save(
            actor=clerk, topic_id=t, summary="x"
        ),
        "explanation_add": lambda: services.explanation_add(
            actor=clerk,
            topic_id=t,
            disposition_id=disposition.pk,
            explained_by="x",
            explained_on=today(),
            method="face",
            note="x",
        ),
        "decision_record": lambda: services.decision_record(
            actor=clerk,
            topic_id=t,
            meeting_date=today(),
            attendees="x",
            plan="x",
            files=[pdf()],
        ),
        "vote_mark": lambda: services.vote_mark(actor=clerk, topic_id=t, reason="x"),
        "vote_record": lambda: services.vote_record(
            actor=clerk,
            topic_id=t,
            kind="villager_reps",
            held_on=today(),
            entitled=3,
            present=3,
            in_favour=3,
            against=0,
            abstain=0,
        ),
        "task_create": lambda: services.task_create(
            actor=clerk,
            topic_id=t,
            description="x",
            responsible_id=task.responsible_id,
            deadline=today(),
        ),
        "task_close": lambda: services.task_close(
            actor=clerk, task_id=task.pk, reason="x"
        ),
        "progress_report": lambda: services.progress_report(
            actor=clerk, task_id=task.pk, percent=1, reported_on=today(), note="x"
        ),
        "supervision_note_add": lambda: services.supervision_note_add(
            actor=town_clerk, task_id=task.pk, note="x"
        ),
        "notice_create": lambda: services.public_notice_create(
            actor=clerk,
            topic_id=t,
            subject="progress",
            title="x",
            body="x",
            place_ids=[topic.place_id],
            starts_at=now,
            ends_at=now + timedelta(days=9),
        ),
        "notice_withdraw": lambda: services.public_notice_withdraw(
            actor=clerk, notice_id=notice.pk, reason="x"
        ),
        "notice_photo_add": lambda: services.public_notice_photo_add(
            actor=clerk, notice_id=notice.pk, upload=png()
        ),
        "response_submit": lambda: services.response_submit(
            actor=resident, public_id=notice.public_id, kind="opinion", content="x"
        ),
        "response_answer": lambda: services.response_answer(
            actor=clerk, response_id=response.pk, answer="x"
        ),
        "bulletin_send": lambda: services.bulletin_send(actor=clerk, topic_id=t),
    }


SERVICES = [
    "disposition_set",
    "compilation_save",
    "explanation_add",
    "decision_record",
    "vote_mark",
    "vote_record",
    "task_create",
    "task_close",
    "progress_report",
    "supervision_note_add",
    "notice_create",
    "notice_withdraw",
    "notice_photo_add",
    "response_submit",
    "response_answer",
    "bulletin_send",
]


SEALED = "议题已归档，记录不能再修改，只能追加说明。"


def outcome(call) -> tuple[type, str] | None:
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the refusal itself is compared
        return type(error), str(error)
    return None


def test_every_service_refuses_an_archived_topic(archived, clerk, town_clerk, resident):
    """The refusal is the seal itself (``Sealed``), not a step check that would
    answer the same way for any topic past step 5."""
    before = record_counts()
    events = AuditEvent.objects.count()
    refusals = {
        name: outcome(call)
        for name, call in calls(archived, clerk, town_clerk, resident).items()
    }
    assert refusals == dict.fromkeys(SERVICES, (Sealed, SEALED))
    assert record_counts() == before
    assert AuditEvent.objects.count() == events


def test_scheduled_jobs_leave_an_archived_topic_alone(archived):
    assert services.public_notices_sweep(timezone.now() + timedelta(days=30)) == 0
    models.Task.objects.update(status=models.TaskStatus.OPEN)
    assert send_task_overdue(timezone.now() + timedelta(days=60)) == 0


def test_only_an_appended_note_is_possible(archived, clerk, resident, outsider):
    note = services.topic_note_append(
        actor=clerk, topic_id=archived.pk, text="更正：合同编号为 2026-17。"
    )
    event = AuditEvent.objects.for_subject(archived).order_by("-seq").first()
    assert (event.verb, event.record_id) == ("note_append", note.pk)
    with pytest.raises(NotVisible):
        services.topic_note_append(actor=resident, topic_id=archived.pk, text="x")
    with pytest.raises(NotVisible):
        services.topic_note_append(actor=outsider, topic_id=archived.pk, text="x")


def post_urls(topic):
    task = models.Task.objects.get(topic=topic)
    notice = models.PublicNotice.objects.get(topic=topic)
    response = models.NoticeResponse.objects.get()
    disposition = models.Disposition.objects.filter(topic=topic).first()
    opinion = disposition.opinion_id
    day = today().isoformat()
    return [
        (
            reverse("feedback:disposition", args=[topic.pk]),
            {"opinion_id": opinion, "theme": "x"},
        ),
        (reverse("feedback:compile", args=[topic.pk]), {"summary": "x"}),
        (
            reverse("feedback:explanation", args=[topic.pk]),
            {
                "disposition_id": disposition.pk,
                "explained_by": "x",
                "explained_on": day,
                "method": "face",
                "note": "x",
            },
        ),
        (
            reverse("feedback:decision", args=[topic.pk]),
            {"meeting_date": day, "attendees": "x", "plan": "x"},
        ),
        (reverse("feedback:vote_mark", args=[topic.pk]), {"reason": "x"}),
        (
            reverse("feedback:vote", args=[topic.pk]),
            {
                "kind": "villager_reps",
                "held_on": day,
                "entitled": 3,
                "present": 3,
                "in_favour": 3,
                "against": 0,
                "abstain": 0,
            },
        ),
        (
            reverse("feedback:task_create", args=[topic.pk]),
            {"description": "x", "responsible": task.responsible_id, "deadline": day},
        ),
        (reverse("feedback:task_close", args=[task.pk]), {"reason": "x"}),
        (
            reverse("feedback:progress", args=[task.pk]),
            {"percent": 1, "reported_on": day, "note": "x"},
        ),
        (reverse("feedback:public_notice_withdraw", args=[notice.pk]), {"reason": "x"}),
        (
            reverse("feedback:public_notice_photo_add", args=[notice.pk]),
            {"file": png()},
        ),
        (
            reverse("feedback:response_answer", args=[response.pk]),
            {"answer": "x"},
        ),
        (reverse("feedback:bulletin", args=[topic.pk]), {}),
    ]


def test_the_public_notice_page_refuses_a_response_with_the_seal(archived, resident):
    notice = models.PublicNotice.objects.get(topic=archived)
    browser = Client()
    browser.force_login(resident)
    before = record_counts()
    response = browser.post(
        reverse("public_notice_respond", args=[notice.public_id]),
        {"kind": "opinion", "content": "还有意见。"},
    )
    assert response.status_code == 409
    assert response.context["errors"] == [SEALED]
    assert f"<li>{SEALED}</li>" in response.content.decode()
    assert record_counts() == before


def test_every_page_refuses_changes_with_a_message(archived, clerk):
    browser = Client()
    browser.force_login(clerk)
    before = record_counts()
    answers = {}
    for url, data in post_urls(archived):
        response = browser.post(url, data)
        # The refusal itself names the seal (the page's banner says so anyway).
        answers[url] = (
            response.status_code,
            response.context["errors"],
            f"<li>{SEALED}</li>" in response.content.decode(),
        )
    assert answers == {url: (409, [SEALED], True) for url, _data in post_urls(archived)}
    assert record_counts() == before
    page = browser.get(reverse("feedback:implement", args=[archived.pk])).content
    create = reverse("feedback:task_create", args=[archived.pk])
    assert f'action="{create}"' not in page.decode()
    note = browser.post(reverse("feedback:note", args=[archived.pk]), {"text": "补记"})
    assert note.status_code == 302
    assert models.Note.objects.get().text == "补记"


def test_every_admin_page_of_the_records_refuses_changes(archived):
    superuser = get_user_model().objects.create_superuser("root", "r@x.cn", "pw")
    browser = Client()
    browser.force_login(superuser)
    read_only = [
        m for m, a in admin.site._registry.items() if m._meta.app_label == "feedback"
    ]
    records = [
        m for m in read_only if m not in (models.VoteCategory, models.MeetingRule)
    ]
    assert len(records) == 14
    for model in records:
        model_admin = admin.site._registry[model]
        request = type("R", (), {"user": superuser})()
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_delete_permission(request)
        row = model.objects.first()
        if row is None:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        change = reverse("admin:{}_{}_change".format(*info), args=[row.pk])
        assert browser.get(change).status_code == 200  # shown, read-only
        assert browser.post(change, {}).status_code == 403
        delete = reverse("admin:{}_{}_delete".format(*info), args=[row.pk])
        assert browser.post(delete, {"post": "yes"}).status_code == 403
    assert record_counts()["Task"] == 1


def test_a_refused_note_is_denied_to_a_viewer_without_a_role(archived, town_secretary):
    # The township secretary runs the procedure on the township: allowed.
    services.topic_note_append(actor=town_secretary, topic_id=archived.pk, text="督办")
    with pytest.raises(PermissionDenied):
        from committees.models import Role
        from tests.factories import user_with_role

        admin_user = user_with_role(Role.ADMINISTRATOR, archived.place.parent)
        services.topic_note_append(actor=admin_user, topic_id=archived.pk, text="x")
