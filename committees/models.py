"""Places, implementing bodies, standing platforms, people and role grants."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PlaceKind(models.TextChoices):
    COUNTY = "county", _("县（区）")
    TOWNSHIP = "township", _("镇")
    VILLAGE = "village", _("村")


class Place(models.Model):
    kind = models.CharField(_("类型"), max_length=16, choices=PlaceKind.choices)
    name = models.CharField(_("名称"), max_length=64)
    code = models.SlugField(_("代码"), max_length=32, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级"),
    )
    # Derived from kind and parent by committees.services (place_create and
    # place_update): a township's is itself, a village's its parent, a county
    # has none. Stored so that "the township of a place" costs no query and
    # filters as one column, never an OR across the parent join.
    township = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        # Deleting a township deletes its own row, the only other holder of its
        # id here being its villages, which ``parent`` protects already.
        on_delete=models.DO_NOTHING,
        related_name="+",
        verbose_name=_("所属镇"),
    )

    class Meta:
        verbose_name = _("地方")
        verbose_name_plural = pgettext_lazy("plural", "地方")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="place_unique_name_under_parent"
            ),
            # A township's own id is known only after its insert, so the
            # database checks the other two kinds.
            models.CheckConstraint(
                condition=models.Q(kind="township")
                | models.Q(
                    kind="village",
                    township__isnull=False,
                    township=models.F("parent"),
                )
                | models.Q(kind="county", township__isnull=True),
                name="place_township_follows_kind",
            ),
        ]
        # Object permissions granted on a place by role groups (see roles.py).
        # They are never granted model-wide.
        permissions = [
            ("view_topics", _("查看本地全部议题（含草稿）")),
            ("draft_topics", _("起草、编辑和提交本地议题")),
            ("approve_topics", _("批准或驳回本地议题")),
            ("revise_topics", _("退回本地议题修改")),
            ("run_topics", _("推进本地议题的协商步骤")),
            ("decide_topics", _("确认本地议题的决策方案")),
            ("withdraw_topics", _("撤回本地议题")),
            ("view_village_topics", _("查看下辖村全部议题")),
            ("withdraw_village_topics", _("撤回下辖村议题")),
            ("export_dossiers", _("导出一事一档")),
            ("manage_rosters", _("管理平台名册")),
            ("manage_roles", _("授予和撤销本镇及下辖村的角色")),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # A missing or unknown kind is reported by the field's own validation.
        if self.kind not in PlaceKind.values:
            return
        expected_parent = {
            PlaceKind.COUNTY: None,
            PlaceKind.TOWNSHIP: PlaceKind.COUNTY,
            PlaceKind.VILLAGE: PlaceKind.TOWNSHIP,
        }[self.kind]
        if self.kind == PlaceKind.VILLAGE and self.parent is None:
            raise ValidationError({"parent": _("村必须隶属于一个镇。")})
        if self.parent is not None and self.parent.kind != expected_parent:
            raise ValidationError({"parent": _("上级地方的类型不正确。")})

    @property
    def is_village(self) -> bool:
        return self.kind == PlaceKind.VILLAGE

    def derived_township_id(self) -> int | None:
        """The township this place's kind and parent give it (None: a county)."""
        if self.kind == PlaceKind.TOWNSHIP:
            return self.pk
        if self.kind == PlaceKind.VILLAGE:
            return self.parent_id
        return None


class BodyKind(models.TextChoices):
    TOWN_PARTY = "town_party", _("镇党委")
    TOWN_GOVERNMENT = "town_government", _("镇政府")
    VILLAGE_BRANCH = "village_branch", _("村党支部")
    VILLAGE_COMMITTEE = "village_committee", _("村委会")


BODY_KINDS_BY_PLACE = {
    PlaceKind.TOWNSHIP: {BodyKind.TOWN_PARTY, BodyKind.TOWN_GOVERNMENT},
    PlaceKind.VILLAGE: {BodyKind.VILLAGE_BRANCH, BodyKind.VILLAGE_COMMITTEE},
}


class Body(models.Model):
    """An implementing body (实施主体, §三): every topic belongs to one."""

    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, related_name="bodies", verbose_name=_("地方")
    )
    kind = models.CharField(_("类型"), max_length=32, choices=BodyKind.choices)
    name = models.CharField(_("名称"), max_length=64)

    class Meta:
        verbose_name = _("实施主体")
        verbose_name_plural = pgettext_lazy("plural", "实施主体")
        ordering = ["place", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["place", "kind"], name="body_one_per_kind")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # A missing place is reported by the field's own validation.
        if self.place_id is None:
            return
        allowed = BODY_KINDS_BY_PLACE.get(self.place.kind, set())
        if self.kind not in allowed:
            raise ValidationError({"kind": _("该类型的实施主体不属于这一级地方。")})


class PlatformKind(models.TextChoices):
    TOWN_COMMITTEE = "town_committee", _("镇协商民主委员会")
    TOWN_ADVISORY = "town_advisory", _("镇公共决策咨询委员会")
    VILLAGE_COUNCIL = "village_council", _("村协商民主议事会")


# (place kind, minimum members, maximum members) per platform, §八.
PLATFORM_RULES = {
    PlatformKind.TOWN_COMMITTEE: (PlaceKind.TOWNSHIP, 20, 30),
    PlatformKind.TOWN_ADVISORY: (PlaceKind.TOWNSHIP, 0, 30),
    PlatformKind.VILLAGE_COUNCIL: (PlaceKind.VILLAGE, 0, None),
}


