"""Exported dossiers (一事一档): the PDF, its hash and the chain head it was
made from. An export is reused until the topic's chain head moves."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class DossierExport(models.Model):
    topic = models.ForeignKey(
        "topics.Topic",
        on_delete=models.PROTECT,
        related_name="dossier_exports",
        verbose_name=_("议题"),
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ExportStatus.choices,
        default=ExportStatus.QUEUED,
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    head_count = models.PositiveIntegerField(_("审计记录条数"))
    head_hash = models.CharField(_("链头哈希"), max_length=64)
    manifest_hash = models.CharField(_("附件清单哈希"), max_length=64, blank=True)
    file = models.FileField(_("文件"), upload_to="dossiers/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"), default=0)
    pages = models.PositiveIntegerField(_("页数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("申请人"),
    )
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    exported_at = models.DateTimeField(_("导出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一事一档导出")
        verbose_name_plural = _("一事一档导出")
        constraints = [
            # Two requests for the same state of the records make one file.
            models.UniqueConstraint(
                fields=["topic", "head_count", "head_hash"],
                name="dossier_one_export_per_head",
            )
        ]
        indexes = [models.Index(fields=["topic", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.topic_id} @ {self.head_count}"

    @property
    def filename(self) -> str:
        return f"一事一档-{self.topic_id}-{self.head_count}.pdf"


class BulkExport(models.Model):
    place = models.ForeignKey(
        "committees.Place",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("地方"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ExportStatus.choices,
        default=ExportStatus.QUEUED,
    )
    total = models.PositiveIntegerField(_("议题数"), default=0)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    file = models.FileField(_("文件"), upload_to="dossiers/bulk/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    error = models.TextField(_("错误"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("申请人"),
    )
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一事一档批量导出")
        verbose_name_plural = _("一事一档批量导出")

    def __str__(self) -> str:
        return f"{self.place_id} {self.year}"

    @property
    def progress(self) -> int:
        return 100 * self.done // self.total if self.total else 0

    @property
    def filename(self) -> str:
        return f"一事一档-{self.place_id}-{self.year}.zip"
