"""Every write of steps 2 and 3: plan, participants, notices, materials,
sessions, attendance and opinions.

Each service locks the topic with ``topic_write`` (which refuses an archived
topic, or one that has left the step the record belongs to), checks the
actor through ``consult.permissions``, writes, and appends the change to the
topic's audit chain with ``topic_event`` in the same transaction. A clerk may
correct a record of a step the topic has left by giving a reason: the minutes
and attendance are then not overwritten, the correction is stored as its own
``Correction`` row (read back through ``consult.corrected``) and appended to
the chain; an opinion added late is a new row anyway.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import (
    MemberCategory,
    Membership,
    Person,
    Platform,
    missing_categories,
)
from core.errors import NotVisible
from core.uploads import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    LEGACY_OFFICE_TYPES,
    WEBP_TYPES,
    CheckedFile,
    check_upload,
)
from core.validators import date_window_error, no_control_chars, single_line
from notifications.models import Delivery, Kind
from notifications.notify import notify
from notifications.services import receipt_record
from topics.catalogue import Form, form_fits
from topics.models import Topic
from topics.records import snapshot, topic_event, topic_write
from topics.states import STEP_OF_STATE, Step

from . import permissions as perm
from .corrected import RECORD_FIELDS, current_records
from .models import (
    KIND_OF_FORM,
    Attendance,
    AttendanceStatus,
    Correction,
    CorrectionKind,
    Material,
    MaterialVersion,
    NoticeRound,
    Opinion,
    OpinionKind,
    OpinionSource,
    Participant,
    Plan,
    Session,
    SessionKind,
    SignInPhoto,
)

PREPARE = frozenset({Step.PREPARE})
CONSULT = frozenset({Step.CONSULT})
PLANNING = frozenset({Step.PREPARE, Step.CONSULT})
REASON_MAX_LENGTH = 1000

SESSION_FIELDS = ("form", "starts_at", "ends_at", "location", "agenda", "host")

# A topic's materials may also be old Word and Excel files and WebP images;
# sign-in sheet photos are images only.
MATERIAL_TYPES = {**DOCUMENT_TYPES, **LEGACY_OFFICE_TYPES, **WEBP_TYPES}
PHOTO_TYPES = {**IMAGE_TYPES, **WEBP_TYPES}


# -- the one place that calls notifications


def send_notice(
    *,
    topic: Topic,
    key: str,
    kind: str,
    recipients,
    subject: str,
    body: str,
    link: str = "",
    actor=None,
    event_start: datetime | None = None,
    event_end: datetime | None = None,
    location: str = "",
):
    """Notify about a topic; the only call of ``notifications.notify`` here."""
    return notify(
        key=key,
        kind=kind,
        recipients=recipients,
        subject=subject,
        body=body,
        about=topic,
        link=link,
        event_start=event_start,
        event_end=event_end,
        location=location,
        actor=actor,
    )


# -- helpers


def _invalid(field: str | None, message: str) -> ValidationError:
    return ValidationError({field: [message]} if field else message)


def _text_errors(errors: dict[str, list[str]], field: str, value: str, rule) -> None:
    """Add the field's message when ``rule`` refuses the text: ``single_line``
    for one-line fields, ``no_control_chars`` for text areas."""
    try:
        rule(value)
    except ValidationError as invalid:
        errors.setdefault(field, []).extend(invalid.messages)


def _clean_text(value: str, field: str, rule=single_line) -> str:
    """The stripped text, refused with the field's message if ``rule`` refuses it."""
    value = (value or "").strip()
    errors: dict[str, list[str]] = {}
    _text_errors(errors, field, value, rule)
    if errors:
        raise ValidationError(errors)
    return value


def _reason(reason: str, field: str = "reason", *, rule=single_line) -> str:
    """A reason typed in one line (corrections, late answers, hiding); the
    participant-gap reason is a text area and passes ``no_control_chars``."""
    reason = _clean_text(reason, field, rule)
    if len(reason) > REASON_MAX_LENGTH:
        raise _invalid(field, _("说明不能超过 %(n)d 个字。") % {"n": REASON_MAX_LENGTH})
    return reason


