"""Step 5 公示: create, publish and end on time, withdraw, posted photo,
residents' responses and the clerk's answers."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from committees import roles
from committees.models import Place
from committees.permissions import place_perm_holders
from consult.selectors import topic_participants
from core.errors import Conflict, NotVisible, Sealed
from core.uploads import FileKind, upload_check
from core.validators import clean_date, clean_text
from notifications.models import Kind
from topics.models import Topic
from topics.records import snapshot, topic_event, topic_write
from topics.states import State

from .. import permissions as perm
from .. import rules
from ..models import (
    Attachment,
    AttachmentPurpose,
    NoticeResponse,
    NoticeStatus,
    NoticeSubject,
    PublicNotice,
    ResponseKind,
)
from ._base import (
    FEEDBACK,
    _store,
    _write,
    logger,
    send_notice,
)


def _notice_places(topic: Topic, place_ids: Iterable[int]) -> list[Place]:
    """The places a 公示 may be shown for: the topic's place, its township, villages."""
    ids = {int(pk) for pk in place_ids or ()}
    if not ids:
        raise ValidationError({"places": [_("请选择公示范围。")]})
    places = list(
        Place.objects.filter(pk__in=ids).filter(
            Q(pk__in=[topic.place_id, topic.place.township_id])
            | Q(township_id=topic.place_id)
        )
    )
    if len(places) != len(ids):
        raise ValidationError({"places": [_("公示范围只能是本议题所在的镇或村。")]})
    return places


def _publish(notice: PublicNotice, topic: Topic, actor, now: datetime) -> None:
    notice.status = NoticeStatus.PUBLISHED
    notice.published_at = now
    notice.save(update_fields=["status", "published_at"])
    topic_event(
        topic,
        actor=actor,
        verb="notice_publish",
        record=notice,
        before={"status": NoticeStatus.SCHEDULED},
        after={"status": NoticeStatus.PUBLISHED},
    )
    persons = [p.person for p in topic_participants([topic.pk])]
    if persons:
        send_notice(
            topic=topic,
            key=f"feedback-notice:{notice.pk}",
            kind=Kind.PUBLIC_NOTICE,
            recipients=persons,
            subject=_("公示：%(title)s") % {"title": notice.title},
            body=_("公示期 %(start)s 至 %(end)s。") % _notice_period(notice),
            link=reverse("public_notice", kwargs={"public_id": notice.public_id}),
            actor=actor,
        )


def _notice_period(notice: PublicNotice) -> dict:
    return {
        "start": timezone.localtime(notice.starts_at).strftime("%Y-%m-%d %H:%M"),
        "end": timezone.localtime(notice.ends_at).strftime("%Y-%m-%d %H:%M"),
    }


