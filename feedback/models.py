"""Records of steps 4 and 5 (DOMAIN.md §4): adoption, implementation, 公示, 通报.

Every row belongs to one topic and is written by ``feedback.services`` inside
``topics.records.topic_write``, which keeps the seal of archived topics.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.uploads import StoredFile

from .rule_models import (  # noqa: F401  (the app's models, importable from here)
    Base,
    MeetingKind,
    MeetingRule,
    VoteCategory,
)


class Outcome(models.TextChoices):
    ADOPTED = "adopted", _("采纳")
    PARTLY = "partly", _("部分采纳")
    NOT_ADOPTED = "not_adopted", _("不予采纳")


# Dispositions after which the opinion's author is owed an explanation (沟通解释).
NEEDS_EXPLANATION = frozenset({Outcome.PARTLY, Outcome.NOT_ADOPTED})
# A vote's head counts: a township's whole population stays well below this, and
# it keeps every count inside a PostgreSQL integer column.
MAX_VOTERS = 1_000_000


class ExplainMethod(models.TextChoices):
    FACE = "face", _("当面说明")
    PHONE = "phone", _("电话沟通")
    WRITTEN = "written", _("书面答复")
    MEETING = "meeting", _("会议说明")


class Compilation(models.Model):
    """协商意见整理汇总: the clerk's summary once every opinion has a theme."""

    topic = models.OneToOneField(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="compilation",
        verbose_name=_("议题"),
    )
    summary = models.TextField(_("汇总说明"), max_length=5000)
    compiled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("汇总人"),
    )
    compiled_at = models.DateTimeField(_("汇总时间"), default=timezone.now)

    class Meta:
        verbose_name = _("意见整理汇总")
        verbose_name_plural = pgettext_lazy("plural", "意见整理汇总")

    def __str__(self) -> str:
        return str(self.topic)


class Disposition(models.Model):
    """How one opinion was handled: its theme, outcome and reason."""

    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="dispositions",
        verbose_name=_("议题"),
    )
    opinion = models.OneToOneField(
        "consult.Opinion",
        on_delete=models.PROTECT,
        related_name="disposition",
        verbose_name=_("意见"),
    )
    theme = models.CharField(_("主题"), max_length=60)
    # Blank while the opinion has a theme but no outcome yet.
    outcome = models.CharField(
        _("采纳情况"), max_length=16, choices=Outcome.choices, blank=True
    )
    reason = models.TextField(_("理由"), max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("处理人"),
    )
    decided_at = models.DateTimeField(_("处理时间"), default=timezone.now)

    class Meta:
        verbose_name = _("意见采纳情况")
        verbose_name_plural = pgettext_lazy("plural", "意见采纳情况")
        ordering = ["theme", "pk"]

    def __str__(self) -> str:
        return f"{self.theme} · {self.get_outcome_display()}"