@contextmanager
def _writing(
    topic_id: int, *, actor, steps, correction: str = "", run: bool = True
) -> Iterator[tuple[Topic, str]]:
    """Lock the topic and check the actor; yield the topic and the reason.

    ``correction`` (a clerk's reason) lets a record of a step the topic has
    already left be changed; it is refused for steps not yet reached.
    """
    correction = _reason(correction, "correction")
    with topic_write(topic_id, steps=steps, correction=bool(correction)) as topic:
        if not perm.can_view(actor, topic):
            raise NotVisible
        if (run or correction) and not perm.can_run(actor, topic):
            raise PermissionDenied(_("您不能办理该议题的协商准备和协商活动。"))
        if correction:
            current = STEP_OF_STATE.get(topic.state)
            if current is None or current <= max(steps):
                raise _invalid(
                    "correction", _("只有已经过去的步骤的记录才需要更正说明。")
                )
        yield topic, correction


def _session_for_update(session_id: int) -> Session:
    session = Session.objects.filter(pk=session_id).only("topic_id").first()
    if session is None:
        raise NotVisible
    return session


def _load_session(topic: Topic, session_id: int) -> Session:
    session = (
        Session.objects.select_for_update(of=("self",))
        .filter(pk=session_id, topic=topic)
        .select_related("interviewee__person")
        .first()
    )
    if session is None:
        raise NotVisible
    session.topic = topic
    return session


def _participant(topic: Topic, participant_id, field: str = "participant"):
    participant = (
        Participant.objects.filter(pk=participant_id, topic=topic)
        .select_related("person")
        .first()
        if participant_id
        else None
    )
    if participant is None:
        raise _invalid(field, _("该人员不在本议题的参与对象名单中。"))
    return participant


def _link(name: str, **kwargs) -> str:
    path = reverse(name, kwargs=kwargs)
    return settings.XST_SITE_URL.rstrip("/") + path if settings.XST_SITE_URL else path


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# -- plan and sessions