def public_notice_create(
    *,
    actor,
    topic_id: int,
    subject: str,
    title: str,
    body: str,
    place_ids: Iterable[int],
    starts_at: datetime | None,
    ends_at: datetime | None,
    posted_at: str = "",
    files: Iterable = (),
) -> PublicNotice:
    """A 公示; one whose start has passed is published at once, others by the job."""
    checked = upload_check(files, kind=FileKind.DOCUMENT)
    with _write(actor, topic_id, steps=FEEDBACK) as topic:
        if subject not in NoticeSubject.values:
            raise ValidationError({"subject": [_("请选择公示内容类别。")]})
        title = clean_text(
            title, field="title", max_length=120, required_message=_("请填写公示标题。")
        )
        body = clean_text(
            body,
            field="body",
            max_length=20000,
            multiline=True,
            required_message=_("请填写公示正文。"),
        )
        posted_at = clean_text(
            posted_at, field="posted_at", max_length=200, required=False
        )
        if starts_at is None or ends_at is None:
            raise ValidationError({"ends_at": [_("请填写公示起止时间。")]})
        clean_date(starts_at, field="starts_at")
        clean_date(ends_at, field="ends_at")
        if ends_at <= starts_at:
            raise ValidationError({"ends_at": [_("公示结束时间必须晚于开始时间。")]})
        min_days = settings.XST_PUBLIC_NOTICE_MIN_DAYS
        now = timezone.now()
        # A start in the past publishes now: the period is counted from now.
        if ends_at - max(starts_at, now) < timedelta(days=min_days):
            raise ValidationError(
                {"ends_at": [_("公示期不能少于 %(days)d 天。") % {"days": min_days}]}
            )
        places = _notice_places(topic, place_ids)
        notice = PublicNotice.objects.create(
            topic=topic,
            subject=subject,
            title=title,
            body=body,
            posted_at=posted_at,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=actor,
        )
        notice.places.set(places)
        topic_event(
            topic,
            actor=actor,
            verb="notice_create",
            record=notice,
            after={
                **snapshot(
                    notice, ["subject", "title", "body", "starts_at", "ends_at"]
                ),
                "places": sorted(p.pk for p in places),
            },
        )
        _store(
            actor=actor,
            topic=topic,
            checked=checked,
            purpose=AttachmentPurpose.NOTICE,
            notice=notice,
        )
        if starts_at <= now:
            _publish(notice, topic, actor, now)
    return notice


def _notice_topic_id(notice_id: int) -> int:
    topic_id = (
        PublicNotice.objects.filter(pk=notice_id)
        .values_list("topic_id", flat=True)
        .first()
    )
    if topic_id is None:
        raise NotVisible
    return topic_id


def _locked_notice(topic: Topic, notice_id: int) -> PublicNotice:
    return PublicNotice.objects.select_for_update().get(pk=notice_id, topic=topic)


def public_notice_withdraw(*, actor, notice_id: int, reason: str) -> PublicNotice:
    with _write(actor, _notice_topic_id(notice_id), steps=FEEDBACK) as topic:
        notice = _locked_notice(topic, notice_id)
        reason = clean_text(
            reason,
            field="reason",
            max_length=500,
            required_message=_("请填写撤回理由。"),
        )
        if notice.status not in (NoticeStatus.SCHEDULED, NoticeStatus.PUBLISHED):
            raise Conflict(_("该公示已结束或已撤回。"))
        before = notice.status
        notice.status = NoticeStatus.WITHDRAWN
        notice.withdrawn_at = timezone.now()
        notice.withdraw_reason = reason
        notice.save(update_fields=["status", "withdrawn_at", "withdraw_reason"])
        topic_event(
            topic,
            actor=actor,
            verb="notice_withdraw",
            record=notice,
            before={"status": before},
            after={"status": NoticeStatus.WITHDRAWN},
            reason=reason,
        )
    return notice


def public_notice_photo_add(*, actor, notice_id: int, upload) -> Attachment:
    """A photo of the 公示 as posted on the notice board, as proof."""
    checked = upload_check([upload], kind=FileKind.IMAGE)
    with _write(actor, _notice_topic_id(notice_id), steps=FEEDBACK) as topic:
        notice = _locked_notice(topic, notice_id)
        if notice.status == NoticeStatus.WITHDRAWN:
            raise Conflict(_("该公示已撤回。"))
        return _store(
            actor=actor,
            topic=topic,
            checked=checked,
            purpose=AttachmentPurpose.POSTED_PHOTO,
            notice=notice,
        )[0]


