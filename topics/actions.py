"""The one gate for topic actions: may this user do it now, and if not, why.

Each action of the five-step procedure is one object (in the manner of
Wagtail's action classes) that holds its label, whether it needs a reason, its
button style and whether the page asks for confirmation. ``check()`` answers
"allowed, or refused and why" and ``execute()`` moves the topic; the service
(``topics.services.topic_transition``) and the topic page both ask the same
object, so the rule is written once. This module is the only place that reads
django-fsm's transition metadata.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.text import join_list

from . import evidence
from .models import Topic, due_at


class Refused(StrEnum):
    """Why an action may not happen, in the order the service checks them."""

    STATE = "state"  # the topic is not in a state the action leaves from
    PERMISSION = "permission"  # the user's role may not take the action here
    EVIDENCE = "evidence"  # the step's evidence is incomplete


@dataclass(frozen=True)
class Verdict:
    """The answer of ``TopicAction.check``: ``allowed``, or ``refused`` and why."""

    refused: Refused | None = None
    message: str = ""
    missing: list = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.refused is None

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Verdict()


@dataclass(frozen=True)
class TopicAction:
    name: str
    label: str
    needs_reason: bool = False
    style: str = "primary"  # primary, secondary or danger (the button's look)
    confirm: bool = False  # the page asks "are you sure?" before posting

    def _meta(self):
        return getattr(Topic, self.name)._django_fsm

    def role_may(self, user, topic: Topic) -> bool:
        """Whether the user's role allows this action on this topic in any state."""
        return any(t.has_perm(topic, user) for t in self._meta().transitions.values())

    def check(self, user, topic: Topic, missing: list | None = None) -> Verdict:
        """Allowed, or the first reason it is refused (state, permission, evidence).

        ``missing`` is what the topic lacks in its current step, when the caller
        has already computed it for the page (``evidence.missing_many``), so the
        evidence is not checked twice.
        """
        meta = self._meta()
        source = topic.state
        if not meta.has_transition(source):
            # Only someone whose role could take this action learns the state.
            if self.role_may(user, topic):
                return Verdict(
                    Refused.STATE,
                    _("议题当前处于“%(state)s”，不能执行“%(action)s”。")
                    % {"state": topic.get_state_display(), "action": self.label},
                )
            return Verdict(Refused.PERMISSION, _("您没有执行该操作的权限。"))
        if not meta.has_transition_perm(topic, source, user):
            return Verdict(Refused.PERMISSION, _("您没有执行该操作的权限。"))
        lacking = self._lacking(topic, meta.get_transition(source), missing)
        if lacking:
            return Verdict(
                Refused.EVIDENCE,
                _("还缺少：%(items)s") % {"items": join_list(r.label for r in lacking)},
                missing=lacking,
            )
        return ALLOWED

    @staticmethod
    def _lacking(topic: Topic, transition, missing: list | None) -> list:
        lacking: list = []
        for condition in transition.conditions:
            step = getattr(condition, "step", None)
            if step is not None and step == topic.step and missing is not None:
                lacking.extend(r for r in missing if r not in lacking)
            elif not condition(topic):
                found = evidence.missing(topic, step) if step is not None else []
                lacking.extend(r for r in found if r not in lacking)
        return lacking

    def execute(self, topic: Topic) -> None:
        """Move the (locked, checked) topic and save its state and step deadline.

        Raises django-fsm's ``ConcurrentTransition`` when another writer moved
        the topic first; the service turns that into a conflict.
        """
        getattr(topic, self.name)()
        now = timezone.now()
        topic.state_changed_at = now
        topic.step_due_at = due_at(topic.place, topic.state, now)
        topic.save(update_fields=["state", "state_changed_at", "step_due_at"])


ACTIONS: dict[str, TopicAction] = {
    a.name: a
    for a in (
        TopicAction("submit", gettext_lazy("提交审批")),
        TopicAction("approve", gettext_lazy("批准议题"), confirm=True),
        TopicAction("return_for_revision", gettext_lazy("退回修改"), True, "secondary"),
        TopicAction("reject", gettext_lazy("驳回"), True, "danger"),
        TopicAction("start_consultation", gettext_lazy("准备完成，开始协商")),
        TopicAction("start_adoption", gettext_lazy("协商结束，进入成果落实")),
        TopicAction("start_feedback", gettext_lazy("确认决策，进入结果反馈")),
        TopicAction("archive", gettext_lazy("反馈完成，归档")),
        TopicAction("withdraw", gettext_lazy("撤回议题"), True, "danger", confirm=True),
    )
}


def available(user, topic: Topic, missing: list | None = None) -> list:
    """The actions this user may take on this topic now, each with its verdict.

    Actions refused for evidence are listed (the page shows them disabled with
    what is missing); those refused for state or permission are left out.
    """
    rows = []
    for action in ACTIONS.values():
        verdict = action.check(user, topic, missing)
        if verdict.refused in (None, Refused.EVIDENCE):
            rows.append((action, verdict))
    return rows


__all__ = ["ACTIONS", "ALLOWED", "Refused", "TopicAction", "Verdict", "available"]