def _check_session(topic: Topic, data: dict, *, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    form = data["form"]
    if form not in Form.values or not form_fits(topic.level, form):
        errors.setdefault("form", []).append(_("该协商形式不适用于本级议题。"))
    starts_at, ends_at = data["starts_at"], data["ends_at"]
    if starts_at is None or ends_at is None:
        errors.setdefault("starts_at", []).append(_("请填写开始和结束时间。"))
    else:
        if ends_at <= starts_at:
            errors.setdefault("ends_at", []).append(_("结束时间必须晚于开始时间。"))
        if starts_at < now:
            errors.setdefault("starts_at", []).append(
                _("计划的协商活动不能安排在过去的时间。")
            )
        for name in ("starts_at", "ends_at"):
            message = date_window_error(data[name])
            if message:
                errors.setdefault(name, []).append(message)
    if not data["agenda"]:
        errors.setdefault("agenda", []).append(_("请填写议程。"))
    kind = KIND_OF_FORM.get(form, SessionKind.MEETING)
    if kind in (SessionKind.MEETING, SessionKind.INTERVIEW) and not data["location"]:
        errors.setdefault("location", []).append(_("请填写地点。"))
    for name in ("location", "host"):
        limit = Session._meta.get_field(name).max_length
        if len(data[name]) > limit:
            errors.setdefault(name, []).append(
                _("不能超过 %(n)d 个字。") % {"n": limit}
            )
        _text_errors(errors, name, data[name], single_line)
    _text_errors(errors, "agenda", data["agenda"], no_control_chars)
    if errors:
        raise ValidationError(errors)


def _clean_session(data: dict) -> dict:
    return {
        "form": data.get("form") or "",
        "starts_at": data.get("starts_at"),
        "ends_at": data.get("ends_at"),
        "location": (data.get("location") or "").strip(),
        "agenda": (data.get("agenda") or "").strip(),
        "host": (data.get("host") or "").strip(),
    }


def session_plan(
    *,
    actor,
    topic_id: int,
    form: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    location: str = "",
    agenda: str = "",
    host: str = "",
    interviewee_id: int | None = None,
) -> Session:
    """Plan a session of the 协商方案: form, time, place, agenda, host."""
    data = _clean_session(locals())
    with _writing(topic_id, actor=actor, steps=PLANNING) as (topic, _r):
        _check_session(topic, data, now=timezone.now())
        session = Session(topic=topic, created_by=actor, **data)
        if session.kind == SessionKind.INTERVIEW:
            session.interviewee = _participant(topic, interviewee_id, "interviewee")
        session.save()
        Plan.objects.get_or_create(topic=topic)
        topic_event(
            topic,
            actor=actor,
            verb="session_plan",
            record=session,
            after=snapshot(session, SESSION_FIELDS),
        )
        _renotify_if_sent(topic, actor=actor)
    return session


def session_reschedule(
    *,
    actor,
    session_id: int,
    form: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    location: str = "",
    agenda: str = "",
    host: str = "",
) -> Session:
    """Change a planned session; a new time or place re-notifies everyone."""
    data = _clean_session(locals())
    topic_id = _session_for_update(session_id).topic_id
    with _writing(topic_id, actor=actor, steps=PLANNING) as (topic, _r):
        session = _load_session(topic, session_id)
        if session.recorded_at or session.closed_at:
            raise _invalid(None, _("该协商活动已记录，不能再改期。"))
        _check_session(topic, data, now=timezone.now())
        before = snapshot(session, SESSION_FIELDS)
        for name, value in data.items():
            setattr(session, name, value)
        session.save(update_fields=list(data))
        after = snapshot(session, SESSION_FIELDS)
        topic_event(
            topic,
            actor=actor,
            verb="session_reschedule",
            record=session,
            before=before,
            after=after,
        )
        moved = any(
            before[name] != after[name] for name in ("starts_at", "ends_at", "location")
        )
        if moved:
            _renotify_if_sent(topic, actor=actor)
    return session


def participants_gap_explain(*, actor, topic_id: int, reason: str) -> Plan:
    """The written reason for a participant list lacking §七 categories."""
    reason = _reason(reason, rule=no_control_chars)
    if not reason:
        raise _invalid("reason", _("请说明名单缺少相关界别的原因。"))
    with _writing(topic_id, actor=actor, steps=PREPARE) as (topic, _r):
        plan, _created = Plan.objects.get_or_create(topic=topic)
        categories = Participant.objects.filter(topic=topic).values_list(
            "category", flat=True
        )
        gap = [str(c) for c in missing_categories(categories)]
        if not gap:
            raise _invalid("reason", _("名单已涵盖全部界别，无需说明。"))
        before = snapshot(plan, ("gap_reason", "gap_categories"))
        plan.gap_reason = reason
        plan.gap_categories = gap
        plan.updated_at = timezone.now()
        plan.save(update_fields=["gap_reason", "gap_categories", "updated_at"])
        topic_event(
            topic,
            actor=actor,
            verb="participants_gap_explain",
            record=plan,
            before=before,
            after={"gap_categories": gap},
            reason=reason,
        )
    return plan


# -- participants


def _add_participant(topic, person, category, platform, actor) -> Participant | None:
    participant, created = Participant.objects.get_or_create(
        topic=topic,
        person=person,
        defaults={"category": category, "platform": platform},
    )
    if not created:
        return None
    topic_event(
        topic,
        actor=actor,
        verb="participant_add",
        record=participant,
        after={
            "person": person.pk,
            "name": person.name,
            "category": category,
            "platform": platform.pk if platform else None,
        },
    )
    return participant


def participants_from_roster(
    *,
    actor,
    topic_id: int,
    platform_id: int,
    categories: list[str] | None = None,
    person_ids: list[int] | None = None,
) -> list[Participant]:
    """Invite the current members of a platform roster, optionally only some
    categories or some persons. Members already on the list are skipped."""
    with _writing(topic_id, actor=actor, steps=PREPARE) as (topic, _r):
        allowed_places = {topic.place_id, topic.place.parent_id} - {None}
        platform = Platform.objects.filter(
            pk=platform_id, place_id__in=allowed_places
        ).first()
        if platform is None:
            raise _invalid("platform", _("请选择本地或上级镇的协商平台。"))
        today = timezone.localdate()
        memberships = (
            Membership.objects.filter(platform=platform, term_start__lte=today)
            .exclude(term_end__lt=today)
            .select_related("person")
            .order_by("category", "person__name", "pk")
        )
        if categories:
            memberships = memberships.filter(category__in=categories)
        if person_ids:
            memberships = memberships.filter(person_id__in=person_ids)
        added = []
        for membership in memberships:
            participant = _add_participant(
                topic, membership.person, membership.category, platform, actor
            )
            if participant is not None:
                added.append(participant)
        if not added:
            raise _invalid("platform", _("没有可以加入的成员（可能已全部在名单中）。"))
    return added


def participant_add_person(
    *,
    actor,
    topic_id: int,
    name: str,
    category: str,
    organisation: str = "",
    phone: str = "",
) -> Participant:
    """Add someone with no account: a committees Person without a user."""
    name, organisation, phone = (
        (name or "").strip(),
        (organisation or "").strip(),
        (phone or "").strip(),
    )
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("请填写姓名。")]
    elif len(name) > Person._meta.get_field("name").max_length:
        errors["name"] = [_("姓名过长。")]
    if category not in MemberCategory.values:
        errors["category"] = [_("请选择界别。")]
    if len(organisation) > Person._meta.get_field("organisation").max_length:
        errors["organisation"] = [_("工作单位或身份过长。")]
    _text_errors(errors, "name", name, single_line)
    _text_errors(errors, "organisation", organisation, single_line)
    if phone and not re.fullmatch(r"\+?[0-9\- ]{5,20}", phone):
        errors["phone"] = [_("手机号格式不正确。")]
    if errors:
        raise ValidationError(errors)
    with _writing(topic_id, actor=actor, steps=PREPARE) as (topic, _r):
        person = Person.objects.create(
            name=name, place=topic.place, organisation=organisation, phone=phone
        )
        participant = _add_participant(topic, person, category, None, actor)
    return participant


