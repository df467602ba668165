"""What each step must show before the topic may leave it (DOMAIN.md §4).

The requirements are declared here, from the source text, so that no step can be
skipped whatever apps are installed. The apps that hold a step's records provide
the checks for them (``provide`` in their ``AppConfig.ready``); a requirement
with no check is missing. A new kind of evidence is one ``require`` call plus
one ``provide`` call, never an edit to the state machine.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

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
    # Where the step's records are kept: a URL name taking ``topic_id``, or "" while
    # no screen records it yet.
    url_name: str = ""


# A bulk check: topics in, the ids of those that have the evidence out. It must
# cost a constant number of queries however many topics it is given.
BulkCheck = Callable[[Sequence], set[int]]


@dataclass(frozen=True)
class Provider:
    check_many: BulkCheck
    # The ids of the topics the requirement applies to; None means all of them.
    applies_many: BulkCheck | None = None
    # What was registered, to tell a repeated registration from a conflicting one.
    source: Callable | None = None
    # What exactly a topic lacks, said for the topics missing the evidence
    # (ids -> label); a topic it says nothing about keeps the general label.
    describe_many: Callable[[Sequence], dict[int, str]] | None = None


# Pluralised on "days", which is read from the settings each time it is shown.
_NOTICE_LABEL = ngettext_lazy(
    "参会通知已至少提前 %(days)d 天发给全部参与对象",
    "参会通知已至少提前 %(days)d 天发给全部参与对象",
    "days",
)


def _notice_label() -> str:
    return str(_NOTICE_LABEL % {"days": settings.XST_NOTICE_MIN_DAYS})


_REQUIREMENTS: dict[str, Requirement] = {}
_PROVIDERS: dict[str, Provider] = {}


def require(step: int, code: str, label) -> None:
    if code in _REQUIREMENTS:
        raise ValueError(f"evidence {code!r} is already required")
    _REQUIREMENTS[code] = Requirement(step=step, code=code, label=label)


def provide(
    code: str,
    check: Callable | None = None,
    *,
    check_many: BulkCheck | None = None,
    applies_many: BulkCheck | None = None,
    describe_many: Callable[[Sequence], dict[int, str]] | None = None,
    url_name: str = "",
) -> None:
    """Register what decides whether ``code`` exists for a topic.

    ``check_many(topics)`` returns the ids of the topics that have the evidence;
    ``check(topic) -> bool`` is the one-topic shorthand for checks that read only
    the topic row. ``applies_many(topics)`` returns the ids of the topics the
    requirement applies to (for example only topics that need a statutory vote);
    a topic outside it never lists the requirement as missing.
    ``describe_many(topics)`` says exactly what each topic lacking the evidence
    lacks (``{topic id: label}``), in place of the requirement's general label.
    ``url_name`` names the page where the evidence is recorded (it takes
    ``topic_id``).
    """
    if code not in _REQUIREMENTS:
        raise KeyError(f"no requirement {code!r}; declare it with require()")
    if (check is None) == (check_many is None):
        raise TypeError("give exactly one of check and check_many")
    if code in _PROVIDERS:
        known = _PROVIDERS[code]
        if (known.source, known.applies_many) != (check or check_many, applies_many):
            raise ValueError(f"evidence {code!r} already has a check")
        return
    if check_many is None:

        def check_many(topics, _check=check):
            return {topic.pk for topic in topics if _check(topic)}

    _PROVIDERS[code] = Provider(
        check_many=check_many,
        applies_many=applies_many,
        source=check or check_many,
        describe_many=describe_many,
    )
    if url_name:
        _REQUIREMENTS[code] = replace(_REQUIREMENTS[code], url_name=url_name)


def requirements(step: int) -> list[Requirement]:
    return [r for r in _REQUIREMENTS.values() if r.step == step]


def missing_many(topics: Iterable, step: int | None = None) -> dict[int, list]:
    """What each topic still lacks in its current step (or in ``step``).

    One call per page: each provider is asked once for all the topics, so the
    cost does not grow with the number of rows.
    """
    topics = list(topics)
    by_step: dict[int, list] = {}
    for topic in topics:
        topic_step = step if step is not None else topic.step
        if topic_step:
            by_step.setdefault(topic_step, []).append(topic)
    result: dict[int, list] = {topic.pk: [] for topic in topics}
    for topic_step, group in by_step.items():
        for requirement in requirements(topic_step):
            provider = _PROVIDERS.get(requirement.code)
            if provider is None:
                for topic in group:
                    result[topic.pk].append(requirement)
                continue
            if provider.applies_many is None:
                concerned = group
            else:
                applies = provider.applies_many(group)
                concerned = [topic for topic in group if topic.pk in applies]
            if not concerned:
                continue
            present = provider.check_many(concerned)
            lacking = [topic for topic in concerned if topic.pk not in present]
            described = (
                provider.describe_many(lacking)
                if lacking and provider.describe_many
                else {}
            )
            for topic in lacking:
                label = described.get(topic.pk)
                result[topic.pk].append(
                    replace(requirement, label=label) if label else requirement
                )
    return result


def missing(topic, step: int) -> list[Requirement]:
    return missing_many([topic], step)[topic.pk]


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
require(Step.PREPARE, "prepare.plan", _("协商方案（形式、时间、地点、议程）"))
require(Step.PREPARE, "prepare.participants", _("参与协商对象名单"))
require(Step.PREPARE, "prepare.notices", lazy(_notice_label, str)())
require(
    Step.PREPARE,
    "prepare.materials",
    _("议题资料（在首次协商活动前随参会通知或单独发给参与对象）"),
)
# Step 3: 开展协商民主.
require(
    Step.CONSULT,
    "consult.session",
    _(
        "至少一次协商活动记录（签到、记录、意见及提出人、形成的共识）或书面、网上意见汇集"
    ),
)
# Step 4: 协商成果落实.
require(Step.ADOPT, "adopt.compiled", _("协商意见整理汇总"))
require(Step.ADOPT, "adopt.dispositions", _("每条意见的采纳情况"))
require(Step.ADOPT, "adopt.decision", _("班子联席会议决策及最终决策方案"))
require(Step.ADOPT, "adopt.vote", _("法定会议表决（需要表决的事项）"))
require(Step.ADOPT, "adopt.explanations", _("未采纳意见的沟通解释"))
# Step 5: 协商结果反馈.
require(Step.FEEDBACK, "feedback.tasks", _("落实责任人及完成期限"))
require(
    Step.FEEDBACK,
    "feedback.progress",
    _("跟踪督办：每项落实任务已完成或写明理由终止，并有进展报告"),
)
require(Step.FEEDBACK, "feedback.public_notice", _("公示期满"))
require(
    Step.FEEDBACK,
    "feedback.progress_notice",
    _("实施进展情况公示期满（落实进展公示，或标记为同时公示进展的决策公示）"),
)
require(Step.FEEDBACK, "feedback.informed", _("向参与协商对象通报情况"))


def provide_step_one() -> None:
    provide("topic.title", lambda topic: bool(topic.title.strip()))
    provide("topic.description", lambda topic: bool(topic.description.strip()))
    provide("topic.category", lambda topic: bool(topic.category))
    provide("topic.tag", lambda topic: bool(topic.tag))
    provide("topic.forms", lambda topic: bool(topic.forms))
