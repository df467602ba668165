"""Notices to people, and one delivery record per recipient and channel."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind(models.TextChoices):
    MEETING_NOTICE = "meeting_notice", _("会议通知")
    MATERIAL = "material", _("资料提供")
    WRITTEN_REQUEST = "written_request", _("书面征询")
    PUBLIC_NOTICE = "public_notice", _("公示发布")
    BULLETIN = "bulletin", _("决定通报")
    REMINDER = "reminder", _("提醒")
    ESCALATION = "escalation", _("逾期督办")
    TOPIC_SUBMITTED = "topic_submitted", _("议题待审批")
    TOPIC_RETURNED = "topic_returned", _("议题被退回修改")
    TOPIC_REJECTED = "topic_rejected", _("议题未获批准")
    TOPIC_APPROVED = "topic_approved", _("议题已批准")
    TOPIC_WITHDRAWN = "topic_withdrawn", _("议题已撤回")
    NO_RECIPIENT = "no_recipient", _("提醒无人接收")


# Notices the procedure requires go out at once, never held for a digest.
REQUIRED_KINDS = frozenset(
    {
        Kind.MEETING_NOTICE,
        Kind.WRITTEN_REQUEST,
        Kind.BULLETIN,
        Kind.ESCALATION,
        Kind.NO_RECIPIENT,
    }
)


class Channel(models.TextChoices):
    INBOX = "inbox", _("站内信")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    PAPER = "paper", _("纸质通知书")


class Notification(models.Model):
    """One logical notice; ``key`` makes sending it twice a no-op."""

    key = models.CharField(_("幂等键"), max_length=200, unique=True)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    # What the notice is about (a topic, a session, a 公示…), named generically
    # as the audit chain names its records, so this app knows no app above it.
    about_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("关于对象类型"),
    )
    about_id = models.PositiveBigIntegerField(_("关于对象编号"), null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"), max_length=5000)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    event_start = models.DateTimeField(_("会议开始"), null=True, blank=True)
    event_end = models.DateTimeField(_("会议结束"), null=True, blank=True)
    location = models.CharField(_("地点"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("发送人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = pgettext_lazy("plural", "通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["about_type", "about_id"])]

    def __str__(self) -> str:
        return self.subject

    @property
    def required(self) -> bool:
        return self.kind in REQUIRED_KINDS


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    HELD = "held", _("待汇总发送")
    # Claimed by a worker and being handed to the channel: committed before
    # the send, so a worker that dies mid-send leaves a trace (README, 通知).
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已送达")
    FAILED = "failed", _("发送失败")
    # The worker died after handing the message over and before recording it,
    # on a channel that cannot tell a resend apart: a person must check.
    UNKNOWN = "unknown", _("结果不明，请核实")
    READ = "read", _("已读")
    SKIPPED = "skipped", _("未发送")


class Delivery(models.Model):
    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("通知"),
    )
    person = models.ForeignKey(
        "committees.Person",
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("接收人"),
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.QUEUED,
        db_index=True,
    )
    uuid = models.UUIDField(_("消息编号"), default=uuid.uuid4, unique=True)
    address = models.CharField(_("发送地址"), max_length=254, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    skip_reason = models.CharField(_("未发送原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("开始发送时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    receipt_signed_by = models.CharField(_("签收人"), max_length=64, blank=True)
    receipt_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("签收登记人"),
    )
    # Entered after the meeting the notice announced had begun: the receipt
    # still counts (it is a fact about the past) but the record says so.
    receipt_late = models.BooleanField(_("补登"), default=False)

    class Meta:
        verbose_name = _("送达记录")
        verbose_name_plural = pgettext_lazy("plural", "送达记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "person", "channel"],
                name="delivery_once_per_person_channel",
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["person", "channel", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.notification} → {self.person} ({self.get_channel_display()})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(
        Delivery,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("送达记录"),
    )
    number = models.PositiveSmallIntegerField(_("第几次"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    ok = models.BooleanField(_("成功"))
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("发送尝试")
        verbose_name_plural = pgettext_lazy("plural", "发送尝试")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"


class Preference(models.Model):
    """A person's channel choices; procedure-required notices ignore the digest."""

    person = models.OneToOneField(
        "committees.Person",
        on_delete=models.CASCADE,
        related_name="notice_preference",
        verbose_name=_("人员"),
    )
    email = models.BooleanField(_("接收电子邮件"), default=True)
    sms = models.BooleanField(_("接收短信"), default=True)
    daily_digest = models.BooleanField(_("日常消息每日汇总一次"), default=False)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = pgettext_lazy("plural", "通知偏好")

    def __str__(self) -> str:
        return str(self.person)