def participant_remove(*, actor, topic_id: int, participant_id: int) -> None:
    """Take someone off the list while preparing, before anything refers to them.

    The participant must be on this topic's list: an id from another topic is
    not visible here, whatever the actor may do there."""
    with _writing(topic_id, actor=actor, steps=PREPARE) as (topic, _r):
        participant = (
            Participant.objects.filter(pk=participant_id, topic=topic)
            .select_related("person")
            .first()
        )
        if participant is None:
            raise NotVisible
        if (
            Opinion.objects.filter(participant=participant).exists()
            or Attendance.objects.filter(participant=participant).exists()
            or Session.objects.filter(interviewee=participant).exists()
        ):
            raise _invalid(None, _("该参与对象已有意见或签到记录，不能移出名单。"))
        before = snapshot(participant, ("person", "category", "platform"))
        before["name"] = participant.person.name
        topic_event(
            topic,
            actor=actor,
            verb="participant_remove",
            record=participant,
            before=before,
        )
        participant.delete()


# -- notices


def _notice_round(topic: Topic, *, actor, new: bool) -> tuple[NoticeRound, bool]:
    sessions = list(Session.objects.filter(topic=topic).order_by("starts_at", "pk"))
    persons = [
        p.person
        for p in Participant.objects.filter(topic=topic).select_related("person")
    ]
    if not sessions:
        raise _invalid(None, _("请先安排协商活动，再发送通知。"))
    if not persons:
        raise _invalid(None, _("请先确定参与对象名单，再发送通知。"))
    latest = NoticeRound.objects.filter(topic=topic).order_by("-number").first()
    if latest is None:
        number = 1
    elif new:
        number = latest.number + 1
    else:
        number = latest.number
    first = sessions[0]
    lines = [
        _("%(form)s：%(start)s 至 %(end)s，%(place)s；议程：%(agenda)s")
        % {
            "form": s.get_form_display(),
            "start": _when(s.starts_at),
            "end": _when(s.ends_at),
            "place": s.location or "—",
            "agenda": s.agenda,
        }
        for s in sessions
    ]
    subject = _("参会通知：%(title)s") % {"title": topic.title}
    if number > 1:
        subject = _("参会通知（变更）：%(title)s") % {"title": topic.title}
    notification = send_notice(
        topic=topic,
        key=f"consult:notice:{topic.pk}:{number}",
        kind=Kind.MEETING_NOTICE,
        recipients=persons,
        subject=subject,
        body="\n".join(lines),
        link=_link("consult:prepare", topic_id=topic.pk),
        actor=actor,
        event_start=first.starts_at,
        event_end=first.ends_at,
        location=first.location,
    )
    if latest is not None and latest.number == number:
        return latest, False
    notice = NoticeRound.objects.create(
        topic=topic,
        number=number,
        notification=notification,
        first_starts_at=first.starts_at,
        sent_by=actor if getattr(actor, "pk", None) else None,
    )
    topic_event(
        topic,
        actor=actor,
        verb="notice_send",
        record=notice,
        after={"number": number, "recipients": len(persons)},
    )
    return notice, True


def _renotify_if_sent(topic: Topic, *, actor) -> None:
    if NoticeRound.objects.filter(topic=topic).exists():
        _notice_round(topic, actor=actor, new=True)


def notice_send(*, actor, topic_id: int) -> NoticeRound:
    """Send the plan to every participant (again: only those not yet told)."""
    with _writing(topic_id, actor=actor, steps=PLANNING) as (topic, _r):
        notice, created = _notice_round(topic, actor=actor, new=False)
        if not created:
            recipients = (
                Delivery.objects.filter(notification_id=notice.notification_id)
                .values("person_id")
                .distinct()
                .count()
            )
            topic_event(
                topic,
                actor=actor,
                verb="notice_send",
                record=notice,
                after={"number": notice.number, "recipients": recipients},
            )
    return notice


