"""The rules of steps 2 and 3, through the services: allowed and refused."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from committees.models import Role
from consult import services
from consult.corrected import current_records
from consult.models import (
    Attendance,
    Correction,
    Material,
    MaterialVersion,
    NoticeRound,
    Opinion,
    Participant,
    Session,
    SignInPhoto,
)
from core.errors import NotVisible, Sealed, StepClosed
from core.models import AuditEvent
from notifications.models import Channel, Delivery, DeliveryStatus, Kind
from notifications.services import receipt_record
from tests.factories import (
    ParticipantFactory,
    PersonFactory,
    TopicFactory,
    VillageFactory,
    user_with_role,
)
from topics.states import State

from .conftest import PDF, in_days, move, notified_meeting, pdf, plan, png

pytestmark = pytest.mark.django_db


def verbs(topic) -> list[str]:
    return list(
        AuditEvent.objects.for_subject(topic)
        .order_by("seq")
        .values_list("verb", flat=True)
    )


# -- plan


def test_planning_a_session_is_audited_on_the_topic_chain(clerk, topic):
    session = plan(clerk, topic)
    assert session.kind == "meeting"
    event = AuditEvent.objects.for_subject(topic).get(verb="session_plan")
    assert event.record_id == session.pk
    assert event.data["after"]["location"] == "村委会会议室"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"days": -1}, "starts_at"),
        ({"ends_at": in_days(9)}, "ends_at"),
        ({"agenda": ""}, "agenda"),
        ({"location": ""}, "location"),
        ({"form": "t_meeting"}, "form"),
    ],
)
def test_bad_sessions_are_refused_and_nothing_saved(clerk, topic, extra, field):
    with pytest.raises(ValidationError) as refused:
        plan(clerk, topic, **extra)
    assert field in refused.value.message_dict
    assert not Session.objects.exists()
    assert "session_plan" not in verbs(topic)


def test_only_the_forms_the_topic_was_approved_for_are_planned(clerk, topic):
    """§六.3 根据确定的协商方案、议题和形式： a topic approved for 会议协商 gets
    no online consultation, in the service and in the planning form."""
    from consult.forms import SessionForm

    type(topic).objects.filter(pk=topic.pk).update(forms=["v_meeting"])
    topic.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        plan(clerk, topic, form="v_online", location="")
    assert "会议协商" in refused.value.message_dict["form"][0]
    assert not Session.objects.exists()
    assert plan(clerk, topic, form="v_meeting").form == "v_meeting"
    offered = [
        value for value, _label in SessionForm(topic=topic).fields["form"].choices
    ]
    assert offered == ["v_meeting"]


def test_written_consultation_needs_no_place(clerk, topic):
    session = plan(clerk, topic, form="v_written", location="")
    assert session.is_written


def test_an_interview_names_one_participant(clerk, topic, participant):
    with pytest.raises(ValidationError):
        services.session_plan(
            actor=clerk,
            topic_id=topic.pk,
            form="t_interview",
            starts_at=in_days(5),
            ends_at=in_days(5.1),
            location="x",
            agenda="y",
        )
    township_topic = TopicFactory(
        place=topic.place.parent, state=State.PREPARING, forms=["t_interview"]
    )
    township_clerk = user_with_role(Role.TOWNSHIP_CLERK, topic.place.parent)
    other = ParticipantFactory(topic=township_topic)
    session = services.session_plan(
        actor=township_clerk,
        topic_id=township_topic.pk,
        form="t_interview",
        starts_at=in_days(5),
        ends_at=in_days(5.1),
        location="办公室",
        agenda="听取意见",
        interviewee_id=other.pk,
    )
    assert session.interviewee == other


def test_only_the_place_clerks_plan(topic, member, village):
    other_clerk = user_with_role(Role.VILLAGE_CLERK, VillageFactory())
    with pytest.raises(NotVisible):
        plan(other_clerk, topic)
    with pytest.raises(PermissionDenied):
        plan(member, topic)
    resident = user_with_role(Role.RESIDENT, village)
    with pytest.raises(NotVisible):
        plan(resident, topic)


def test_the_township_secretary_sees_but_does_not_run_village_topics(topic):
    township_secretary = user_with_role(Role.TOWNSHIP_SECRETARY, topic.place.parent)
    with pytest.raises(PermissionDenied):
        plan(township_secretary, topic)


def test_no_planning_once_the_topic_has_left_steps_2_and_3(clerk, topic):
    move(topic, State.ADOPTING)
    with pytest.raises(StepClosed):
        plan(clerk, topic)
    move(topic, State.ARCHIVED)
    with pytest.raises(Sealed):
        plan(clerk, topic)


# -- participants


def test_roster_brings_current_members_by_category(clerk, topic, council):
    added = services.participants_from_roster(
        actor=clerk,
        topic_id=topic.pk,
        platform_id=council.pk,
        categories=["villager_rep"],
    )
    assert len(added) == 2
    added = services.participants_from_roster(
        actor=clerk, topic_id=topic.pk, platform_id=council.pk
    )
    # The two villager representatives are already on the list; the past
    # member is not on the roster any more.
    assert {p.person.name for p in added} == {"成员2", "成员3"}
    assert all(p.platform == council for p in added)
    assert verbs(topic).count("participant_add") == 4
    with pytest.raises(ValidationError):
        services.participants_from_roster(
            actor=clerk, topic_id=topic.pk, platform_id=council.pk
        )


def test_roster_of_another_village_is_refused(clerk, topic, council):
    from tests.factories import PlatformFactory

    foreign = PlatformFactory(place=VillageFactory(), kind="village_council")
    with pytest.raises(ValidationError):
        services.participants_from_roster(
            actor=clerk, topic_id=topic.pk, platform_id=foreign.pk
        )


def test_a_person_without_account_is_added(clerk, topic):
    participant = services.participant_add_person(
        actor=clerk,
        topic_id=topic.pk,
        name="赵大爷",
        category="stakeholder",
        organisation="三组村民",
        phone="13800000000",
    )
    assert participant.person.user is None
    assert participant.person.place == topic.place
    with pytest.raises(ValidationError) as refused:
        services.participant_add_person(
            actor=clerk, topic_id=topic.pk, name="", category="nope", phone="abc"
        )
    assert set(refused.value.message_dict) == {"name", "category", "phone"}


def test_gap_reason_covers_the_missing_categories(clerk, topic, participant):
    with pytest.raises(ValidationError):
        services.participants_gap_explain(actor=clerk, topic_id=topic.pk, reason=" ")
    plan_ = services.participants_gap_explain(
        actor=clerk, topic_id=topic.pk, reason="本村无政协委员和统战人士。"
    )
    assert "cppcc_member" in plan_.gap_categories
    assert "masses" not in plan_.gap_categories
    event = AuditEvent.objects.for_subject(topic).get(verb="participants_gap_explain")
    assert event.reason == "本村无政协委员和统战人士。"


def test_removing_a_participant_with_records_is_refused(clerk, topic, participant):
    services.opinion_pre_collect(
        actor=clerk, topic_id=topic.pk, participant_id=participant.pk, content="意见"
    )
    with pytest.raises(ValidationError):
        services.participant_remove(
            actor=clerk, topic_id=topic.pk, participant_id=participant.pk
        )
    other = ParticipantFactory(topic=topic)
    services.participant_remove(actor=clerk, topic_id=topic.pk, participant_id=other.pk)
    assert not Participant.objects.filter(pk=other.pk).exists()
    assert "participant_remove" in verbs(topic)


def test_removing_a_participant_of_another_topic_is_not_visible(clerk, topic):
    """The topic in the URL names the list: an id from another topic (even one
    the clerk runs) is not found there and stays on its own list."""
    from tests.factories import TopicFactory

    elsewhere = ParticipantFactory(
        topic=TopicFactory(place=topic.place, state=State.PREPARING)
    )
    with pytest.raises(NotVisible):
        services.participant_remove(
            actor=clerk, topic_id=topic.pk, participant_id=elsewhere.pk
        )
    assert Participant.objects.filter(pk=elsewhere.pk).exists()


# -- notices


def test_notice_reaches_every_participant_with_the_event(clerk, topic, member):
    offline = ParticipantFactory(topic=topic, person=PersonFactory(name="无联系"))
    session = plan(clerk, topic)
    notice = services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    notification = notice.notification
    assert notification.kind == Kind.MEETING_NOTICE
    assert notification.event_start == session.starts_at
    assert notification.location == session.location
    assert Delivery.objects.get(
        notification=notification, person=member.person, channel=Channel.INBOX
    ).status == (DeliveryStatus.SENT)
    paper = Delivery.objects.get(
        notification=notification, person=offline.person, channel=Channel.PAPER
    )
    assert paper.channel == Channel.PAPER and paper.status == DeliveryStatus.QUEUED
    assert "notice_send" in verbs(topic)


def test_notice_needs_sessions_and_participants(clerk, topic):
    with pytest.raises(ValidationError):
        services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    plan(clerk, topic)
    with pytest.raises(ValidationError):
        services.meeting_notice_send(actor=clerk, topic_id=topic.pk)


def test_sending_again_reaches_only_new_participants(clerk, topic, member):
    plan(clerk, topic)
    first = services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    ParticipantFactory(topic=topic, person=PersonFactory(email="x@example.com"))
    again = services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    assert again.pk == first.pk
    assert (
        Delivery.objects.filter(
            notification=first.notification, person=member.person
        ).count()
        == len(Channel.values) - 1
    )  # inbox sent; email, sms skipped
    assert NoticeRound.objects.count() == 1


def test_moving_a_session_renotifies(clerk, topic, member):
    session = plan(clerk, topic)
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    services.session_reschedule(
        actor=clerk,
        session_id=session.pk,
        form=session.form,
        starts_at=in_days(12),
        ends_at=in_days(12.1),
        location=session.location,
        agenda=session.agenda,
        host=session.host,
    )
    rounds = list(NoticeRound.objects.order_by("number"))
    assert [r.number for r in rounds] == [1, 2]
    assert (
        rounds[1].notification.event_start
        == in_days(12).replace(
            microsecond=rounds[1].notification.event_start.microsecond
        )
        or rounds[1].first_starts_at > rounds[0].first_starts_at
    )
    assert Delivery.objects.filter(
        notification=rounds[1].notification, person=member.person
    ).exists()


def test_editing_only_the_agenda_does_not_renotify(clerk, topic, member):
    session = plan(clerk, topic)
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    services.session_reschedule(
        actor=clerk,
        session_id=session.pk,
        form=session.form,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        location=session.location,
        agenda="新议程",
        host=session.host,
    )
    assert NoticeRound.objects.count() == 1


def test_paper_receipt_is_recorded_on_the_topic_chain(clerk, topic):
    offline = ParticipantFactory(topic=topic)
    plan(clerk, topic)
    notice = services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    paper = Delivery.objects.get(
        notification=notice.notification, person=offline.person, channel=Channel.PAPER
    )
    with pytest.raises(ValidationError):
        receipt_record(actor=clerk, delivery_id=paper.pk, signed_by="")
    receipt_record(actor=clerk, delivery_id=paper.pk, signed_by="本人")
    paper.refresh_from_db()
    assert paper.status == DeliveryStatus.SENT
    assert "receipt_record" in verbs(topic)


# -- materials


def test_material_upload_stores_hash_and_versions(clerk, topic):
    import hashlib

    first = services.material_upload(
        actor=clerk, topic_id=topic.pk, upload=pdf(), title="实施方案"
    )
    assert first.sha256 == hashlib.sha256(PDF).hexdigest()
    assert first.content_type == "application/pdf"
    assert first.file.name.startswith(f"consult/materialversion/{topic.pk}/")
    assert "方案" not in first.file.name
    second = services.material_upload(
        actor=clerk,
        topic_id=topic.pk,
        upload=pdf(content=PDF + b"% v2\n"),
        material_id=first.material_id,
    )
    assert second.number == 2 and second.material_id == first.material_id
    assert MaterialVersion.objects.count() == 2
    assert first.file.storage.exists(first.file.name)
    assert verbs(topic).count("material_upload") == 2


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("a.html", b"<html><script>x</script>"),
            "不允许上传",
        ),
        (SimpleUploadedFile("a.pdf", b"<html><script>x</script>"), "内容与扩展名不符"),
        (SimpleUploadedFile("a.png", PDF), "内容与扩展名不符"),
        (SimpleUploadedFile("a\x07.pdf", PDF), "文件名不合法"),
        (SimpleUploadedFile("..\\a.pdf", PDF), "文件名不合法"),
        (SimpleUploadedFile("a.pdf", b""), "空"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_stored(clerk, topic, upload, message):
    with pytest.raises(ValidationError) as refused:
        services.material_upload(actor=clerk, topic_id=topic.pk, upload=upload)
    assert message in " ".join(refused.value.messages)
    assert not Material.objects.exists()
    assert not MaterialVersion.objects.exists()


def test_upload_over_the_limit_is_refused(clerk, topic, settings):
    settings.XST_UPLOAD_MAX_BYTES = 10
    with pytest.raises(ValidationError) as refused:
        services.material_upload(actor=clerk, topic_id=topic.pk, upload=pdf())
    assert "文件过大" in " ".join(refused.value.messages)
    assert not Material.objects.exists()


def test_materials_are_sent_to_participants(clerk, topic, member):
    with pytest.raises(ValidationError):
        services.material_send(actor=clerk, topic_id=topic.pk)
    services.material_upload(actor=clerk, topic_id=topic.pk, upload=pdf())
    notification = services.material_send(actor=clerk, topic_id=topic.pk)
    assert notification.kind == Kind.MATERIAL
    assert notification.deliveries.filter(person=member.person).exists()


# -- pre-consultation opinions


def test_participant_records_own_pre_opinion(topic, member, participant):
    opinion = services.opinion_pre_collect(
        actor=member, topic_id=topic.pk, content="群众希望修路", kind="suggestion"
    )
    assert opinion.source == "pre" and opinion.participant == participant
    assert opinion.author == member.person
    other = ParticipantFactory(topic=topic)
    with pytest.raises(PermissionDenied):
        services.opinion_pre_collect(
            actor=member, topic_id=topic.pk, content="x", participant_id=other.pk
        )


def test_pre_opinion_without_content_is_refused(clerk, topic, participant):
    with pytest.raises(ValidationError):
        services.opinion_pre_collect(
            actor=clerk, topic_id=topic.pk, participant_id=participant.pk, content=" "
        )
    assert not Opinion.objects.exists()


# -- sessions (step 3)


@pytest.fixture
def held(clerk, topic, participant):
    """A meeting planned in step 2 and now under way in step 3."""
    session = notified_meeting(clerk, topic)
    move(topic, State.CONSULTING)
    traveller = time_machine.travel(in_days(4.01), tick=False)
    traveller.start()
    yield session
    traveller.stop()


def test_attendance_one_tap_and_change(clerk, topic, participant, held):
    services.attendance_mark(
        actor=clerk, session_id=held.pk, participant_id=participant.pk, status="absent"
    )
    services.attendance_mark(
        actor=clerk,
        session_id=held.pk,
        participant_id=participant.pk,
        status="represented",
        represented_by="王某某",
    )
    attendance = Attendance.objects.get()
    assert attendance.status == "represented"
    assert attendance.represented_by == "王某某"
    event = AuditEvent.objects.for_subject(topic).filter(verb="attendance_mark").last()
    assert event.data["before"]["status"] == "absent"


def test_attendance_rules(clerk, topic, held, participant):
    stranger = ParticipantFactory(topic=TopicFactory(place=topic.place))
    with pytest.raises(ValidationError):
        services.attendance_mark(
            actor=clerk,
            session_id=held.pk,
            participant_id=stranger.pk,
            status="present",
        )
    with pytest.raises(ValidationError):
        services.attendance_mark(
            actor=clerk,
            session_id=held.pk,
            participant_id=participant.pk,
            status="represented",
        )
    with pytest.raises(ValidationError):
        services.attendance_mark(
            actor=clerk, session_id=held.pk, participant_id=participant.pk, status="x"
        )
    assert not Attendance.objects.exists()


def test_minutes_and_opinions_of_a_meeting(clerk, topic, held, participant):
    services.session_record(
        actor=clerk,
        session_id=held.pk,
        minutes="会议记录",
        consensus="同意修路",
        disputed="资金来源",
    )
    from_list = services.opinion_record(
        actor=clerk,
        session_id=held.pk,
        participant_id=participant.pk,
        content="先修主路",
        kind="suggestion",
    )
    from_paper = services.opinion_record(
        actor=clerk,
        session_id=held.pk,
        author_name="列席村民刘某",
        content="反对占用耕地",
        kind="objection",
    )
    assert from_list.author_name == "王委员" and from_list.source == "session"
    assert from_paper.participant is None and from_paper.kind == "objection"
    held.refresh_from_db()
    assert held.recorded_at and held.consensus == "同意修路"
    with pytest.raises(ValidationError):
        services.opinion_record(actor=clerk, session_id=held.pk, content="无名")
    with pytest.raises(ValidationError):
        services.opinion_record(
            actor=clerk, session_id=held.pk, author_name="某", content=""
        )
    with pytest.raises(ValidationError):
        services.session_record(actor=clerk, session_id=held.pk, minutes="")


def test_a_session_not_yet_started_cannot_be_recorded(clerk, topic, participant):
    session = plan(clerk, topic, days=3)
    move(topic, State.CONSULTING)
    with pytest.raises(ValidationError):
        services.session_record(actor=clerk, session_id=session.pk, minutes="x")


def test_sign_in_photo_must_be_an_image(clerk, topic, held):
    photo = services.photo_upload(actor=clerk, session_id=held.pk, upload=png())
    assert photo.content_type == "image/png" and len(photo.sha256) == 64
    with pytest.raises(ValidationError):
        services.photo_upload(actor=clerk, session_id=held.pk, upload=pdf())
    assert SignInPhoto.objects.count() == 1


def test_session_records_refused_after_the_step_except_corrections(
    clerk, topic, held, participant
):
    services.session_record(actor=clerk, session_id=held.pk, minutes="初稿")
    move(topic, State.ADOPTING)
    with pytest.raises(StepClosed):
        services.session_record(actor=clerk, session_id=held.pk, minutes="改稿")
    services.session_record(
        actor=clerk,
        session_id=held.pk,
        minutes="改稿",
        correction="记录员漏记一段发言，据录音补正。",
    )
    event = AuditEvent.objects.for_subject(topic).filter(verb="session_record").last()
    assert event.reason.startswith("记录员漏记")
    assert event.data["before"]["minutes"] == "初稿"
    assert event.data["correction"] is True
    # Appended, never overwritten: the correction is its own row.
    held.refresh_from_db()
    assert held.minutes == "初稿"
    correction = Correction.objects.get()
    assert event.record_id == correction.pk
    assert (correction.kind, correction.before, correction.after) == (
        "record",
        {"minutes": "初稿"},
        {"minutes": "改稿"},
    )
    move(topic, State.ARCHIVED)
    with pytest.raises(Sealed):
        services.session_record(
            actor=clerk, session_id=held.pk, minutes="再改", correction="理由"
        )


def test_corrections_chain_and_are_read_back_through_one_selector(
    clerk, topic, held, participant
):
    services.session_record(
        actor=clerk, session_id=held.pk, minutes="初稿", consensus="共识"
    )
    services.attendance_mark(
        actor=clerk, session_id=held.pk, participant_id=participant.pk, status="absent"
    )
    move(topic, State.ADOPTING)
    for minutes in ("二稿", "三稿"):
        services.session_record(
            actor=clerk,
            session_id=held.pk,
            minutes=minutes,
            consensus="共识",
            correction="据录音补正",
        )
    services.attendance_mark(
        actor=clerk,
        session_id=held.pk,
        participant_id=participant.pk,
        status="represented",
        represented_by="王某",
        correction="委托书补交",
    )
    first, second = Correction.objects.filter(kind="record").order_by("pk")
    assert second.before == {"minutes": "二稿"} and second.after == {"minutes": "三稿"}
    current = current_records([held.pk])
    assert current.records[held.pk] == {
        "minutes": "三稿",
        "consensus": "共识",
        "disputed": "",
        "no_consensus": False,
    }
    standing = current.attendance[held.pk][participant.pk]
    assert (standing.status, standing.represented_by, standing.corrected) == (
        "represented",
        "王某",
        True,
    )
    assert len(current.history[held.pk]) == 3
    assert Attendance.objects.get().status == "absent"
    held.refresh_from_db()
    assert held.minutes == "初稿"


def test_a_correction_that_changes_nothing_is_refused(clerk, topic, held, participant):
    services.session_record(actor=clerk, session_id=held.pk, minutes="初稿")
    services.attendance_mark(
        actor=clerk, session_id=held.pk, participant_id=participant.pk, status="absent"
    )
    move(topic, State.ADOPTING)
    with pytest.raises(ValidationError, match="相同"):
        services.session_record(
            actor=clerk, session_id=held.pk, minutes="初稿", correction="理由"
        )
    with pytest.raises(ValidationError, match="相同"):
        services.attendance_mark(
            actor=clerk,
            session_id=held.pk,
            participant_id=participant.pk,
            status="absent",
            correction="理由",
        )
    assert not Correction.objects.exists()


def test_evidence_reads_corrected_attendance(clerk, topic, held, participant):
    from consult.evidence import has_session

    services.session_record(
        actor=clerk, session_id=held.pk, minutes="纪要", consensus="同意修路"
    )
    services.opinion_record(
        actor=clerk, session_id=held.pk, content="修路", participant_id=participant.pk
    )
    move(topic, State.ADOPTING)
    assert topic.pk not in has_session([topic])
    services.attendance_mark(
        actor=clerk,
        session_id=held.pk,
        participant_id=participant.pk,
        status="present",
        correction="签到表漏登，据照片补正",
    )
    assert not Attendance.objects.exists()
    assert topic.pk in has_session([topic])


def test_a_correction_is_not_a_way_to_skip_ahead(clerk, topic, participant):
    session = plan(clerk, topic, days=1)
    with pytest.raises(StepClosed):
        services.session_record(actor=clerk, session_id=session.pk, minutes="x")
    with pytest.raises(ValidationError):
        services.session_record(
            actor=clerk, session_id=session.pk, minutes="x", correction="提前记录"
        )


def test_members_cannot_correct(clerk, topic, held, member, participant):
    move(topic, State.ADOPTING)
    with pytest.raises(PermissionDenied):
        services.session_record(
            actor=member, session_id=held.pk, minutes="x", correction="理由"
        )


# -- written consultation


def test_written_answer_online_and_replacement(topic, member, written, participant):
    with time_machine.travel(in_days(1.5), tick=False):
        first = services.written_answer(
            actor=member, session_id=written.pk, content="同意", kind="suggestion"
        )
        second = services.written_answer(
            actor=member, session_id=written.pk, content="有疑问", kind="question"
        )
    assert first.pk == second.pk
    assert Opinion.objects.get().content == "有疑问"
    event = AuditEvent.objects.for_subject(topic).get(verb="written_answer_replace")
    assert event.data["before"]["content"] == "同意"


def test_written_answer_after_deadline(clerk, topic, member, written, participant):
    with time_machine.travel(written.ends_at + timedelta(hours=1), tick=False):
        with pytest.raises(ValidationError):
            services.written_answer(actor=member, session_id=written.pk, content="晚了")
        with pytest.raises(ValidationError):
            services.written_answer(
                actor=clerk,
                session_id=written.pk,
                participant_id=participant.pk,
                content="纸质答复",
            )
        services.written_answer(
            actor=clerk,
            session_id=written.pk,
            participant_id=participant.pk,
            content="纸质答复",
            late_reason="邮寄答复截止前寄出，今日收到。",
        )
    event = AuditEvent.objects.for_subject(topic).get(verb="written_answer")
    assert event.reason.startswith("邮寄答复")


def test_written_answer_from_non_participant_is_refused(topic, written, village):
    resident = user_with_role(Role.RESIDENT, village)
    with time_machine.travel(in_days(1.5), tick=False), pytest.raises(NotVisible):
        services.written_answer(actor=resident, session_id=written.pk, content="x")


def test_written_close_and_request(clerk, topic, member, written):
    notification = services.written_request_send(actor=clerk, session_id=written.pk)
    assert notification.kind == Kind.WRITTEN_REQUEST
    with time_machine.travel(in_days(1.5), tick=False):
        services.session_close(actor=clerk, session_id=written.pk)
        with pytest.raises(ValidationError):
            services.written_answer(actor=member, session_id=written.pk, content="x")


# -- online consultation


@pytest.fixture
def online(clerk, topic, participant):
    session = plan(clerk, topic, days=1, form="v_online", location="")
    move(topic, State.CONSULTING)
    return session


def test_residents_comment_and_clerk_hides_with_reason(clerk, topic, online, village):
    resident = user_with_role(Role.RESIDENT, village, first_name="村民甲")
    with time_machine.travel(in_days(1.01), tick=False):
        comment = services.online_comment(
            actor=resident, session_id=online.pk, content="<script>alert(1)</script>"
        )
        with pytest.raises(ValidationError):
            services.opinion_hide(
                actor=clerk, session_id=online.pk, opinion_id=comment.pk, reason=""
            )
        services.opinion_hide(
            actor=clerk,
            session_id=online.pk,
            opinion_id=comment.pk,
            reason="与议题无关",
        )
    comment.refresh_from_db()
    assert comment.is_hidden and comment.hidden_reason == "与议题无关"
    assert Opinion.objects.filter(pk=comment.pk).exists()
    from consult.selectors import topic_opinions

    assert not topic_opinions([topic.pk]).filter(pk=comment.pk).exists()


def test_online_comment_rules(topic, online, village, member):
    outsider = user_with_role(Role.RESIDENT, VillageFactory(parent=village.parent))
    with time_machine.travel(in_days(1.01), tick=False):
        with pytest.raises(NotVisible):
            services.online_comment(actor=outsider, session_id=online.pk, content="x")
        services.online_comment(actor=member, session_id=online.pk, content="参与者")
    resident = user_with_role(Role.RESIDENT, village)
    with pytest.raises(ValidationError):
        services.online_comment(actor=resident, session_id=online.pk, content="早了")
    with time_machine.travel(in_days(1.01), tick=False), pytest.raises(ValidationError):
        services.online_comment(actor=resident, session_id=online.pk, content="  ")


def test_clerk_cannot_hide_a_meeting_opinion_from_another_place(topic, online):
    other_clerk = user_with_role(Role.VILLAGE_CLERK, VillageFactory())
    opinion = Opinion.objects.create(
        topic=topic, source="online", session=online, author_name="x", content="y"
    )
    with pytest.raises(NotVisible):
        services.opinion_hide(
            actor=other_clerk, session_id=online.pk, opinion_id=opinion.pk, reason="z"
        )


def test_resident_who_sees_the_session_is_refused_hiding_not_told_it_is_missing(
    topic, online, village
):
    resident = user_with_role(Role.RESIDENT, village)
    opinion = Opinion.objects.create(
        topic=topic, source="online", session=online, author_name="x", content="y"
    )
    with pytest.raises(PermissionDenied):
        services.opinion_hide(
            actor=resident, session_id=online.pk, opinion_id=opinion.pk, reason="z"
        )


def test_hiding_a_comment_of_another_session_is_not_visible(clerk, topic, online):
    other = plan(clerk, topic, days=2, form="v_online", location="")
    opinion = Opinion.objects.create(
        topic=topic, source="online", session=other, author_name="x", content="y"
    )
    with pytest.raises(NotVisible):
        services.opinion_hide(
            actor=clerk, session_id=online.pk, opinion_id=opinion.pk, reason="z"
        )
    opinion.refresh_from_db()
    assert not opinion.is_hidden


def test_material_content_is_checked_not_the_name(clerk, topic):
    renamed = SimpleUploadedFile("photo.jpg", PDF)
    with pytest.raises(ValidationError):
        services.material_upload(actor=clerk, topic_id=topic.pk, upload=renamed)
