"""The township's rule data for statutory votes (seed §六.4): which topic
categories need a vote, and the meeting kinds, quorum and majority per level.
Changed only through ``feedback.services.rule_data``."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from topics.catalogue import Category, Level


class MeetingKind(models.TextChoices):
    VILLAGERS = "villagers", _("村民会议")
    VILLAGER_REPS = "villager_reps", _("村民代表会议")
    TOWN_CONGRESS = "town_congress", _("镇人民代表大会")


class Base(models.TextChoices):
    PRESENT = "present", _("到会人数")
    ENTITLED = "entitled", _("应到人数")


class VoteCategory(models.Model):
    """Whether topics of a category need a statutory vote, per township.

    Without a row the default applies (``feedback.rules.DEFAULT_VOTE_CATEGORIES``).
    """

    township = models.ForeignKey(
        "committees.Place",
        on_delete=models.CASCADE,
        limit_choices_to={"kind": "township"},
        related_name="vote_categories",
        verbose_name=_("镇"),
    )
    category = models.CharField(_("议题类别"), max_length=8, choices=Category.choices)
    needs_vote = models.BooleanField(_("需要法定会议表决"))

    class Meta:
        verbose_name = _("需表决的议题类别")
        verbose_name_plural = pgettext_lazy("plural", "需表决的议题类别")
        constraints = [
            models.UniqueConstraint(
                fields=["township", "category"], name="votecategory_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.township} · {self.get_category_display()}"


class MeetingRule(models.Model):
    """A meeting kind a township's topics of one level are voted by, with its rule.

    The law's kinds (``feedback.rules.DEFAULT_MEETING_KINDS``) are always
    allowed at their level; a row overrides their quorum and majority, or lets
    the township's topics of ``level`` be voted by another kind.

    Quorum: present ≥ (or >) entitled × quorum_num / quorum_den. Passing: in
    favour ≥ (or >) base × pass_num / pass_den, the base being those present or
    those entitled.
    """

    township = models.ForeignKey(
        "committees.Place",
        on_delete=models.CASCADE,
        limit_choices_to={"kind": "township"},
        related_name="meeting_rules",
        verbose_name=_("镇"),
    )
    level = models.CharField(_("议题层级"), max_length=8, choices=Level.choices)
    kind = models.CharField(_("会议类型"), max_length=16, choices=MeetingKind.choices)
    quorum_num = models.PositiveSmallIntegerField(_("到会比例分子"))
    quorum_den = models.PositiveSmallIntegerField(
        _("到会比例分母"), validators=[MinValueValidator(1)]
    )
    quorum_strict = models.BooleanField(_("到会须超过该比例"), default=False)
    pass_num = models.PositiveSmallIntegerField(_("赞成比例分子"))
    pass_den = models.PositiveSmallIntegerField(
        _("赞成比例分母"), validators=[MinValueValidator(1)]
    )
    pass_strict = models.BooleanField(_("赞成须超过该比例"), default=True)
    pass_base = models.CharField(
        _("赞成比例基数"), max_length=16, choices=Base.choices, default=Base.PRESENT
    )

    class Meta:
        verbose_name = _("表决规则")
        verbose_name_plural = pgettext_lazy("plural", "表决规则")
        constraints = [
            models.UniqueConstraint(
                fields=["township", "level", "kind"], name="meetingrule_once"
            ),
            # A share of the members: at most all of them, never of nobody.
            models.CheckConstraint(
                condition=models.Q(quorum_num__lte=models.F("quorum_den"))
                & models.Q(pass_num__lte=models.F("pass_den"))
                & models.Q(quorum_den__gte=1)
                & models.Q(pass_den__gte=1),
                name="meetingrule_fractions",
                violation_error_message=_("比例的分子不能大于分母，分母至少为 1。"),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.township} · {self.get_level_display()} · {self.get_kind_display()}"
        )