def notice_receipt(
    *,
    actor,
    topic_id: int,
    delivery_id: int,
    signed_by: str,
    signed_at: datetime | None = None,
) -> Delivery:
    """Record the signed receipt of a paper notice, on the topic's chain.

    ``receipt_record`` appends the one event (``notice_receipt``, naming the
    delivery) to the topic's chain through the topic's notice-subject hook;
    this page only adds the step check and that the notice is this topic's.
    """
    with _writing(topic_id, actor=actor, steps=PLANNING) as (topic, _r):
        if not Delivery.objects.filter(
            pk=delivery_id,
            notification__about_type=ContentType.objects.get_for_model(Topic),
            notification__about_id=topic.pk,
        ).exists():
            raise NotVisible
        return receipt_record(
            actor=actor,
            delivery_id=delivery_id,
            signed_by=signed_by,
            signed_at=signed_at,
            verb="notice_receipt",
        )


# -- uploads


def _inspect(upload: UploadedFile, allowed: dict[str, str]) -> CheckedFile:
    return check_upload(
        upload, allowed=allowed, max_bytes=settings.XST_UPLOAD_MAX_BYTES
    )


def _facts(checked: CheckedFile) -> dict:
    return {
        "original_name": checked.name,
        "content_type": checked.content_type,
        "size": checked.size,
        "sha256": checked.sha256,
    }


def material_upload(
    *,
    actor,
    topic_id: int,
    upload: UploadedFile,
    title: str = "",
    is_public: bool = False,
    material_id: int | None = None,
) -> MaterialVersion:
    """Upload a topic document, or a new version of an existing one."""
    checked = _inspect(upload, MATERIAL_TYPES)
    facts = _facts(checked)
    title = _clean_text(title, "title") or PurePosixPath(facts["original_name"]).stem
    if len(title) > Material._meta.get_field("title").max_length:
        raise _invalid("title", _("资料名称过长。"))
    with _writing(topic_id, actor=actor, steps=PLANNING) as (topic, _r):
        if material_id:
            material = (
                Material.objects.select_for_update()
                .filter(pk=material_id, topic=topic)
                .first()
            )
            if material is None:
                raise NotVisible
            last = material.versions.order_by("-number").first()
            number = last.number + 1 if last else 1
        else:
            material = Material.objects.create(
                topic=topic, title=title, is_public=is_public, created_by=actor
            )
            number = 1
        version = MaterialVersion(
            material=material, topic=topic, number=number, uploaded_by=actor, **facts
        )
        version.file.save(checked.content.name, checked.content, save=False)
        version.save()
        topic_event(
            topic,
            actor=actor,
            verb="material_upload",
            record=version,
            after={
                "material": material.pk,
                "title": material.title,
                "number": number,
                "name": facts["original_name"],
                "sha256": facts["sha256"],
                "size": facts["size"],
                "is_public": material.is_public,
            },
        )
    return version


def material_send(*, actor, topic_id: int):
    """Tell every participant that the topic's materials are ready to read."""
    with _writing(topic_id, actor=actor, steps=PLANNING) as (topic, _r):
        versions = list(
            MaterialVersion.objects.filter(topic=topic)
            .select_related("material")
            .order_by("material__pk", "-number")
        )
        if not versions:
            raise _invalid(None, _("还没有上传资料。"))
        persons = [
            p.person
            for p in Participant.objects.filter(topic=topic).select_related("person")
        ]
        if not persons:
            raise _invalid(None, _("请先确定参与对象名单。"))
        latest = max(v.pk for v in versions)
        titles = sorted({v.material.title for v in versions})
        notification = send_notice(
            topic=topic,
            key=f"consult:materials:{topic.pk}:{latest}",
            kind=Kind.MATERIAL,
            recipients=persons,
            subject=_("议题资料：%(title)s") % {"title": topic.title},
            body="\n".join(titles),
            link=_link("consult:prepare", topic_id=topic.pk),
            actor=actor,
        )
        topic_event(
            topic,
            actor=actor,
            verb="material_send",
            record=notification,
            after={"latest_version": latest, "recipients": len(persons)},
        )
    return notification


# -- opinions before and during the sessions


