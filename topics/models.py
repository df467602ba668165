"""The consultation topic (议题) and its five-step state machine."""

from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from committees.models import Body, Place

from . import permissions as perm
from .catalogue import LEVEL_OF_PLACE, Category, Source, Tag
from .evidence import step_complete
from .states import ACTIVE_STATES, DEFAULT_STEP_LIMITS, STEP_OF_STATE, State, Step


def _fsm(predicate: Callable[[object, object], bool]):
    """Adapt a (user, topic) predicate to django-fsm's permission(instance, user)."""
    return lambda topic, user: predicate(user, topic)


class TopicQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state__in=ACTIVE_STATES)

    def overdue(self, now=None):
        return self.active().filter(step_due_at__lt=now or timezone.now())


class Topic(ConcurrentTransitionMixin, models.Model):
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, related_name="topics", verbose_name=_("地方")
    )
    body = models.ForeignKey(
        Body,
        on_delete=models.PROTECT,
        related_name="topics",
        verbose_name=_("实施主体"),
    )
    title = models.CharField(_("议题标题"), max_length=120)
    description = models.TextField(_("议题内容"), max_length=5000)
    category = models.CharField(_("议题类别"), max_length=8, choices=Category.choices)
    tag = models.CharField(_("四公一热"), max_length=32, choices=Tag.choices)
    forms = models.JSONField(_("协商形式"), default=list)
    source = models.CharField(_("议题来源"), max_length=32, choices=Source.choices)
    proposer = models.CharField(_("提出人（单位）"), max_length=64)
    planned_start = models.DateField(_("计划协商日期"), null=True, blank=True)
    planned_end = models.DateField(_("计划完成日期"), null=True, blank=True)
    is_public = models.BooleanField(_("向群众公开进展"), default=True)
    state = FSMField(
        _("状态"),
        default=State.DRAFT,
        choices=State.choices,
        protected=True,
        db_index=True,
    )
    state_changed_at = models.DateTimeField(_("进入当前状态时间"), default=timezone.now)
    step_due_at = models.DateTimeField(_("本步骤期限"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("起草人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        verbose_name = _("协商议题")
        verbose_name_plural = pgettext_lazy("plural", "协商议题")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["place", "state"]),
            models.Index(fields=["state", "step_due_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__isnull=True)
                | models.Q(planned_start__isnull=True)
                | models.Q(planned_end__gte=models.F("planned_start")),
                name="topic_planned_dates_ordered",
                violation_error_message=_("计划完成日期不能早于计划协商日期。"),
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def level(self) -> str:
        return LEVEL_OF_PLACE[self.place.kind]

    @property
    def step(self) -> int | None:
        return STEP_OF_STATE.get(self.state)

    # -- transitions: permission= and conditions= are the rules; services act.

    @transition(
        field=state,
        source=State.DRAFT,
        target=State.SUBMITTED,
        permission=_fsm(perm.can_submit),
        conditions=[step_complete(Step.DETERMINE)],
    )
    def submit(self) -> None:
        """Step 1: the clerk hands the complete draft over for approval."""

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.PREPARING,
        permission=_fsm(perm.can_approve),
        conditions=[step_complete(Step.DETERMINE)],
    )
    def approve(self) -> None:
        """Step 1 ends: the secretary of the owning level approves."""

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.REJECTED,
        permission=_fsm(perm.can_approve),
    )
    def reject(self) -> None:
        """The secretary refuses the topic (reason required)."""

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.DRAFT,
        permission=_fsm(perm.can_return),
    )
    def return_for_revision(self) -> None:
        """Back to the drafter with a reason."""

    @transition(
        field=state,
        source=State.PREPARING,
        target=State.CONSULTING,
        permission=_fsm(perm.can_run),
        conditions=[step_complete(Step.PREPARE)],
    )
    def start_consultation(self) -> None:
        """Step 2 ends: plan, participants, notices and materials exist."""

    @transition(
        field=state,
        source=State.CONSULTING,
        target=State.ADOPTING,
        permission=_fsm(perm.can_run),
        conditions=[step_complete(Step.CONSULT)],
    )
    def start_adoption(self) -> None:
        """Step 3 ends: a recorded session or collected responses exist."""

    @transition(
        field=state,
        source=State.ADOPTING,
        target=State.FEEDBACK,
        permission=_fsm(perm.can_decide),
        conditions=[step_complete(Step.ADOPT)],
    )
    def start_feedback(self) -> None:
        """Step 4 ends: every opinion disposed of and the decision taken."""

    @transition(
        field=state,
        source=State.FEEDBACK,
        target=State.ARCHIVED,
        permission=_fsm(perm.can_run),
        conditions=[step_complete(Step.FEEDBACK)],
    )
    def archive(self) -> None:
        """Step 5 ends: implemented, publicised, participants informed."""

    @transition(
        field=state,
        source=list(ACTIVE_STATES),
        target=State.WITHDRAWN,
        permission=_fsm(perm.can_withdraw),
    )
    def withdraw(self) -> None:
        """Side exit by the secretary, with a reason."""


class StepLimit(models.Model):
    """How long a topic of a place may stay in a state (议而不决, 决而不行)."""

    place = models.ForeignKey(
        Place,
        on_delete=models.CASCADE,
        related_name="step_limits",
        verbose_name=_("地方"),
    )
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=[(s, State(s).label) for s in DEFAULT_STEP_LIMITS],
    )
    max_days = models.PositiveSmallIntegerField(
        _("最长天数"), validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    remind_before_days = models.PositiveSmallIntegerField(
        _("提前提醒天数"), validators=[MaxValueValidator(365)]
    )

    class Meta:
        verbose_name = _("步骤时限")
        verbose_name_plural = pgettext_lazy("plural", "步骤时限")
        constraints = [
            models.UniqueConstraint(
                fields=["place", "state"], name="steplimit_one_per_state"
            )
        ]

    def __str__(self) -> str:
        return f"{self.place} · {self.get_state_display()}"


def step_limits(
    pairs: Iterable[tuple[Place, str]],
) -> dict[tuple[int, str], tuple[int, int]]:
    """(max days, remind days before) per (place id, state), in one query.

    A place's own StepLimit wins, then its township's, then the default.
    States without a time limit are left out.
    """
    pairs = [(place, state) for place, state in pairs if state in DEFAULT_STEP_LIMITS]
    if not pairs:
        return {}
    place_ids = {p.pk for p, _s in pairs} | {
        p.township_id for p, _s in pairs if p.township_id
    }
    rows = StepLimit.objects.filter(
        place_id__in=place_ids, state__in={s for _p, s in pairs}
    ).values_list("place_id", "state", "max_days", "remind_before_days")
    found = {
        (place_id, state): (days, remind) for place_id, state, days, remind in rows
    }
    return {
        (place.pk, state): found.get((place.pk, state))
        or found.get((place.township_id, state))
        or DEFAULT_STEP_LIMITS[state]
        for place, state in pairs
    }


def step_limit(place: Place, state: str) -> tuple[int, int] | None:
    """(max days, remind days before) for a state at a place, or None."""
    return step_limits([(place, state)]).get((place.pk, state))


def due_at(place: Place, state: str, entered_at) -> "timezone.datetime | None":
    limit = step_limit(place, state)
    return entered_at + timedelta(days=limit[0]) if limit else None
