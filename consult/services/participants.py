"""Who takes part: participants from rosters or added one by one."""

import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import (
    MemberCategory,
    Membership,
    Person,
    Platform,
)
from core.errors import NotVisible
from core.validators import clean_text
from topics.records import snapshot, topic_event

from ..models import (
    Attendance,
    Opinion,
    Participant,
    Session,
)
from ._base import PREPARE, _writing

# -- participants


def _add_participant(topic, person, category, platform, actor) -> Participant | None:
    participant, created = Participant.objects.get_or_create(
        topic=topic,
        person=person,
        defaults={
            "category": category,
            "platform": platform,
            "name": person.name,
            "organisation": person.organisation,
        },
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
            "organisation": person.organisation,
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
        platform = Platform.objects.filter(
            pk=platform_id, place_id__in=[topic.place_id, topic.place.township_id]
        ).first()
        if platform is None:
            raise ValidationError({"platform": [_("请选择本地或上级镇的协商平台。")]})
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
            raise ValidationError(
                {"platform": [_("没有可以加入的成员（可能已全部在名单中）。")]}
            )
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
    phone = (phone or "").strip()
    errors: dict[str, list[str]] = {}
    name = clean_text(
        name,
        field="name",
        max_length=Person._meta.get_field("name").max_length,
        required_message=_("请填写姓名。"),
        errors=errors,
    )
    if category not in MemberCategory.values:
        errors["category"] = [_("请选择界别。")]
    organisation = clean_text(
        organisation,
        field="organisation",
        max_length=Person._meta.get_field("organisation").max_length,
        required=False,
        errors=errors,
    )
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
            raise ValidationError(_("该参与对象已有意见或签到记录，不能移出名单。"))
        before = snapshot(participant, ("person", "category", "platform"))
        before["name"] = participant.name
        topic_event(
            topic,
            actor=actor,
            verb="participant_remove",
            record=participant,
            before=before,
        )
        participant.delete()
