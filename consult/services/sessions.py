"""Sessions as held: attendance, minutes, opinions spoken, sign-in photos,
and their corrections after the step."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from core.uploads import FileKind, upload_check, upload_store
from core.validators import clean_text
from topics.models import Topic
from topics.records import snapshot, topic_event

from ..corrected import RECORD_FIELDS, current_records
from ..evidence import notified_sessions
from ..models import (
    Attendance,
    AttendanceStatus,
    Correction,
    CorrectionKind,
    Opinion,
    OpinionKind,
    OpinionSource,
    Participant,
    Session,
    SessionKind,
    SignInPhoto,
)
from ._base import (
    CONSULT,
    _clean_opinion,
    _load_session,
    _opinion_after,
    _participant,
    _session_for_update,
    _writing,
)


def _meeting(session: Session) -> None:
    if session.kind not in (SessionKind.MEETING, SessionKind.INTERVIEW):
        raise ValidationError(_("书面征询和网上协商不登记签到。"))


def _notified(session: Session) -> None:
    """§六.2 提前做好相关通知： a session is held as notified, however late in
    the procedure it was planned or moved."""
    if session.pk not in notified_sessions([session.topic_id], [session.pk]):
        raise ValidationError(
            _(
                "该协商活动没有按规定提前通知：须至少提前 %(days)d 天把载明"
                "该活动时间、地点的参会通知发给全部参与对象，才能登记和记录。"
            )
            % {"days": settings.XST_NOTICE_MIN_DAYS},
        )


def attendance_mark(
    *,
    actor,
    session_id: int,
    participant_id: int,
    status: str,
    represented_by: str = "",
    correction: str = "",
) -> Attendance:
    """One tap per person: present, absent, on leave or represented by someone."""
    represented_by = clean_text(
        represented_by,
        field="represented_by",
        max_length=Attendance._meta.get_field("represented_by").max_length,
        required=False,
    )
    if status not in AttendanceStatus.values:
        raise ValidationError({"status": [_("请选择出席情况。")]})
    if status == AttendanceStatus.REPRESENTED and not represented_by:
        raise ValidationError(
            {"represented_by": [_("委托他人出席时请填写受托人姓名。")]}
        )
    if status != AttendanceStatus.REPRESENTED:
        represented_by = ""
    topic_id = _session_for_update(session_id).topic_id
    with _writing(topic_id, actor=actor, steps=CONSULT, correction=correction) as (
        topic,
        reason,
    ):
        session = _load_session(topic, session_id)
        _meeting(session)
        participant = _participant(topic, participant_id)
        if session.interviewee_id and participant.pk != session.interviewee_id:
            raise ValidationError({"participant": [_("个别访谈只登记访谈对象本人。")]})
        if reason:
            return _attendance_correct(
                topic,
                session,
                participant,
                actor=actor,
                reason=reason,
                after={"status": status, "represented_by": represented_by},
            )
        _notified(session)
        attendance = Attendance.objects.filter(
            session=session, participant=participant
        ).first()
        before = (
            snapshot(attendance, ("status", "represented_by")) if attendance else None
        )
        if attendance is None:
            attendance = Attendance(session=session, participant=participant)
        attendance.status = status
        attendance.represented_by = represented_by
        attendance.recorded_at = timezone.now()
        attendance.save(
            update_fields=None
            if attendance.pk is None
            else ["status", "represented_by", "recorded_at"]
        )
        topic_event(
            topic,
            actor=actor,
            verb="attendance_mark",
            record=attendance,
            before=before,
            after={
                "session": session.pk,
                "participant": participant.pk,
                "status": status,
                "represented_by": represented_by,
            },
        )
    return attendance


def _attendance_correct(
    topic: Topic, session: Session, participant: Participant, *, actor, reason, after
) -> Attendance:
    """A correction of attendance after step 3: its own row, the original
    attendance row untouched. Returns the attendance as it now stands
    (unsaved)."""
    current = current_records([session.pk]).attendance.get(session.pk, {})
    standing = current.get(participant.pk)
    before = (
        {"status": standing.status, "represented_by": standing.represented_by}
        if standing
        else None
    )
    if before == after:
        raise ValidationError({"status": [_("更正后的出席情况与现有记录相同。")]})
    correction = Correction.objects.create(
        topic=topic,
        session=session,
        kind=CorrectionKind.ATTENDANCE,
        participant=participant,
        before=before,
        after=after,
        reason=reason,
        created_by=actor,
    )
    topic_event(
        topic,
        actor=actor,
        verb="attendance_mark",
        record=correction,
        before=before,
        after={"session": session.pk, "participant": participant.pk, **after},
        reason=reason,
        data={"correction": True},
    )
    return Attendance(
        session=session,
        participant=participant,
        recorded_at=correction.created_at,
        **after,
    )


def session_record(
    *,
    actor,
    session_id: int,
    minutes: str,
    consensus: str = "",
    disputed: str = "",
    no_consensus: bool = False,
    correction: str = "",
) -> Session:
    """The minutes of a session, the consensus reached and the points disputed,
    or that no consensus was reached (then the points disputed are required)."""
    values = {
        name: clean_text(
            value,
            field=name,
            max_length=Session._meta.get_field(name).max_length,
            multiline=True,
            required=name == "minutes",
            required_message=_("请填写会议记录。"),
        )
        for name, value in (
            ("minutes", minutes),
            ("consensus", consensus),
            ("disputed", disputed),
        )
    }
    no_consensus = bool(no_consensus)
    if no_consensus and values["consensus"]:
        raise ValidationError(
            {"consensus": [_("已勾选“未达成共识”，就不要再填写形成的共识。")]}
        )
    if no_consensus and not values["disputed"]:
        raise ValidationError({"disputed": [_("未达成共识时，请写明仍有分歧的问题。")]})
    values["no_consensus"] = no_consensus
    topic_id = _session_for_update(session_id).topic_id
    with _writing(topic_id, actor=actor, steps=CONSULT, correction=correction) as (
        topic,
        reason,
    ):
        session = _load_session(topic, session_id)
        _meeting(session)
        if session.starts_at > timezone.now():
            raise ValidationError(_("协商活动尚未开始，不能记录。"))
        if reason:
            _record_correct(topic, session, actor=actor, reason=reason, values=values)
            return session
        _notified(session)
        before = snapshot(session, RECORD_FIELDS)
        for name, value in values.items():
            setattr(session, name, value)
        session.recorded_at = session.recorded_at or timezone.now()
        session.save(update_fields=[*values, "recorded_at"])
        topic_event(
            topic,
            actor=actor,
            verb="session_record",
            record=session,
            before=before,
            after=values,
        )
    return session


def _record_correct(
    topic: Topic, session: Session, *, actor, reason: str, values: dict
) -> Correction:
    """A correction of the minutes after step 3: the changed fields as their
    own row; the session's minutes stay as first recorded."""
    current = current_records([session.pk]).records[session.pk]
    changed = [name for name in RECORD_FIELDS if current[name] != values[name]]
    if not changed:
        raise ValidationError({"minutes": [_("更正内容与现有记录相同。")]})
    before = {name: current[name] for name in changed}
    after = {name: values[name] for name in changed}
    correction = Correction.objects.create(
        topic=topic,
        session=session,
        kind=CorrectionKind.RECORD,
        before=before,
        after=after,
        reason=reason,
        created_by=actor,
    )
    topic_event(
        topic,
        actor=actor,
        verb="session_record",
        record=correction,
        before=before,
        after=after,
        reason=reason,
        data={"correction": True, "session": session.pk},
    )
    return correction


