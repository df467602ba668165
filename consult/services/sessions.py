"""Sessions as held: attendance, minutes, opinions spoken, sign-in photos,
and their corrections after the step."""

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from core.validators import no_control_chars
from topics.models import Topic
from topics.records import snapshot, topic_event

from ..corrected import RECORD_FIELDS, current_records
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
    PHOTO_TYPES,
    _clean_opinion,
    _clean_text,
    _facts,
    _inspect,
    _invalid,
    _load_session,
    _opinion_after,
    _participant,
    _session_for_update,
    _writing,
)


def _meeting(session: Session) -> None:
    if session.kind not in (SessionKind.MEETING, SessionKind.INTERVIEW):
        raise _invalid(None, _("书面征询和网上协商不登记签到。"))


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
    represented_by = _clean_text(represented_by, "represented_by")
    if status not in AttendanceStatus.values:
        raise _invalid("status", _("请选择出席情况。"))
    if status == AttendanceStatus.REPRESENTED and not represented_by:
        raise _invalid("represented_by", _("委托他人出席时请填写受托人姓名。"))
    if len(represented_by) > 64:
        raise _invalid("represented_by", _("受托人姓名过长。"))
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
            raise _invalid("participant", _("个别访谈只登记访谈对象本人。"))
        if reason:
            return _attendance_correct(
                topic,
                session,
                participant,
                actor=actor,
                reason=reason,
                after={"status": status, "represented_by": represented_by},
            )
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
        attendance.save()
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
        raise _invalid("status", _("更正后的出席情况与现有记录相同。"))
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
    correction: str = "",
) -> Session:
    """The minutes of a session, the consensus reached and the points disputed."""
    values = {
        "minutes": (minutes or "").strip(),
        "consensus": (consensus or "").strip(),
        "disputed": (disputed or "").strip(),
    }
    if not values["minutes"]:
        raise _invalid("minutes", _("请填写会议记录。"))
    for name, value in values.items():
        if len(value) > Session._meta.get_field(name).max_length:
            raise _invalid(name, _("内容过长。"))
        _clean_text(value, name, no_control_chars)
    topic_id = _session_for_update(session_id).topic_id
    with _writing(topic_id, actor=actor, steps=CONSULT, correction=correction) as (
        topic,
        reason,
    ):
        session = _load_session(topic, session_id)
        _meeting(session)
        if session.starts_at > timezone.now():
            raise _invalid(None, _("协商活动尚未开始，不能记录。"))
        if reason:
            _record_correct(topic, session, actor=actor, reason=reason, values=values)
            return session
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
        raise _invalid("minutes", _("更正内容与现有记录相同。"))
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
            raise _invalid(None, _("协商活动尚未开始，不能记录。"))
        participant = _participant(topic, participant_id) if participant_id else None
        if participant is None and not author_name:
            raise _invalid("author_name", _("请选择或填写提出人。"))
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
    checked = _inspect(upload, PHOTO_TYPES)
    facts = _facts(checked)
    topic_id = _session_for_update(session_id).topic_id
    with _writing(topic_id, actor=actor, steps=CONSULT) as (topic, _r):
        session = _load_session(topic, session_id)
        _meeting(session)
        photo = SignInPhoto(session=session, topic=topic, uploaded_by=actor, **facts)
        photo.file.save(checked.content.name, checked.content, save=False)
        photo.save()
        topic_event(
            topic,
            actor=actor,
            verb="photo_upload",
            record=photo,
            after={"session": session.pk, **facts},
        )
    return photo