def public_notice_cover_progress(*, actor, notice_id: int) -> PublicNotice:
    """Mark a decision 公示 as also reporting implementation progress (§六.5
    公示通报实施进展情况); it counts as such only for progress reported by
    the time it ended."""
    with _write(actor, _notice_topic_id(notice_id), steps=FEEDBACK) as topic:
        notice = _locked_notice(topic, notice_id)
        if notice.subject != NoticeSubject.DECISION:
            raise Conflict(
                _("只有决策结果公示需要标记；落实进展公示本身就是进展公示。")
            )
        if notice.status == NoticeStatus.WITHDRAWN:
            raise Conflict(_("该公示已撤回。"))
        if notice.covers_progress:
            raise Conflict(_("该公示已标记为同时公示实施进展。"))
        notice.covers_progress = True
        notice.save(update_fields=["covers_progress"])
        topic_event(
            topic,
            actor=actor,
            verb="notice_cover_progress",
            record=notice,
            before={"covers_progress": False},
            after={"covers_progress": True},
        )
    return notice


def _withdraw_unshown(notice: PublicNotice, topic: Topic, now, reason: str) -> None:
    notice.status = NoticeStatus.WITHDRAWN
    notice.withdrawn_at = now
    notice.withdraw_reason = reason
    notice.save(update_fields=["status", "withdrawn_at", "withdraw_reason"])
    topic_event(
        topic,
        actor=None,
        verb="notice_withdraw",
        record=notice,
        before={"status": NoticeStatus.SCHEDULED},
        after={"status": NoticeStatus.WITHDRAWN},
        reason=reason,
    )


def _sweep_one(notice_id: int, topic_id: int, now: datetime) -> bool:
    with topic_write(topic_id) as topic:
        notice = _locked_notice(topic, notice_id)
        if notice.status == NoticeStatus.SCHEDULED and notice.starts_at <= now:
            if topic.state != State.FEEDBACK:
                # The topic was withdrawn meanwhile: nothing of it goes public.
                _withdraw_unshown(
                    notice, topic, now, _("议题已不在结果反馈阶段，公示未发布。")
                )
            elif notice.ends_at <= now:
                # Never shown in time: it cannot count as having run its period.
                _withdraw_unshown(notice, topic, now, _("未能按时发布，公示期已过。"))
            else:
                _publish(notice, topic, None, now)
            return True
        if notice.status == NoticeStatus.PUBLISHED and notice.ends_at <= now:
            notice.status = NoticeStatus.ENDED
            notice.ended_at = now
            notice.save(update_fields=["status", "ended_at"])
            topic_event(
                topic,
                actor=None,
                verb="notice_end",
                record=notice,
                before={"status": NoticeStatus.PUBLISHED},
                after={"status": NoticeStatus.ENDED},
            )
            return True
    return False


def public_notices_sweep(now: datetime) -> int:
    """The scheduled job: publish 公示 whose start has come, end those whose end has.

    Safe to run twice: each notice moves only from the state it is found in,
    each in its own transaction; a sealed topic's notice is left as it is.
    """
    due = list(
        PublicNotice.objects.filter(
            status=NoticeStatus.SCHEDULED, starts_at__lte=now
        ).values_list("pk", "topic_id")
    ) + list(
        PublicNotice.objects.filter(
            status=NoticeStatus.PUBLISHED, ends_at__lte=now
        ).values_list("pk", "topic_id")
    )
    changed = 0
    for notice_id, topic_id in due:
        try:
            changed += _sweep_one(notice_id, topic_id, now)
        except Sealed:
            logger.warning(
                "notice %s of sealed topic %s left as it is", notice_id, topic_id
            )
    return changed


