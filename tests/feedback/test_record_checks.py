"""Records the chain protects: a change behind the services' back is found and named.

Tampering is done as someone with database access would: raw SQL on the
records, never on the audit rows (whose own hashes core/chain.py checks).
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from committees.models import Person, Role
from consult.models import MaterialVersion, Opinion, Participant
from core.chain_records import verify_records
from feedback.models import Attachment, Note, Task, Vote
from feedback.services import task_create, topic_note_append
from notifications.jobs import _JOBS
from notifications.models import Delivery, Kind, Notification
from tests.factories import user_with_role
from topics.models import Topic
from topics.states import State

from .helpers import today, walk_to_archive

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _audit_heads_in_tmp(settings, tmp_path):
    settings.XST_AUDIT_HEADS_DIR = tmp_path / "audit-heads"


@pytest.fixture
def sealed(village, clerk, secretary, town_clerk, resident):
    topic = walk_to_archive(
        village=village,
        clerk=clerk,
        secretary=secretary,
        town_clerk=town_clerk,
        resident=resident,
    )
    topic_note_append(actor=clerk, topic_id=topic.pk, text="归档后补充：合同已签订。")
    return topic


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def verify_audit() -> str:
    """The command's report; raises CommandError when it fails."""
    out, err = StringIO(), StringIO()
    call_command("verify_audit", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def failing() -> str:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit", stdout=out, stderr=err)
    return err.getvalue()


def test_an_untouched_sealed_topic_verifies(sealed):
    assert verify_records(sealed) == []
    assert "各项记录与审计链相符" in verify_audit()


def first(model, **filters) -> int:
    return (
        model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True)[0]
    )