class Explanation(models.Model):
    """沟通解释: who explained a (partly) rejected opinion to its author, when, how."""

    disposition = models.ForeignKey(
        Disposition,
        on_delete=models.PROTECT,
        related_name="explanations",
        verbose_name=_("意见采纳情况"),
    )
    explained_by = models.CharField(_("解释人"), max_length=64)
    explained_on = models.DateField(_("解释日期"))
    method = models.CharField(
        _("解释方式"), max_length=16, choices=ExplainMethod.choices
    )
    note = models.TextField(_("解释情况"), max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("沟通解释")
        verbose_name_plural = pgettext_lazy("plural", "沟通解释")
        ordering = ["explained_on", "pk"]

    def __str__(self) -> str:
        return f"{self.explained_by} {self.explained_on}"


class Decision(models.Model):
    """班子联席会议 and its 决策方案."""

    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("议题"),
    )
    meeting_date = models.DateField(_("会议日期"))
    attendees = models.TextField(_("参会人员"), max_length=2000)
    plan = models.TextField(_("决策方案"), max_length=20000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("班子联席会议决策")
        verbose_name_plural = pgettext_lazy("plural", "班子联席会议决策")
        ordering = ["-meeting_date", "-pk"]

    def __str__(self) -> str:
        return f"{self.topic} {self.meeting_date}"


class VoteMark(models.Model):
    """The clerk marked this topic as needing a statutory vote."""

    topic = models.OneToOneField(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="vote_mark",
        verbose_name=_("议题"),
    )
    reason = models.CharField(_("理由"), max_length=500)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("标记人"),
    )
    marked_at = models.DateTimeField(_("标记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("表决标记")
        verbose_name_plural = pgettext_lazy("plural", "表决标记")

    def __str__(self) -> str:
        return str(self.topic)


class Vote(models.Model):
    """法定会议表决: the numbers are typed in, the result is computed."""

    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="votes",
        verbose_name=_("议题"),
    )
    kind = models.CharField(_("会议类型"), max_length=16, choices=MeetingKind.choices)
    held_on = models.DateField(_("表决日期"))
    entitled = models.PositiveIntegerField(_("应到人数"))
    present = models.PositiveIntegerField(_("到会人数"))
    in_favour = models.PositiveIntegerField(_("赞成"))
    against = models.PositiveIntegerField(_("反对"))
    abstain = models.PositiveIntegerField(_("弃权"))
    # The rule in force when the vote was recorded, and what it gave.
    rule = models.JSONField(_("适用规则"), default=dict)
    quorum_met = models.BooleanField(_("到会人数符合规定"))
    passed = models.BooleanField(_("表决通过"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("法定会议表决")
        verbose_name_plural = pgettext_lazy("plural", "法定会议表决")
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("落实中")
    DONE = "done", _("已完成")
    CLOSED = "closed", _("已终止")


class Task(models.Model):
    """落实: who does what by when."""

    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=_("议题"),
    )
    description = models.TextField(_("任务内容"), max_length=2000)
    responsible = models.ForeignKey(
        "committees.Person",
        on_delete=models.PROTECT,
        related_name="feedback_tasks",
        verbose_name=_("责任人"),
    )
    # The responsible person's name when the task was set: what the sealed
    # topic shows, whatever the person is called later.
    responsible_name = models.CharField(_("责任人姓名（按记录）"), max_length=64)
    deadline = models.DateField(_("完成期限"))
    status = models.CharField(
        _("状态"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    close_reason = models.CharField(_("终止理由"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("落实任务")
        verbose_name_plural = pgettext_lazy("plural", "落实任务")
        ordering = ["deadline", "pk"]

    def __str__(self) -> str:
        return self.description[:40]

    def save(self, *args, **kwargs):
        if not self.responsible_name:
            self.responsible_name = self.responsible.name
        super().save(*args, **kwargs)


class ProgressReport(models.Model):
    task = models.ForeignKey(
        Task,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("落实任务"),
    )
    percent = models.PositiveSmallIntegerField(
        _("完成百分比"), validators=[MaxValueValidator(100)]
    )
    reported_on = models.DateField(_("进展日期"))
    note = models.TextField(_("进展情况"), max_length=2000)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("报告人"),
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("落实进展")
        verbose_name_plural = pgettext_lazy("plural", "落实进展")
        ordering = ["reported_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__lte=100),
                name="progress_percent_at_most_100",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.percent}%"


class SupervisionNote(models.Model):
    """跟踪督办 by the township."""

    task = models.ForeignKey(
        Task,
        on_delete=models.PROTECT,
        related_name="supervision_notes",
        verbose_name=_("落实任务"),
    )
    note = models.TextField(_("督办意见"), max_length=2000)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("督办人"),
    )
    written_at = models.DateTimeField(_("督办时间"), default=timezone.now)

    class Meta:
        verbose_name = _("跟踪督办")
        verbose_name_plural = pgettext_lazy("plural", "跟踪督办")
        ordering = ["written_at", "pk"]

    def __str__(self) -> str:
        return self.note[:40]


class NoticeStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("待发布")
    PUBLISHED = "published", _("公示中")
    ENDED = "ended", _("公示期满")
    WITHDRAWN = "withdrawn", _("已撤回")


class NoticeSubject(models.TextChoices):
    DECISION = "decision", _("决策结果")
    PROGRESS = "progress", _("落实进展")


class PublicNotice(models.Model):
    """公示: shown to residents without an account for its period."""

    public_id = models.UUIDField(_("公开编号"), default=uuid.uuid4, unique=True)
    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="public_notices",
        verbose_name=_("议题"),
    )
    subject = models.CharField(
        _("公示内容类别"), max_length=16, choices=NoticeSubject.choices
    )
    title = models.CharField(_("公示标题"), max_length=120)
    body = models.TextField(_("公示正文"), max_length=20000)
    places = models.ManyToManyField(
        "committees.Place", related_name="public_notices", verbose_name=_("公示范围")
    )
    posted_at = models.CharField(_("张贴地点"), max_length=200, blank=True)
    # A decision 公示 the clerk marked as also reporting implementation
    # progress (§六.5), when tasks were reported while it ran.
    covers_progress = models.BooleanField(_("同时公示实施进展"), default=False)
    starts_at = models.DateTimeField(_("公示开始"))
    ends_at = models.DateTimeField(_("公示结束"))
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=NoticeStatus.choices,
        default=NoticeStatus.SCHEDULED,
        db_index=True,
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdraw_reason = models.CharField(_("撤回理由"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("发布人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = pgettext_lazy("plural", "公示")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="publicnotice_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == NoticeStatus.PUBLISHED


class ResponseKind(models.TextChoices):
    OPINION = "opinion", _("意见建议")
    OBJECTION = "objection", _("异议")


class NoticeResponse(models.Model):
    """A resident's response or objection during a 公示, and the clerk's answer."""

    notice = models.ForeignKey(
        PublicNotice,
        on_delete=models.PROTECT,
        related_name="responses",
        verbose_name=_("公示"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("提出人"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=ResponseKind.choices)
    content = models.TextField(_("内容"), max_length=2000)
    created_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    answer = models.TextField(_("答复"), max_length=2000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("答复人"),
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    spam_reason = models.CharField(_("无效原因"), max_length=500, blank=True)
    spam_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("认定人"),
    )
    spam_at = models.DateTimeField(_("认定无效时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公示反馈")
        verbose_name_plural = pgettext_lazy("plural", "公示反馈")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.content[:40]


class AttachmentPurpose(models.TextChoices):
    DECISION = "decision", _("决策附件")
    PROGRESS = "progress", _("进展佐证")
    NOTICE = "notice", _("公示附件")
    POSTED_PHOTO = "posted_photo", _("公示张贴照片")


class Attachment(StoredFile):
    """A file of a feedback record, served only through the permission-checking view."""

    purpose = models.CharField(
        _("用途"), max_length=16, choices=AttachmentPurpose.choices
    )
    decision = models.ForeignKey(
        Decision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("班子联席会议决策"),
    )
    report = models.ForeignKey(
        ProgressReport,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("落实进展"),
    )
    notice = models.ForeignKey(
        PublicNotice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("公示"),
    )

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = pgettext_lazy("plural", "附件")
        ordering = ["uploaded_at", "pk"]


class Bulletin(models.Model):
    """通报 to one participant: the notification naming their opinions."""

    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="bulletins",
        verbose_name=_("议题"),
    )
    person = models.ForeignKey(
        "committees.Person",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("参与对象"),
    )
    notification = models.ForeignKey(
        "notifications.Notification",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("通知"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("通报人"),
    )
    sent_at = models.DateTimeField(_("通报时间"), default=timezone.now)

    class Meta:
        verbose_name = _("情况通报")
        verbose_name_plural = pgettext_lazy("plural", "情况通报")
        constraints = [
            models.UniqueConstraint(fields=["topic", "person"], name="bulletin_once")
        ]

    def __str__(self) -> str:
        return f"{self.topic} → {self.person}"


class Note(models.Model):
    """An appended note: the only change an archived topic still takes."""

    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="feedback_notes",
        verbose_name=_("议题"),
    )
    text = models.TextField(_("说明"), max_length=2000)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("填写人"),
    )
    written_at = models.DateTimeField(_("填写时间"), default=timezone.now)

    class Meta:
        verbose_name = _("补充说明")
        verbose_name_plural = pgettext_lazy("plural", "补充说明")
        ordering = ["written_at", "pk"]

    def __str__(self) -> str:
        return self.text[:40]