class Platform(models.Model):
    """A standing consultation platform with a roster (§八)."""

    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        related_name="platforms",
        verbose_name=_("地方"),
    )
    kind = models.CharField(_("类型"), max_length=32, choices=PlatformKind.choices)
    name = models.CharField(_("名称"), max_length=64)

    class Meta:
        verbose_name = _("协商平台")
        verbose_name_plural = pgettext_lazy("plural", "协商平台")
        ordering = ["place", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "kind"], name="platform_one_per_kind"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # A missing place or unknown kind is reported by the fields' validation.
        if self.place_id is None or self.kind not in PLATFORM_RULES:
            return
        place_kind, _min, _max = PLATFORM_RULES[self.kind]
        if self.place.kind != place_kind:
            raise ValidationError({"kind": _("该平台不属于这一级地方。")})

    @property
    def min_members(self) -> int:
        return PLATFORM_RULES[self.kind][1]

    @property
    def max_members(self) -> int | None:
        return PLATFORM_RULES[self.kind][2]


class Person(models.Model):
    """Anyone who can take part; optionally linked to a user account."""

    name = models.CharField(_("姓名"), max_length=64)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
        verbose_name=_("账号"),
    )
    place = models.ForeignKey(
        Place,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
        verbose_name=_("所在地方"),
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    organisation = models.CharField(_("工作单位或身份"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = pgettext_lazy("plural", "人员")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class MemberCategory(models.TextChoices):
    # Participant categories (§七).
    PARTY_DEPUTY = "party_deputy", _("党代表")
    NPC_DEPUTY = "npc_deputy", _("人大代表")
    CPPCC_MEMBER = "cppcc_member", _("政协委员")
    UNITED_FRONT = "united_front", _("统一战线代表人士")
    PROFESSIONAL = "professional", _("专业界人士")
    DEPARTMENT = "department", _("相关部门代表")
    MASSES = "masses", _("群众代表")
    STAKEHOLDER = "stakeholder", _("利益相关方代表")
    # Further sectors named for the platforms (§八).
    GRASSROOTS_ORG = "grassroots_org", _("基层组织代表")
    ENTERPRISE = "enterprise", _("企事业单位代表")
    SOCIAL_ORG = "social_org", _("社团组织代表")
    EXPERT = "expert", _("专家学者")
    NOTABLE = "notable", _("贤达人士")
    VILLAGER_REP = "villager_rep", _("村民代表")
    MERCHANT = "merchant", _("商户代表")
    ENTREPRENEUR = "entrepreneur", _("创业成功人士")
    COOPERATIVE = "cooperative", _("专业合作社、技术协会代表")
    PUBLIC_EMPLOYEE = "public_employee", _("在政府企事业单位工作的本村人员")
    RESPECTED = "respected", _("有威望和影响力的人士")
    OTHER = "other", _("其他界别代表人士")


# The categories a participant list should cover to be broad and
# representative (§七); 两代表一委员 count as three.
REPRESENTATIVE_CATEGORIES = (
    MemberCategory.PARTY_DEPUTY,
    MemberCategory.NPC_DEPUTY,
    MemberCategory.CPPCC_MEMBER,
    MemberCategory.UNITED_FRONT,
    MemberCategory.PROFESSIONAL,
    MemberCategory.DEPARTMENT,
    MemberCategory.MASSES,
    MemberCategory.STAKEHOLDER,
)


def missing_categories(categories) -> list[MemberCategory]:
    """The §七 categories that a list with these categories lacks."""
    present = set(categories)
    return [c for c in REPRESENTATIVE_CATEGORIES if c not in present]


class Membership(models.Model):
    """A person on a platform's roster for a term."""

    platform = models.ForeignKey(
        Platform,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("平台"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("人员"),
    )
    category = models.CharField(
        _("界别"), max_length=32, choices=MemberCategory.choices
    )
    position = models.CharField(_("职务"), max_length=32, blank=True)
    term_start = models.DateField(_("任期开始"))
    term_end = models.DateField(_("任期结束"), null=True, blank=True)
    appointed_by = models.CharField(_("聘任（推选）单位"), max_length=64, blank=True)
    appointed_on = models.DateField(_("聘任日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("平台成员")
        verbose_name_plural = pgettext_lazy("plural", "平台成员")
        ordering = ["platform", "category", "person__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "person", "term_start"],
                name="membership_unique_term",
            ),
            models.CheckConstraint(
                condition=models.Q(term_end__isnull=True)
                | models.Q(term_end__gte=models.F("term_start")),
                name="membership_term_ordered",
                violation_error_message=_("任期结束日期不能早于任期开始日期。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform} · {self.person}"

    def is_current(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.term_start <= on and (self.term_end is None or on <= self.term_end)


class Role(models.TextChoices):
    TOWNSHIP_SECRETARY = "township_secretary", _("镇党委书记")
    TOWNSHIP_DEPUTY = "township_deputy", _("镇党委副书记（分管）")
    TOWNSHIP_CLERK = "township_clerk", _("镇协商办工作人员")
    VILLAGE_SECRETARY = "village_secretary", _("村党支部书记")
    VILLAGE_CLERK = "village_clerk", _("村委会文书")
    MEMBER = "member", _("协商委员/参与对象")
    RESIDENT = "resident", _("群众")
    ADMINISTRATOR = "administrator", _("管理员")


class RoleGrant(models.Model):
    """The source of truth for what a user may do where.

    The django-guardian group grants follow from these rows (services.py).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_grants",
        verbose_name=_("账号"),
    )
    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        related_name="role_grants",
        verbose_name=_("地方"),
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("授权人"),
    )
    granted_at = models.DateTimeField(_("授权时间"), default=timezone.now)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = pgettext_lazy("plural", "角色授权")
        ordering = ["place", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "place", "role"], name="rolegrant_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.place} · {self.get_role_display()}"