def opinion_record(
    *,
    actor,
    session_id: int,
    content: str,
    kind: str = OpinionKind.SUGGESTION,
    participant_id: int | None = None,
    author_name: str = "",
    correction: str = "",
) -> Opinion:
    """An opinion voiced in a meeting or interview, with its speaker: a
    participant on the list or a name as written on the paper."""
    author_name = (author_name or "").strip()
    content, kind = _clean_opinion(content, kind, author_name)
    topic_id = _session_for_update(session_id).topic_id
    with _writing(topic_id, actor=actor, steps=CONSULT, correction=correction) as (
        topic,
        reason,
    ):
        session = _load_session(topic, session_id)
        _meeting(session)
        if session.starts_at > timezone.now():
            raise ValidationError(_("协商活动尚未开始，不能记录。"))
        participant = _participant(topic, participant_id) if participant_id else None
        if participant is None and not author_name:
            raise ValidationError({"author_name": [_("请选择或填写提出人。")]})
        opinion = Opinion.objects.create(
            topic=topic,
            source=(
                OpinionSource.INTERVIEW
                if session.kind == SessionKind.INTERVIEW
                else OpinionSource.SESSION
            ),
            session=session,
            participant=participant,
            author=participant.person if participant else None,
            author_name=author_name or participant.name,
            content=content,
            kind=kind,
            submitted_by=actor,
        )
        topic_event(
            topic,
            actor=actor,
            verb="opinion_add",
            record=opinion,
            after=_opinion_after(opinion),
            reason=reason,
            data={"correction": True} if reason else None,
        )
    return opinion


def photo_upload(*, actor, session_id: int, upload: UploadedFile) -> SignInPhoto:
    """Attach a photo of the paper sign-in sheet to a session."""
    (checked,) = upload_check([upload], kind=FileKind.IMAGE)
    topic_id = _session_for_update(session_id).topic_id
    with _writing(topic_id, actor=actor, steps=CONSULT) as (topic, _r):
        session = _load_session(topic, session_id)
        _meeting(session)
        photo = SignInPhoto(session=session, topic=topic)
        upload_store(
            photo,
            checked,
            actor=actor,
            verb="photo_upload",
            after={"session": session.pk},
        )
    return photo
