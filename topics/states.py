from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审批")
    PREPARING = "preparing", _("协商准备")
    CONSULTING = "consulting", _("开展协商")
    ADOPTING = "adopting", _("成果落实")
    FEEDBACK = "feedback", _("结果反馈")
    ARCHIVED = "archived", _("已归档")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


class Step(models.IntegerChoices):
    DETERMINE = 1, _("确定协商议题")
    PREPARE = 2, _("做好协商准备")
    CONSULT = 3, _("开展协商民主")
    ADOPT = 4, _("协商成果落实")
    FEEDBACK = 5, _("协商结果反馈")


STEP_OF_STATE = {
    State.DRAFT: Step.DETERMINE,
    State.SUBMITTED: Step.DETERMINE,
    State.PREPARING: Step.PREPARE,
    State.CONSULTING: Step.CONSULT,
    State.ADOPTING: Step.ADOPT,
    State.FEEDBACK: Step.FEEDBACK,
}

FINAL_STATES = frozenset({State.ARCHIVED, State.REJECTED, State.WITHDRAWN})
ACTIVE_STATES = tuple(s for s in State if s not in FINAL_STATES)

# Default days a topic may stay in a state before escalation, and how many
# days before that deadline the responsible clerk is reminded. Places override
# these with StepLimit rows.
DEFAULT_STEP_LIMITS: dict[str, tuple[int, int]] = {
    State.SUBMITTED: (7, 2),
    State.PREPARING: (20, 3),
    State.CONSULTING: (30, 5),
    State.ADOPTING: (15, 3),
    State.FEEDBACK: (90, 7),
}