def _clean_opinion(content: str, kind: str, author_name: str = "") -> tuple:
    content = (content or "").strip()
    errors: dict[str, list[str]] = {}
    if not content:
        errors["content"] = [_("请填写意见内容。")]
    elif len(content) > Opinion._meta.get_field("content").max_length:
        errors["content"] = [_("意见内容过长。")]
    if kind not in OpinionKind.values:
        errors["kind"] = [_("请选择意见类型。")]
    if len(author_name) > Opinion._meta.get_field("author_name").max_length:
        errors["author_name"] = [_("提出人姓名过长。")]
    _text_errors(errors, "content", content, no_control_chars)
    _text_errors(errors, "author_name", author_name, single_line)
    if errors:
        raise ValidationError(errors)
    return content, kind


def _opinion_after(opinion: Opinion) -> dict:
    return snapshot(
        opinion, ("source", "session", "participant", "author_name", "content", "kind")
    )


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
            raise _invalid("participant", _("请选择提出意见的参与对象。"))
        else:
            raise PermissionDenied(_("只有参与对象本人或工作人员可以录入会前意见。"))
        opinion = Opinion.objects.create(
            topic=topic,
            source=OpinionSource.PRE,
            participant=participant,
            author=participant.person,
            author_name=participant.person.name,
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
            author_name=author_name or participant.person.name,
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


# -- written and online consultations


def written_request_send(*, actor, session_id: int):
    """Send a written consultation to every participant (书面征询); it is
    answered while the topic is in step 3."""
    topic_id = _session_for_update(session_id).topic_id
    with _writing(topic_id, actor=actor, steps=CONSULT) as (topic, _r):
        session = _load_session(topic, session_id)
        if not session.is_written:
            raise _invalid(None, _("只有书面征询需要发送征询函。"))
        if session.closed_at:
            raise _invalid(None, _("该书面征询已结束。"))
        persons = [
            p.person
            for p in Participant.objects.filter(topic=topic).select_related("person")
        ]
        if not persons:
            raise _invalid(None, _("请先确定参与对象名单。"))
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
    late_reason = _reason(late_reason, "late_reason")
    topic_id = _session_for_update(session_id).topic_id
    with _writing(topic_id, actor=actor, steps=CONSULT, run=False) as (topic, _r):
        session = _load_session(topic, session_id)
        if not session.is_written:
            raise _invalid(None, _("这不是书面征询。"))
        if session.closed_at:
            raise _invalid(None, _("该书面征询已结束，不能再答复。"))
        clerk = perm.can_run(actor, topic)
        own = perm.participant_of(actor, topic)
        if participant_id and clerk:
            participant = _participant(topic, participant_id)
        elif own is not None and (not participant_id or participant_id == own.pk):
            participant, clerk = own, False
        elif clerk:
            raise _invalid("participant", _("请选择答复的参与对象。"))
        else:
            raise PermissionDenied(_("只有参与对象本人或工作人员可以答复书面征询。"))
        now = timezone.now()
        if now < session.starts_at:
            raise _invalid(None, _("书面征询尚未开始。"))
        if now > session.ends_at and not (clerk and late_reason):
            raise _invalid(
                "late_reason",
                _("已过答复截止时间；工作人员补录纸质答复须说明原因。"),
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
                author_name=participant.person.name,
            )
        opinion.content = content
        opinion.kind = kind
        opinion.submitted_by = actor
        opinion.updated_at = now
        opinion.save()
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
            raise _invalid(None, _("会议和访谈通过记录完成，无需结束征询。"))
        if session.closed_at:
            raise _invalid(None, _("该征询已结束。"))
        now = timezone.now()
        if now < session.starts_at:
            raise _invalid(None, _("征询尚未开始，不能结束。"))
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
        if session.closed_at or not (session.starts_at <= now <= session.ends_at):
            raise _invalid(None, _("网上协商不在开放期间，不能发表意见。"))
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
    reason = _reason(reason)
    if not reason:
        raise _invalid("reason", _("请填写屏蔽原因。"))
    if len(reason) > Opinion._meta.get_field("hidden_reason").max_length:
        raise _invalid("reason", _("屏蔽原因过长。"))
    with _writing(session.topic_id, actor=actor, steps=CONSULT) as (topic, _r):
        opinion = (
            Opinion.objects.select_for_update()
            .filter(pk=opinion_id, topic=topic, session_id=session.pk)
            .first()
        )
        if opinion is None:
            raise NotVisible
        if opinion.is_hidden:
            raise _invalid(None, _("该意见已被屏蔽。"))
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
            after={"is_hidden": True},
            reason=reason,
        )
    return opinion
