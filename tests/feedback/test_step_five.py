"""Step 5 (协商结果反馈) through the services: every rule allowed and refused."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from committees.models import Person
from core.errors import Conflict, NotVisible
from feedback import services
from feedback.models import (
    Bulletin,
    NoticeResponse,
    NoticeStatus,
    ProgressReport,
    PublicNotice,
    Task,
    TaskStatus,
)
from notifications.models import Delivery, DeliveryStatus, Kind, Notification
from notifications.services import receipt_record
from tests.factories import PersonFactory
from topics.evidence import missing
from topics.states import Step

from .helpers import end_notices, pdf, png, run_notice, to_feedback, today

pytestmark = pytest.mark.django_db


def codes(topic) -> set[str]:
    return {r.code for r in missing(topic, Step.FEEDBACK)}


@pytest.fixture
def feedback_topic(adopting, clerk, secretary):
    to_feedback(adopting, clerk, secretary)
    return adopting


@pytest.fixture
def person(village):
    return PersonFactory(place=village)


def new_task(topic, clerk, person, **overrides):
    values = {
        "description": "道路加宽施工",
        "responsible_id": person.pk,
        "deadline": today() + timedelta(days=30),
        **overrides,
    }
    return services.task_create(actor=clerk, topic_id=topic.pk, **values)


def test_a_new_step_five_lacks_every_record(feedback_topic):
    assert codes(feedback_topic) == {
        "feedback.tasks",
        "feedback.progress",
        "feedback.public_notice",
        "feedback.progress_notice",
        "feedback.informed",
    }


def test_a_task_needs_a_responsible_person(feedback_topic, clerk):
    with pytest.raises(ValidationError, match="请指定责任人"):
        services.task_create(
            actor=clerk,
            topic_id=feedback_topic.pk,
            description="施工",
            responsible_id=None,
            deadline=today(),
        )
    assert not Task.objects.exists()


def test_a_task_needs_a_deadline_not_in_the_past(feedback_topic, clerk, person):
    with pytest.raises(ValidationError, match="不能早于今天"):
        new_task(feedback_topic, clerk, person, deadline=today() - timedelta(days=1))
    with pytest.raises(ValidationError, match="完成期限"):
        new_task(feedback_topic, clerk, person, deadline=None)


def test_a_task_provides_tasks_and_progress_needs_it_done(
    feedback_topic, clerk, person
):
    task = new_task(feedback_topic, clerk, person)
    assert "feedback.tasks" not in codes(feedback_topic)
    assert "feedback.progress" in codes(feedback_topic)
    services.progress_report(
        actor=clerk, task_id=task.pk, percent=40, reported_on=today(), note="开工"
    )
    assert "feedback.progress" in codes(feedback_topic)
    services.progress_report(
        actor=clerk,
        task_id=task.pk,
        percent=100,
        reported_on=today(),
        note="完工",
        files=[png()],
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert "feedback.progress" not in codes(feedback_topic)
    assert ProgressReport.objects.filter(percent=100).get().attachments.count() == 1


@pytest.mark.parametrize(
    ("percent", "reported_on", "message"),
    [
        (101, 0, "0 到 100"),
        (-1, 0, "0 到 100"),
        ("abc", 0, "整数"),
        (50, 1, "不能晚于今天"),
    ],
)
def test_progress_over_100_or_in_the_future_is_refused(
    feedback_topic, clerk, person, percent, reported_on, message
):
    task = new_task(feedback_topic, clerk, person)
    with pytest.raises(ValidationError, match=message):
        services.progress_report(
            actor=clerk,
            task_id=task.pk,
            percent=percent,
            reported_on=today() + timedelta(days=reported_on),
            note="进展",
        )
    assert not ProgressReport.objects.exists()


def test_a_closed_task_counts_as_finished_and_takes_no_more_reports(
    feedback_topic, clerk, person
):
    task = new_task(feedback_topic, clerk, person)
    services.progress_report(
        actor=clerk, task_id=task.pk, percent=30, reported_on=today(), note="已开工"
    )
    with pytest.raises(ValidationError, match="终止理由"):
        services.task_close(actor=clerk, task_id=task.pk, reason="")
    services.task_close(actor=clerk, task_id=task.pk, reason="上级项目覆盖")
    assert "feedback.progress" not in codes(feedback_topic)
    with pytest.raises(Conflict):
        services.progress_report(
            actor=clerk, task_id=task.pk, percent=10, reported_on=today(), note="x"
        )


def test_tasks_all_closed_without_any_progress_report_are_not_followed_up(
    feedback_topic, clerk, person
):
    """Step 5 needs 跟踪督办: at least one progress report, not only closures."""
    task = new_task(feedback_topic, clerk, person)
    services.task_close(actor=clerk, task_id=task.pk, reason="上级项目覆盖")
    assert "feedback.progress" in codes(feedback_topic)


def test_the_responsible_person_reports_their_own_task(feedback_topic, clerk, resident):
    person = Person.objects.create(name="张师傅", user=resident)
    task = new_task(feedback_topic, clerk, person)
    services.progress_report(
        actor=resident, task_id=task.pk, percent=10, reported_on=today(), note="备料"
    )
    other = new_task(feedback_topic, clerk, PersonFactory())
    with pytest.raises(NotVisible):
        services.progress_report(
            actor=resident, task_id=other.pk, percent=10, reported_on=today(), note="x"
        )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("town_clerk", True),
        ("town_secretary", True),
        ("clerk", False),
        ("secretary", False),
        ("outsider", False),
    ],
)
def test_supervision_is_the_townships(
    feedback_topic, clerk, person, request, who, allowed
):
    task = new_task(feedback_topic, clerk, person)
    user = request.getfixturevalue(who)
    if allowed:
        note = services.supervision_note_add(
            actor=user, task_id=task.pk, note="加快进度"
        )
        assert note.task == task
    else:
        with pytest.raises((PermissionDenied, NotVisible)):
            services.supervision_note_add(actor=user, task_id=task.pk, note="x")


def notice_args(topic, **overrides):
    now = timezone.now()
    return {
        "topic_id": topic.pk,
        "subject": "decision",
        "title": "公示",
        "body": "正文",
        "place_ids": [topic.place_id],
        "starts_at": now + timedelta(hours=1),
        "ends_at": now + timedelta(days=6),
        **overrides,
    }


@pytest.mark.parametrize(
    ("shift", "message"),
    [
        ({"ends_at_days": 0.5, "starts_at_days": 1}, "必须晚于开始时间"),
        ({"ends_at_days": 4}, "不能少于 5 天"),
    ],
)
def test_a_notice_ending_before_it_starts_or_too_short_is_refused(
    feedback_topic, clerk, shift, message
):
    now = timezone.now()
    args = notice_args(
        feedback_topic,
        starts_at=now + timedelta(days=shift.get("starts_at_days", 0)),
        ends_at=now + timedelta(days=shift["ends_at_days"]),
    )
    with pytest.raises(ValidationError, match=message):
        services.public_notice_create(actor=clerk, **args)
    assert not PublicNotice.objects.exists()


def test_the_minimum_period_is_a_setting(feedback_topic, clerk, settings):
    settings.XST_PUBLIC_NOTICE_MIN_DAYS = 2
    now = timezone.now()
    services.public_notice_create(
        actor=clerk,
        **notice_args(
            feedback_topic, starts_at=now, ends_at=now + timedelta(days=2, minutes=1)
        ),
    )


def test_a_notice_for_another_village_is_refused(feedback_topic, clerk):
    from tests.factories import VillageFactory

    with pytest.raises(ValidationError, match="公示范围"):
        services.public_notice_create(
            actor=clerk,
            **notice_args(feedback_topic, place_ids=[VillageFactory().pk]),
        )


def test_a_notice_starting_in_the_past_is_published_at_once(feedback_topic, clerk):
    now = timezone.now()
    notice = services.public_notice_create(
        actor=clerk,
        **notice_args(
            feedback_topic,
            starts_at=now - timedelta(hours=2),
            ends_at=now + timedelta(days=5, hours=1),
        ),
        files=[pdf()],
    )
    assert notice.status == NoticeStatus.PUBLISHED
    assert Notification.objects.filter(kind=Kind.PUBLIC_NOTICE).count() == 1


def test_the_sweep_publishes_on_time_and_ends_on_time(feedback_topic, clerk):
    notice = services.public_notice_create(actor=clerk, **notice_args(feedback_topic))
    assert notice.status == NoticeStatus.SCHEDULED
    assert services.public_notices_sweep(timezone.now()) == 0
    assert services.public_notices_sweep(timezone.now() + timedelta(hours=2)) == 1
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    assert "feedback.public_notice" in codes(feedback_topic)
    assert services.public_notices_sweep(timezone.now() + timedelta(days=7)) == 1
    assert services.public_notices_sweep(timezone.now() + timedelta(days=7)) == 0
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.ENDED
    assert "feedback.public_notice" not in codes(feedback_topic)


def test_a_progress_notice_does_not_count_as_the_decision_notice(feedback_topic, clerk):
    run_notice(feedback_topic, clerk, subject="progress")
    end_notices()
    assert "feedback.public_notice" in codes(feedback_topic)


def test_a_withdrawn_notice_does_not_count(feedback_topic, clerk):
    notice = run_notice(feedback_topic, clerk)
    with pytest.raises(ValidationError, match="撤回理由"):
        services.public_notice_withdraw(actor=clerk, notice_id=notice.pk, reason="")
    services.public_notice_withdraw(actor=clerk, notice_id=notice.pk, reason="内容有误")
    end_notices()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.WITHDRAWN
    assert "feedback.public_notice" in codes(feedback_topic)
    with pytest.raises(Conflict):
        services.public_notice_withdraw(actor=clerk, notice_id=notice.pk, reason="再撤")


def test_posted_photo_must_be_an_image(feedback_topic, clerk):
    notice = run_notice(feedback_topic, clerk)
    with pytest.raises(ValidationError, match="JPG、PNG 或 WEBP"):
        services.public_notice_photo_add(actor=clerk, notice_id=notice.pk, upload=pdf())
    photo = services.public_notice_photo_add(
        actor=clerk, notice_id=notice.pk, upload=png()
    )
    assert photo.purpose == "posted_photo"


def test_a_residents_objection_must_be_answered_before_closing(
    feedback_topic, clerk, resident
):
    notice = run_notice(feedback_topic, clerk)
    response = services.response_submit(
        actor=resident, public_id=notice.public_id, kind="objection", content="反对"
    )
    assert Notification.objects.filter(key=f"feedback-response:{response.pk}").exists()
    end_notices()
    assert "feedback.public_notice" in codes(feedback_topic)
    with pytest.raises(ValidationError, match="答复内容"):
        services.response_answer(actor=clerk, response_id=response.pk, answer=" ")
    with pytest.raises(NotVisible):
        services.response_answer(actor=resident, response_id=response.pk, answer="x")
    services.response_answer(actor=clerk, response_id=response.pk, answer="已核实")
    assert "feedback.public_notice" not in codes(feedback_topic)
    with pytest.raises(Conflict):
        services.response_answer(actor=clerk, response_id=response.pk, answer="再答")


def test_responses_only_during_the_period(feedback_topic, clerk, resident):
    scheduled = services.public_notice_create(
        actor=clerk, **notice_args(feedback_topic)
    )
    with pytest.raises(NotVisible):
        services.response_submit(
            actor=resident, public_id=scheduled.public_id, kind="opinion", content="x"
        )
    notice = run_notice(feedback_topic, clerk)
    end_notices()
    with pytest.raises(Conflict, match="公示期已结束"):
        services.response_submit(
            actor=resident, public_id=notice.public_id, kind="opinion", content="x"
        )
    assert not NoticeResponse.objects.exists()


def test_anonymous_visitors_cannot_respond(feedback_topic, clerk):
    from django.contrib.auth.models import AnonymousUser

    notice = run_notice(feedback_topic, clerk)
    with pytest.raises(PermissionDenied):
        services.response_submit(
            actor=AnonymousUser(),
            public_id=notice.public_id,
            kind="opinion",
            content="x",
        )


def test_bulletin_names_each_participants_opinions_and_dispositions(
    feedback_topic, clerk, opinions
):
    sent = services.bulletin_send(actor=clerk, topic_id=feedback_topic.pk)
    assert sent == 3
    first = opinions[0]
    bulletin = Bulletin.objects.get(person=first.participant.person)
    assert bulletin.notification.kind == Kind.BULLETIN
    assert first.content in bulletin.notification.body
    assert "采纳" in bulletin.notification.body
    assert "符合村庄规划" in bulletin.notification.body
    assert services.bulletin_send(actor=clerk, topic_id=feedback_topic.pk) == 0


def test_informed_needs_every_participant_reached_or_a_paper_receipt(
    feedback_topic, clerk
):
    # Participants have no account, email or phone: only paper reaches them.
    services.bulletin_send(actor=clerk, topic_id=feedback_topic.pk)
    assert "feedback.informed" in codes(feedback_topic)
    paper = Delivery.objects.filter(
        notification__kind=Kind.BULLETIN, status=DeliveryStatus.QUEUED
    )
    assert paper.count() == 3
    for delivery in paper:
        receipt_record(actor=clerk, delivery_id=delivery.pk, signed_by="本人")
    assert "feedback.informed" not in codes(feedback_topic)


def test_a_scheduled_notice_of_a_withdrawn_topic_is_never_published(
    feedback_topic, clerk, secretary
):
    from topics.services import topic_transition

    notice = services.public_notice_create(actor=clerk, **notice_args(feedback_topic))
    topic_transition(
        actor=secretary, topic_id=feedback_topic.pk, action="withdraw", reason="停止"
    )
    assert services.public_notices_sweep(timezone.now() + timedelta(hours=2)) == 1
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.WITHDRAWN
    assert "结果反馈" in notice.withdraw_reason


def test_a_meeting_rule_share_cannot_exceed_the_whole(village):
    from django.db import IntegrityError, transaction

    from feedback.models import MeetingRule

    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingRule.objects.create(
            township=village.parent,
            level="village",
            kind="villagers",
            quorum_num=3,
            quorum_den=2,
            pass_num=1,
            pass_den=2,
        )


def test_archiving_is_refused_until_step_five_holds_and_says_what_is_missing(
    feedback_topic, clerk, person, resident
):
    from topics.services import TransitionRefused, topic_transition

    task = new_task(feedback_topic, clerk, person)
    services.progress_report(
        actor=clerk, task_id=task.pk, percent=100, reported_on=today(), note="完成"
    )
    notice = run_notice(feedback_topic, clerk)
    services.response_submit(
        actor=resident, public_id=notice.public_id, kind="objection", content="异议"
    )
    end_notices()
    with pytest.raises(TransitionRefused) as refused:
        topic_transition(actor=clerk, topic_id=feedback_topic.pk, action="archive")
    assert "公示期满" in refused.value.message
    assert "向参与协商对象通报情况" in refused.value.message
    feedback_topic.refresh_from_db()
    assert feedback_topic.state == "feedback"


# -- §六.5 公示通报实施进展情况 ----------------------------------------------------


def test_a_decision_notice_alone_is_no_progress_notice(feedback_topic, clerk):
    run_notice(feedback_topic, clerk)
    end_notices()
    assert "feedback.public_notice" not in codes(feedback_topic)
    assert "feedback.progress_notice" in codes(feedback_topic)


def test_a_progress_notice_that_ran_its_period_counts(feedback_topic, clerk):
    run_notice(feedback_topic, clerk, subject="progress")
    assert "feedback.progress_notice" in codes(feedback_topic)
    end_notices()
    assert "feedback.progress_notice" not in codes(feedback_topic)


def test_a_progress_notice_with_an_unanswered_response_does_not_count(
    feedback_topic, clerk, resident
):
    notice = run_notice(feedback_topic, clerk, subject="progress")
    response = services.response_submit(
        actor=resident, public_id=notice.public_id, kind="opinion", content="何时完工"
    )
    end_notices()
    assert "feedback.progress_notice" in codes(feedback_topic)
    services.response_answer(actor=clerk, response_id=response.pk, answer="月底")
    assert "feedback.progress_notice" not in codes(feedback_topic)


def test_a_decision_notice_marked_as_progress_counts_with_progress_reported(
    feedback_topic, clerk, person
):
    """Marked, it counts only once tasks were reported while it ran."""
    notice = run_notice(feedback_topic, clerk)
    services.public_notice_cover_progress(actor=clerk, notice_id=notice.pk)
    with pytest.raises(Conflict):
        services.public_notice_cover_progress(actor=clerk, notice_id=notice.pk)
    end_notices()
    assert "feedback.progress_notice" in codes(feedback_topic)

    other = run_notice(feedback_topic, clerk)
    services.public_notice_cover_progress(actor=clerk, notice_id=other.pk)
    task = new_task(feedback_topic, clerk, person)
    services.progress_report(
        actor=clerk, task_id=task.pk, percent=40, reported_on=today(), note="开工"
    )
    end_notices(days=12)
    assert "feedback.progress_notice" not in codes(feedback_topic)


def test_only_a_decision_notice_is_marked_as_covering_progress(feedback_topic, clerk):
    notice = run_notice(feedback_topic, clerk, subject="progress")
    with pytest.raises(Conflict):
        services.public_notice_cover_progress(actor=clerk, notice_id=notice.pk)
    notice.refresh_from_db()
    assert not notice.covers_progress
