"""Opinions outside the meetings: collected beforehand, written and online
consultations, moderation."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import (
    Person,
)
from core.errors import NotVisible
from core.validators import clean_text
from notifications.models import Kind
from topics.records import topic_event, topic_write

from .. import permissions as perm
from ..models import (
    Opinion,
    OpinionKind,
    OpinionSource,
    Participant,
    Session,
    SessionKind,
)
from ..rules import online_open
from ._base import (
    CONSULT,
    PLANNING,
    REASON_MAX_LENGTH,
    _clean_opinion,
    _link,
    _load_session,
    _opinion_after,
    _participant,
    _session_for_update,
    _when,
    _writing,
    send_notice,
)

# -- opinions before and during the sessions


def opinion_pre_collect(
    *,
    actor,
    topic_id: int,
    content: str,
    kind: str = OpinionKind.SUGGESTION,
    participant_id: int | None = None,
) -> Opinion:
    """An opinion a participant gathered from their group before the session;
    the participant records it, or the clerk for them."""
    content, kind = _clean_opinion(content, kind)
    with _writing(topic_id, actor=actor, steps=PLANNING, run=False) as (topic, _r):
        own = perm.participant_of(actor, topic)
        if participant_id and perm.can_run(actor, topic):
            participant = _participant(topic, participant_id)
        elif own is not None and (not participant_id or participant_id == own.pk):
            participant = own
        elif perm.can_run(actor, topic):
            raise ValidationError({"participant": [_("请选择提出意见的参与对象。")]})
        else:
            raise PermissionDenied(_("只有参与对象本人或工作人员可以录入会前意见。"))
        since = timezone.now() - timedelta(seconds=settings.XST_DUPLICATE_WINDOW)
        if Opinion.objects.filter(
            topic=topic,
            source=OpinionSource.PRE,
            participant=participant,
            content=content,
            created_at__gte=since,
        ).exists():
            raise ValidationError(
                {"content": [_("刚刚已录入过相同的意见，请勿重复提交。")]}
            )
        opinion = Opinion.objects.create(
            topic=topic,
            source=OpinionSource.PRE,
            participant=participant,
            author=participant.person,
            author_name=participant.name,
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
        )
    return opinion


# -- written and online consultations


def written_request_send(*, actor, session_id: int):
    """Send a written consultation to every participant (书面征询); it is
    answered while the topic is in step 3."""
    topic_id = _session_for_update(session_id).topic_id
    with _writing(topic_id, actor=actor, steps=CONSULT) as (topic, _r):
        session = _load_session(topic, session_id)
        if not session.is_written:
            raise ValidationError(_("只有书面征询需要发送征询函。"))
        if session.closed_at:
            raise ValidationError(_("该书面征询已结束。"))
        persons = [
            p.person
            for p in Participant.objects.filter(topic=topic).select_related("person")
        ]
        if not persons:
            raise ValidationError(_("请先确定参与对象名单。"))
        notification = send_notice(
            topic=topic,
            key=f"consult:written:{session.pk}:{session.ends_at.isoformat()}",
            kind=Kind.WRITTEN_REQUEST,
            recipients=persons,
            subject=_("书面征询：%(title)s") % {"title": topic.title},
            body=_("请于 %(deadline)s 前答复。%(agenda)s")
            % {"deadline": _when(session.ends_at), "agenda": session.agenda},
            link=_link("consult:session", session_id=session.pk),
            actor=actor,
        )
        topic_event(
            topic,
            actor=actor,
            verb="written_request_send",
            record=session,
            after={"recipients": len(persons), "deadline": session.ends_at},
        )
    return notification


def written_answer(
    *,
    actor,
    session_id: int,
    content: str,
    kind: str = OpinionKind.SUGGESTION,
    participant_id: int | None = None,
    late_reason: str = "",
) -> Opinion:
    """A participant's answer to a written consultation: online by themselves
    before the deadline, or a paper answer entered by the clerk (after the
    deadline only with a reason). A second answer replaces the first."""
    content, kind = _clean_opinion(content, kind)
    late_reason = clean_text(
        late_reason, field="late_reason", max_length=REASON_MAX_LENGTH, required=False
    )
    topic_id = _session_for_update(session_id).topic_id
    with _writing(topic_id, actor=actor, steps=CONSULT, run=False) as (topic, _r):
        session = _load_session(topic, session_id)
        if not session.is_written:
            raise ValidationError(_("这不是书面征询。"))
        if session.closed_at:
            raise ValidationError(_("该书面征询已结束，不能再答复。"))
        clerk = perm.can_run(actor, topic)
        own = perm.participant_of(actor, topic)
        if participant_id and clerk:
            participant = _participant(topic, participant_id)
        elif own is not None and (not participant_id or participant_id == own.pk):
            participant, clerk = own, False
        elif clerk:
            raise ValidationError({"participant": [_("请选择答复的参与对象。")]})
        else:
            raise PermissionDenied(_("只有参与对象本人或工作人员可以答复书面征询。"))
        now = timezone.now()
        if now < session.starts_at:
            raise ValidationError(_("书面征询尚未开始。"))
        if now > session.ends_at and not clerk:
            raise ValidationError(_("这次书面征询已截止，不能再提交或修改答复。"))
        if now > session.ends_at and not late_reason:
            raise ValidationError(
                {
                    "late_reason": [
                        _("已过答复截止时间；工作人员补录纸质答复须说明原因。")
                    ]
                }
            )
        opinion = Opinion.objects.filter(
            session=session, participant=participant, source=OpinionSource.WRITTEN
        ).first()
        before = _opinion_after(opinion) if opinion else None
        if opinion is None:
            opinion = Opinion(
                topic=topic,
                source=OpinionSource.WRITTEN,
                session=session,
                participant=participant,
                author=participant.person,
                author_name=participant.name,
            )
        opinion.content = content
        opinion.kind = kind
        opinion.submitted_by = actor
        opinion.updated_at = now
        opinion.save(
            update_fields=None
            if opinion.pk is None
            else ["content", "kind", "submitted_by", "updated_at"]
        )
        topic_event(
            topic,
            actor=actor,
            verb="written_answer_replace" if before else "written_answer",
            record=opinion,
            before=before,
            after=_opinion_after(opinion),
            reason=late_reason if now > session.ends_at else "",
        )
    return opinion


def session_close(*, actor, session_id: int) -> Session:
    """End a written or online consultation: its answers are collected."""
    topic_id = _session_for_update(session_id).topic_id
    with _writing(topic_id, actor=actor, steps=CONSULT) as (topic, _r):
        session = _load_session(topic, session_id)
        if session.kind not in (SessionKind.WRITTEN, SessionKind.ONLINE):
            raise ValidationError(_("会议和访谈通过记录完成，无需结束征询。"))
        if session.closed_at:
            raise ValidationError(_("该征询已结束。"))
        now = timezone.now()
        if now < session.starts_at:
            raise ValidationError(_("征询尚未开始，不能结束。"))
        session.closed_at = now
        session.recorded_at = session.recorded_at or now
        session.save(update_fields=["closed_at", "recorded_at"])
        answers = Opinion.objects.filter(session=session, is_hidden=False).count()
        topic_event(
            topic,
            actor=actor,
            verb="session_close",
            record=session,
            after={"closed_at": now, "answers": answers},
        )
    return session


def online_comment(*, actor, session_id: int, content: str) -> Opinion:
    """A resident's (or participant's) comment during an online consultation."""
    content, _kind = _clean_opinion(content, OpinionKind.SUGGESTION)
    session = Session.objects.filter(pk=session_id).select_related("topic").first()
    if session is None or not perm.can_see_session(actor, session):
        raise NotVisible
    if not perm.can_comment(actor, session):
        raise PermissionDenied(_("只有本地群众和参与对象可以参与网上协商。"))
    with topic_write(session.topic_id, steps=CONSULT) as topic:
        session = _load_session(topic, session_id)
        now = timezone.now()
        if not online_open(session, now):
            raise ValidationError(_("网上协商不在开放期间，不能发表意见。"))
        since = now - timedelta(seconds=settings.XST_DUPLICATE_WINDOW)
        if Opinion.objects.filter(
            session=session, submitted_by=actor, content=content, created_at__gte=since
        ).exists():
            raise ValidationError(_("您刚刚已发表过相同的内容，请勿重复提交。"))
        participant = perm.participant_of(actor, topic)
        person = participant.person if participant else None
        if person is None:
            person = Person.objects.filter(user=actor).first()
        opinion = Opinion.objects.create(
            topic=topic,
            source=OpinionSource.ONLINE,
            session=session,
            participant=participant,
            author=person,
            author_name=(actor.get_full_name() or actor.get_username())[:64],
            content=content,
            kind=OpinionKind.SUGGESTION,
            submitted_by=actor,
        )
        topic_event(
            topic,
            actor=actor,
            verb="online_comment",
            record=opinion,
            after=_opinion_after(opinion),
        )
    return opinion


def opinion_hide(*, actor, session_id: int, opinion_id: int, reason: str) -> Opinion:
    """Moderate a comment: hidden with a reason, never deleted; it stays in
    the record and no longer counts.

    Like ``online_comment``: whoever may see the session but not moderate it
    (a resident taking part) is refused, not told it does not exist; the
    comment must belong to that session."""
    session = Session.objects.filter(pk=session_id).select_related("topic").first()
    if session is None or not perm.can_see_session(actor, session):
        raise NotVisible
    if not perm.can_run(actor, session.topic):
        raise PermissionDenied(_("您不能办理该议题的协商准备和协商活动。"))
    reason = clean_text(
        reason,
        field="reason",
        max_length=Opinion._meta.get_field("hidden_reason").max_length,
        required_message=_("请填写屏蔽原因。"),
    )
    with _writing(session.topic_id, actor=actor, steps=CONSULT) as (topic, _r):
        opinion = (
            Opinion.objects.select_for_update()
            .filter(pk=opinion_id, topic=topic, session_id=session.pk)
            .first()
        )
        if opinion is None:
            raise NotVisible
        if opinion.source != OpinionSource.ONLINE:
            # Written answers and meeting opinions are the record of what a
            # participant said: they are put right by a correction, visibly.
            raise ValidationError(
                _("只能屏蔽网上协商的发言；其他意见请通过更正记录修改。")
            )
        if opinion.is_hidden:
            raise ValidationError(_("该意见已被屏蔽。"))
        opinion.is_hidden = True
        opinion.hidden_reason = reason
        opinion.hidden_by = actor
        opinion.updated_at = timezone.now()
        opinion.save(
            update_fields=["is_hidden", "hidden_reason", "hidden_by", "updated_at"]
        )
        topic_event(
            topic,
            actor=actor,
            verb="opinion_hide",
            record=opinion,
            before={"is_hidden": False},
            after={"is_hidden": True, "hidden_reason": opinion.hidden_reason},
            reason=reason,
        )
    return opinion
