"""Step 2 and 3 records of a topic: plan, participants, notices, materials,
sessions, attendance and opinions (DOMAIN.md §4).

Writes go through ``consult.services``; reads through ``consult.selectors``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from committees.models import MemberCategory
from core.uploads import StoredFile
from topics.catalogue import Form


class SessionKind(models.TextChoices):
    MEETING = "meeting", _("会议")
    INTERVIEW = "interview", _("个别访谈")
    WRITTEN = "written", _("书面征询")
    ONLINE = "online", _("网上协商")


KIND_OF_FORM: dict[str, str] = {
    Form.T_MEETING: SessionKind.MEETING,
    Form.T_INSPECTION: SessionKind.MEETING,
    Form.T_SEMINAR: SessionKind.MEETING,
    Form.T_WRITTEN: SessionKind.WRITTEN,
    Form.T_INTERVIEW: SessionKind.INTERVIEW,
    Form.T_ONLINE: SessionKind.ONLINE,
    Form.V_MEETING: SessionKind.MEETING,
    Form.V_TALK: SessionKind.MEETING,
    Form.V_WRITTEN: SessionKind.WRITTEN,
    Form.V_ONLINE: SessionKind.ONLINE,
}


class Plan(models.Model):
    """The 协商方案 of a topic beyond its sessions: summary and the written
    reason for a participant list that lacks §七 categories."""

    topic = models.OneToOneField(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="consult_plan",
        verbose_name=_("议题"),
    )
    summary = models.TextField(_("方案说明"), max_length=5000, blank=True)
    gap_reason = models.TextField(
        _("参与对象界别缺项说明"), max_length=2000, blank=True
    )
    gap_categories = models.JSONField(_("说明所针对的缺项界别"), default=list)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("协商方案")
        verbose_name_plural = pgettext_lazy("plural", "协商方案")

    def __str__(self) -> str:
        return str(self.topic)


class Participant(models.Model):
    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="participants",
        verbose_name=_("议题"),
    )
    person = models.ForeignKey(
        "committees.Person",
        on_delete=models.PROTECT,
        related_name="participations",
        verbose_name=_("人员"),
    )
    # The person as listed when added: the topic's record shows these, so a
    # later rename of the person changes nothing in a sealed topic.
    name = models.CharField(_("姓名（按名单）"), max_length=64)
    organisation = models.CharField(
        _("工作单位或身份（按名单）"), max_length=128, blank=True
    )
    category = models.CharField(
        _("界别"), max_length=32, choices=MemberCategory.choices
    )
    platform = models.ForeignKey(
        "committees.Platform",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("来自平台"),
    )
    created_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("参与协商对象")
        verbose_name_plural = pgettext_lazy("plural", "参与协商对象")
        ordering = ["topic", "category", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "person"], name="participant_once_per_topic"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.get_category_display()}"

    def save(self, *args, **kwargs):
        if not self.name:
            self.name = self.person.name
            self.organisation = self.person.organisation
        super().save(*args, **kwargs)


class Session(models.Model):
    """One consultation activity: a meeting, an interview, a written
    consultation (open until ``ends_at``) or an online period."""

    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("议题"),
    )
    form = models.CharField(_("协商形式"), max_length=16, choices=Form.choices)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间（截止时间）"))
    location = models.CharField(_("地点"), max_length=200, blank=True)
    agenda = models.TextField(_("议程"), max_length=5000, blank=True)
    host = models.CharField(_("主持人"), max_length=64, blank=True)
    interviewee = models.ForeignKey(
        Participant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("访谈对象"),
    )
    minutes = models.TextField(_("会议记录"), max_length=20000, blank=True)
    consensus = models.TextField(_("形成的共识"), max_length=5000, blank=True)
    disputed = models.TextField(_("仍有分歧的问题"), max_length=5000, blank=True)
    # §六.3 达成协商共识： a meeting without consensus counts only when it says
    # so and records what remains disputed.
    no_consensus = models.BooleanField(_("未达成共识"), default=False)
    recorded_at = models.DateTimeField(_("记录时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("征询结束时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("安排人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("协商活动")
        verbose_name_plural = pgettext_lazy("plural", "协商活动")
        ordering = ["topic", "starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
                violation_error_message=_("结束时间必须晚于开始时间。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_form_display()} {self.starts_at:%Y-%m-%d}"

    @property
    def kind(self) -> str:
        return KIND_OF_FORM[self.form]

    @property
    def is_written(self) -> bool:
        return self.kind == SessionKind.WRITTEN

    @property
    def is_online(self) -> bool:
        return self.kind == SessionKind.ONLINE


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("出席")
    ABSENT = "absent", _("缺席")
    LEAVE = "leave", _("请假")
    REPRESENTED = "represented", _("委托他人")


class Attendance(models.Model):
    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        related_name="attendances",
        verbose_name=_("协商活动"),
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        related_name="attendances",
        verbose_name=_("参与对象"),
    )
    status = models.CharField(
        _("出席情况"), max_length=16, choices=AttendanceStatus.choices
    )
    represented_by = models.CharField(_("受托人"), max_length=64, blank=True)
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = pgettext_lazy("plural", "签到")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "participant"], name="attendance_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {self.get_status_display()}"


class SignInPhoto(StoredFile):
    """A photo of the paper sign-in sheet of a session."""

    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        related_name="photos",
        verbose_name=_("协商活动"),
    )

    class Meta:
        verbose_name = _("签到表照片")
        verbose_name_plural = pgettext_lazy("plural", "签到表照片")
        ordering = ["session", "pk"]


class Material(models.Model):
    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="materials",
        verbose_name=_("议题"),
    )
    title = models.CharField(_("资料名称"), max_length=120)
    is_public = models.BooleanField(_("向公众公开"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("上传人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("议题资料")
        verbose_name_plural = pgettext_lazy("plural", "议题资料")
        ordering = ["topic", "created_at", "pk"]

    def __str__(self) -> str:
        return self.title


class MaterialVersion(StoredFile):
    """One uploaded file of a material; a replacement is a new version."""

    material = models.ForeignKey(
        Material,
        on_delete=models.PROTECT,
        related_name="versions",
        verbose_name=_("资料"),
    )
    number = models.PositiveSmallIntegerField(_("版本"))

    class Meta:
        verbose_name = _("资料版本")
        verbose_name_plural = pgettext_lazy("plural", "资料版本")
        ordering = ["material", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["material", "number"], name="material_version_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class NoticeRound(models.Model):
    """One sending of the plan to the participants.

    Moving a session starts a new round: only the latest round's deliveries
    count for ``prepare.notices``.
    """

    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="notice_rounds",
        verbose_name=_("议题"),
    )
    number = models.PositiveSmallIntegerField(_("第几次"))
    notification = models.ForeignKey(
        "notifications.Notification",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("通知"),
    )
    first_starts_at = models.DateTimeField(_("首次活动开始时间"))
    # The sessions this round names, as they stood when it was sent: a session
    # planned or moved later is notified only by a round naming its new time.
    sessions = models.JSONField(_("通知所列协商活动"), default=list)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("发送人"),
    )
    sent_at = models.DateTimeField(_("发送时间"), default=timezone.now)

    class Meta:
        verbose_name = _("参会通知")
        verbose_name_plural = pgettext_lazy("plural", "参会通知")
        ordering = ["topic", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "number"], name="notice_round_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.number}"


class OpinionSource(models.TextChoices):
    PRE = "pre", _("会前收集")
    SESSION = "session", _("协商会议")
    WRITTEN = "written", _("书面征询")
    INTERVIEW = "interview", _("个别访谈")
    ONLINE = "online", _("网上协商")


class OpinionKind(models.TextChoices):
    SUGGESTION = "suggestion", _("建议")
    OBJECTION = "objection", _("反对意见")
    QUESTION = "question", _("问题")


class Opinion(models.Model):
    # Kept as Opinion.Source / Opinion.Kind too, for callers that prefer them.
    Source = OpinionSource
    Kind = OpinionKind

    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="opinions",
        verbose_name=_("议题"),
    )
    source = models.CharField(_("来源"), max_length=16, choices=OpinionSource.choices)
    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opinions",
        verbose_name=_("协商活动"),
    )
    participant = models.ForeignKey(
        Participant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opinions",
        verbose_name=_("参与对象"),
    )
    author = models.ForeignKey(
        "committees.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opinions",
        verbose_name=_("提出人"),
    )
    author_name = models.CharField(_("提出人（按记录）"), max_length=64)
    content = models.TextField(_("意见内容"), max_length=5000)
    kind = models.CharField(
        _("类型"),
        max_length=16,
        choices=OpinionKind.choices,
        default=OpinionKind.SUGGESTION,
    )
    is_hidden = models.BooleanField(_("已屏蔽"), default=False)
    hidden_reason = models.CharField(_("屏蔽原因"), max_length=200, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("屏蔽人"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("录入人"),
    )
    created_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("协商意见")
        verbose_name_plural = pgettext_lazy("plural", "协商意见")
        ordering = ["topic", "created_at", "pk"]
        indexes = [models.Index(fields=["topic", "is_hidden"])]
        constraints = [
            # A participant answers a written consultation once; a second
            # answer replaces the first (audited).
            models.UniqueConstraint(
                fields=["session", "participant"],
                condition=models.Q(source="written"),
                name="opinion_one_written_answer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.content[:30]}"


class CorrectionKind(models.TextChoices):
    RECORD = "record", _("会议记录")
    ATTENDANCE = "attendance", _("签到")


class Correction(models.Model):
    """A clerk's correction of a session's record made after step 3, with a
    reason. Appended, never overwriting: the original minutes and attendance
    rows stay as recorded; ``consult.corrected`` reads the current value (the
    original with the corrections applied in order)."""

    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("议题"),
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("协商活动"),
    )
    kind = models.CharField(
        _("更正内容"), max_length=16, choices=CorrectionKind.choices
    )
    participant = models.ForeignKey(
        Participant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("参与对象"),
    )
    before = models.JSONField(_("原值"), null=True, blank=True)
    after = models.JSONField(_("更正后"))
    reason = models.TextField(_("更正理由"), max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("更正人"),
    )
    created_at = models.DateTimeField(_("更正时间"), default=timezone.now)

    class Meta:
        verbose_name = _("更正记录")
        verbose_name_plural = pgettext_lazy("plural", "更正记录")
        ordering = ["session", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="record", participant__isnull=True)
                | models.Q(kind="attendance", participant__isnull=False),
                name="correction_attendance_names_participant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.get_kind_display()}"

    @property
    def changes(self) -> list[dict]:
        """Each changed field: its label, the value before and after."""
        before, after = self.before or {}, self.after or {}
        if self.kind == CorrectionKind.ATTENDANCE:
            return [
                {
                    "label": _("出席情况"),
                    "before": _attendance_text(before),
                    "after": _attendance_text(after),
                }
            ]
        return [
            {
                "label": Session._meta.get_field(name).verbose_name,
                "before": before.get(name, ""),
                "after": value,
            }
            for name, value in after.items()
        ]


def _attendance_text(value: dict) -> str:
    if not value.get("status"):
        return ""
    text = str(AttendanceStatus(value["status"]).label)
    if value.get("represented_by"):
        text += "（" + value["represented_by"] + "）"
    return text