TAMPERING = {
    "opinion": (
        lambda t: sql(
            "UPDATE consult_opinion SET content = %s WHERE id = %s",
            ["改过的意见", first(Opinion, topic=t)],
        ),
        lambda t: f"consult.opinion:{first(Opinion, topic=t)}",
        "content",
    ),
    "vote numbers": (
        lambda t: sql(
            "UPDATE feedback_vote SET in_favour = in_favour + 5 WHERE id = %s",
            [first(Vote, topic=t)],
        ),
        lambda t: f"feedback.vote:{first(Vote, topic=t)}",
        "in_favour",
    ),
    "vote result": (
        lambda t: sql(
            "UPDATE feedback_vote SET passed = NOT passed WHERE id = %s",
            [first(Vote, topic=t)],
        ),
        lambda t: f"feedback.vote:{first(Vote, topic=t)}",
        "passed",
    ),
    "material version": (
        lambda t: sql(
            "UPDATE consult_materialversion SET sha256 = %s WHERE id = %s",
            ["0" * 64, first(MaterialVersion, topic=t)],
        ),
        lambda t: f"consult.materialversion:{first(MaterialVersion, topic=t)}",
        "sha256",
    ),
    "attachment": (
        lambda t: sql(
            "UPDATE feedback_attachment SET sha256 = %s WHERE id = %s",
            ["f" * 64, first(Attachment, topic=t)],
        ),
        lambda t: f"feedback.attachment:{first(Attachment, topic=t)}",
        "sha256",
    ),
    "note deleted": (
        lambda t: sql("DELETE FROM feedback_note WHERE topic_id = %s", [t.pk]),
        lambda t: "feedback.note:",
        "记录已被删除",
    ),
    "topic state": (
        lambda t: sql(
            "UPDATE topics_topic SET state = %s WHERE id = %s", ["feedback", t.pk]
        ),
        lambda t: f"topics.topic:{t.pk}",
        "议题状态与审计链上最后一次流转不符",
    ),
    "topic title": (
        lambda t: sql(
            "UPDATE topics_topic SET title = %s WHERE id = %s", ["另一个议题", t.pk]
        ),
        lambda t: f"topics.topic:{t.pk}",
        "title",
    ),
    "participant name": (
        lambda t: sql(
            "UPDATE consult_participant SET name = %s WHERE id = %s",
            ["冒名者", first(Participant, topic=t)],
        ),
        lambda t: f"consult.participant:{first(Participant, topic=t)}",
        "name",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_a_record_changed_behind_the_services_is_named(sealed, case):
    """verify_audit exits non-zero naming the topic, the record and the field."""
    tamper, record, field = TAMPERING[case]
    name = record(sealed)
    tamper(sealed)
    report = failing()
    assert f"topics.topic:{sealed.pk}" in report
    assert name in report
    assert field in report
    assert "记录不符：" in report


def test_a_record_without_an_event_is_named(sealed):
    note = Note.objects.create(topic=sealed, text="绕过服务写入的说明")
    found = verify_records(sealed)
    assert [(b.record, b.problem) for b in found] == [
        (f"feedback.note:{note.pk}", "unlogged")
    ]


def test_a_change_after_archive_is_named_even_with_the_state_put_back(
    sealed, clerk, village
):
    """The issue's case: reopened by SQL, a task added through the page's
    service (a correctly signed event), the state set back to archived."""
    sql("UPDATE topics_topic SET state = %s WHERE id = %s", ["feedback", sealed.pk])
    task = task_create(
        actor=clerk,
        topic_id=sealed.pk,
        description="归档后新增的任务",
        responsible_id=Participant.objects.filter(topic=sealed).first().person_id,
        deadline=today(),
    )
    sql("UPDATE topics_topic SET state = %s WHERE id = %s", ["archived", sealed.pk])
    found = verify_records(sealed)
    assert [(b.verb, b.record, b.problem) for b in found] == [
        ("task_create", f"feedback.task:{task.pk}", "sealed")
    ]
    assert "归档后出现了追加说明以外的操作" in failing()


def test_renaming_a_person_changes_nothing_in_the_sealed_topic(sealed, clerk, client):
    """The pages show the names as recorded; the chain still verifies."""
    participant = Participant.objects.filter(topic=sealed).order_by("pk").first()
    task = Task.objects.filter(topic=sealed).order_by("pk").first()
    Person.objects.filter(pk__in=[participant.person_id, task.responsible_id]).update(
        name="改名后"
    )
    client.force_login(clerk)
    pages = [
        reverse("consult:prepare", args=[sealed.pk]),
        reverse("feedback:implement", args=[sealed.pk]),
    ]
    for url in pages:
        page = client.get(url).content.decode()
        assert "改名后" not in page
    assert participant.name in client.get(pages[0]).content.decode()
    assert task.responsible_name in client.get(pages[1]).content.decode()
    assert Topic.objects.get(pk=sealed.pk).state == State.ARCHIVED
    assert verify_records(sealed) == []
    assert "各项记录与审计链相符" in verify_audit()


def test_the_check_reads_each_table_once_however_many_records(
    sealed, clerk, django_assert_num_queries
):
    """One query for the chains, one for the topics, one per kind of record."""
    with CaptureQueriesContext(connection) as before:
        verify_records()
    for number in range(5):
        topic_note_append(actor=clerk, topic_id=sealed.pk, text=f"补充说明{number}")
    with django_assert_num_queries(len(before.captured_queries)):
        assert verify_records() == []


def test_the_daily_check_tells_the_administrators_which_record_changed(
    sealed, township, django_capture_on_commit_callbacks
):
    """Reported like a chain break: to the township's administrators, once."""
    admin = user_with_role(Role.ADMINISTRATOR, township)
    daily = _JOBS["topics.audit_daily"].func
    with django_capture_on_commit_callbacks(execute=True):
        assert daily(timezone.now()) == 0
    opinion = first(Opinion, topic=sealed)
    sql("UPDATE consult_opinion SET content = %s WHERE id = %s", ["改过", opinion])
    with django_capture_on_commit_callbacks(execute=True):
        assert daily(timezone.now()) == 1
        daily(timezone.now())
    notification = Notification.objects.get(kind=Kind.ESCALATION)
    assert notification.about_id == sealed.pk
    assert f"consult.opinion:{opinion}" in notification.body
    assert "content" in notification.body
    assert Delivery.objects.filter(
        notification=notification, person__user=admin
    ).exists()