def response_submit(*, actor, public_id, kind: str, content: str) -> NoticeResponse:
    """A resident responds to or objects to a 公示 during its period."""
    notice = PublicNotice.objects.filter(public_id=public_id).first()
    if notice is None or notice.status not in (
        NoticeStatus.PUBLISHED,
        NoticeStatus.ENDED,
    ):
        raise NotVisible
    if not perm.can_respond(actor, notice):
        raise PermissionDenied(perm.NOT_IN_SCOPE)

    def in_scope(user, topic) -> bool:
        return perm.can_respond(user, notice)

    with _write(actor, notice.topic_id, steps=FEEDBACK, check=in_scope) as topic:
        notice = _locked_notice(topic, notice.pk)
        now = timezone.now()
        if not rules.public_notice_open(notice, now):
            raise Conflict(_("公示期已结束，不能再提出意见。"))
        if kind not in ResponseKind.values:
            raise ValidationError({"kind": [_("请选择意见类型。")]})
        content = clean_text(
            content,
            field="content",
            max_length=2000,
            multiline=True,
            required_message=_("请填写意见内容。"),
        )
        since = now - timedelta(seconds=settings.XST_DUPLICATE_WINDOW)
        if NoticeResponse.objects.filter(
            notice__topic=topic, author=actor, content=content, created_at__gte=since
        ).exists():
            raise Conflict(_("您刚刚已提交过相同的意见，请勿重复提交。"))
        response = NoticeResponse.objects.create(
            notice=notice, author=actor, kind=kind, content=content, created_at=now
        )
        topic_event(
            topic,
            actor=actor,
            verb="response_submit",
            record=response,
            after=snapshot(response, ["notice", "kind", "content"]),
        )
        clerks = place_perm_holders(roles.RUN, {topic.place_id}).get(topic.place_id, [])
        if clerks:
            send_notice(
                topic=topic,
                key=f"feedback-response:{response.pk}",
                kind=Kind.REMINDER,
                recipients=clerks,
                subject=_("公示收到群众意见：%(title)s") % {"title": notice.title},
                body=_("请在议题页面答复该意见，全部答复后议题才能归档。"),
                link=reverse("feedback:implement", kwargs={"topic_id": topic.pk}),
            )
    return response


def response_mark_spam(*, actor, response_id: int, reason: str) -> NoticeResponse:
    """The clerk sets aside a response that is no opinion on the 公示 (spam,
    abuse, a flood): it is kept and shown to staff with the reason, and no
    longer waits for an answer before the topic is archived."""
    topic_id = (
        NoticeResponse.objects.filter(pk=response_id)
        .values_list("notice__topic_id", flat=True)
        .first()
    )
    if topic_id is None:
        raise NotVisible
    with _write(actor, topic_id, steps=FEEDBACK) as topic:
        response = NoticeResponse.objects.select_for_update().get(pk=response_id)
        if response.answered_at is not None:
            raise Conflict(_("该意见已经答复。"))
        if response.spam_at is not None:
            raise Conflict(_("该意见已认定为无效。"))
        response.spam_reason = clean_text(
            reason,
            field="reason",
            max_length=500,
            required_message=_("请填写认定为无效的原因。"),
        )
        response.spam_by = actor
        response.spam_at = timezone.now()
        response.save(update_fields=["spam_reason", "spam_by", "spam_at"])
        topic_event(
            topic,
            actor=actor,
            verb="response_mark_spam",
            record=response,
            before={"spam": False},
            after={"spam": True},
            reason=response.spam_reason,
        )
    return response


def response_answer(*, actor, response_id: int, answer: str) -> NoticeResponse:
    """The clerk answers a resident's response; every one must be answered."""
    row = (
        NoticeResponse.objects.filter(pk=response_id)
        .values_list("notice__topic_id", flat=True)
        .first()
    )
    if row is None:
        raise NotVisible
    with _write(actor, row, steps=FEEDBACK) as topic:
        response = NoticeResponse.objects.select_for_update().get(pk=response_id)
        if response.answered_at is not None:
            raise Conflict(_("该意见已经答复。"))
        if response.spam_at is not None:
            raise Conflict(_("该意见已认定为无效，无需答复。"))
        response.answer = clean_text(
            answer,
            field="answer",
            max_length=2000,
            multiline=True,
            required_message=_("请填写答复内容。"),
        )
        response.answered_by = actor
        response.answered_at = timezone.now()
        response.save(update_fields=["answer", "answered_by", "answered_at"])
        topic_event(
            topic,
            actor=actor,
            verb="response_answer",
            record=response,
            after={"answer": response.answer},
        )
    return response
