"""Step 5 通报: each participant told how their own opinions were handled."""

from django.urls import reverse
from django.utils.translation import gettext as _

from consult.selectors import topic_opinions, topic_participants
from core.errors import Conflict
from notifications.models import Kind
from topics.models import Topic
from topics.records import topic_event

from ..models import Bulletin, Decision
from ._base import FEEDBACK, _write, send_notice


def _bulletin_body(topic: Topic, decision: Decision | None, opinions: list) -> str:
    lines = [
        _("议题“%(topic)s”已形成决策。") % {"topic": topic.title},
    ]
    if decision is not None:
        lines.append(_("决策方案：%(plan)s") % {"plan": decision.plan[:500]})
    if opinions:
        lines.append(_("您提出的意见及采纳情况："))
        for number, opinion in enumerate(opinions, start=1):
            disposition = getattr(opinion, "disposition", None)
            outcome = disposition.get_outcome_display() if disposition else ""
            reason = disposition.reason if disposition else ""
            lines.append(
                _("%(n)d. %(content)s —— %(outcome)s（%(reason)s）")
                % {
                    "n": number,
                    "content": opinion.content[:200],
                    "outcome": outcome,
                    "reason": reason,
                }
            )
    else:
        lines.append(_("您在本次协商中没有登记意见。"))
    return "\n".join(lines)


def bulletin_send(*, actor, topic_id: int) -> int:
    """通报 every participant; each message names their opinions and dispositions.

    Sending again reaches only participants not yet sent a 通报.
    """
    with _write(actor, topic_id, steps=FEEDBACK) as topic:
        decision = (
            Decision.objects.filter(topic=topic).order_by("-meeting_date").first()
        )
        if decision is None:
            raise Conflict(_("还没有决策记录，不能通报。"))
        participants = list(topic_participants([topic.pk]))
        if not participants:
            raise Conflict(_("本议题没有参与协商对象。"))
        already = set(
            Bulletin.objects.filter(topic=topic).values_list("person_id", flat=True)
        )
        by_person: dict[int, list] = {}
        by_participant: dict[int, list] = {}
        for opinion in topic_opinions([topic.pk]).select_related("disposition"):
            if opinion.participant_id:
                by_participant.setdefault(opinion.participant_id, []).append(opinion)
            elif opinion.author_id:
                by_person.setdefault(opinion.author_id, []).append(opinion)
        sent = 0
        link = reverse("public_topic_notices", kwargs={"topic_id": topic.pk})
        for participant in participants:
            if participant.person_id in already:
                continue
            opinions = by_participant.get(participant.pk, []) + by_person.get(
                participant.person_id, []
            )
            notification = send_notice(
                topic=topic,
                key=f"feedback-bulletin:{topic.pk}:{participant.person_id}",
                kind=Kind.BULLETIN,
                recipients=[participant.person],
                subject=_("协商结果通报：%(topic)s") % {"topic": topic.title},
                body=_bulletin_body(topic, decision, opinions),
                link=link,
                actor=actor,
            )
            bulletin = Bulletin.objects.create(
                topic=topic,
                person=participant.person,
                notification=notification,
                sent_by=actor,
            )
            topic_event(
                topic,
                actor=actor,
                verb="bulletin_send",
                record=bulletin,
                after={
                    "person": participant.person_id,
                    "opinions": [o.pk for o in opinions],
                },
            )
            sent += 1
    return sent
