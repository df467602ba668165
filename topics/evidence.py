"""What each step must show before the topic may leave it (DOMAIN.md §4).

The requirements are declared here, from the source text, so that no step can be
skipped whatever apps are installed. The apps that hold a step's records provide
the checks for them (``provide`` in their ``AppConfig.ready``); a requirement
with no check is missing. A new kind of evidence is one ``require`` call plus
one ``provide`` call, never an edit to the state machine.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .states import Step


@dataclass(frozen=True)
class Requirement:
    step: int
    code: str
    label: str


# Pluralised on "days", which is read from the settings each time it is shown.
_NOTICE_LABEL = ngettext_lazy(
    "参会通知已至少提前 %(days)d 天发给全部参与对象",
    "参会通知已至少提前 %(days)d 天发给全部参与对象",
    "days",
)


def _notice_label() -> str:
    return str(_NOTICE_LABEL % {"days": settings.XST_NOTICE_MIN_DAYS})


_REQUIREMENTS: dict[str, Requirement] = {}
_CHECKS: dict[str, Callable] = {}


def require(step: int, code: str, label) -> None:
    if code in _REQUIREMENTS:
        raise ValueError(f"evidence {code!r} is already required")
    _REQUIREMENTS[code] = Requirement(step=step, code=code, label=label)


def provide(code: str, check: Callable) -> None:
    """Register the check (topic -> bool) that decides whether ``code`` exists."""
    if code not in _REQUIREMENTS:
        raise KeyError(f"no requirement {code!r}; declare it with require()")
    if code in _CHECKS and _CHECKS[code] is not check:
        raise ValueError(f"evidence {code!r} already has a check")
    _CHECKS[code] = check


def requirements(step: int) -> list[Requirement]:
    return [r for r in _REQUIREMENTS.values() if r.step == step]


def missing(topic, step: int) -> list[Requirement]:
    result = []
    for requirement in requirements(step):
        check = _CHECKS.get(requirement.code)
        if check is None or not check(topic):
            result.append(requirement)
    return result


def step_complete(step: int) -> Callable:
    """A django-fsm condition: every requirement of ``step`` is met."""

    def condition(topic) -> bool:
        return not missing(topic, step)

    condition.__name__ = f"step_{step}_complete"
    condition.step = step
    return condition


# Step 1: the topic itself is complete; approval is the transition out.
require(Step.DETERMINE, "topic.title", _("议题标题"))
require(Step.DETERMINE, "topic.description", _("议题内容"))
require(Step.DETERMINE, "topic.category", _("议题类别"))
require(Step.DETERMINE, "topic.tag", _("“四公一热”标签"))
require(Step.DETERMINE, "topic.forms", _("协商形式"))
# Step 2: 做好协商准备.
require(Step.PREPARE, "prepare.plan", _("协商方案(形式、时间、地点、议程)"))
require(Step.PREPARE, "prepare.participants", _("参与协商对象名单"))
require(Step.PREPARE, "prepare.notices", lazy(_notice_label, str)())
require(Step.PREPARE, "prepare.materials", _("议题资料"))
# Step 3: 开展协商民主.
require(
    Step.CONSULT,
    "consult.session",
    _("至少一次协商活动记录(签到、记录、意见及提出人、形成的共识)或书面、网上意见汇集"),
)
# Step 4: 协商成果落实.
require(Step.ADOPT, "adopt.compiled", _("协商意见整理汇总"))
require(Step.ADOPT, "adopt.dispositions", _("每条意见的采纳情况"))
require(Step.ADOPT, "adopt.decision", _("班子联席会议决策及最终决策方案"))
require(Step.ADOPT, "adopt.vote", _("法定会议表决(需要表决的事项)"))
require(Step.ADOPT, "adopt.explanations", _("未采纳意见的沟通解释"))
# Step 5: 协商结果反馈.
require(Step.FEEDBACK, "feedback.tasks", _("落实责任人及完成期限"))
require(Step.FEEDBACK, "feedback.progress", _("跟踪督办记录"))
require(Step.FEEDBACK, "feedback.public_notice", _("公示期满"))
require(Step.FEEDBACK, "feedback.informed", _("向参与协商对象通报情况"))


def provide_step_one() -> None:
    provide("topic.title", lambda topic: bool(topic.title.strip()))
    provide("topic.description", lambda topic: bool(topic.description.strip()))
    provide("topic.category", lambda topic: bool(topic.category))
    provide("topic.tag", lambda topic: bool(topic.tag))
    provide("topic.forms", lambda topic: bool(topic.forms))
