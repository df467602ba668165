"""The append-only audit trail, chained per subject with a keyed hash (HMAC).

Each event names the key it was sealed with (``key_id``, see core/chain_keys.py);
events written before keys existed have ``key_id == ""`` and keep their plain
SHA-256 hash, which still verifies (README “审计链”).
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an audit record."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit records cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit records cannot be deleted")

    def for_subject(self, subject: models.Model) -> "AuditQuerySet":
        return self.filter(
            subject_type=ContentType.objects.get_for_model(subject),
            subject_id=subject.pk,
        )


class AuditEvent(models.Model):
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, verbose_name=_("对象类型")
    )
    subject_id = models.PositiveBigIntegerField(_("对象编号"))
    seq = models.PositiveIntegerField(_("序号"))
    # The record the event touched, when it is not the subject itself (a session
    # or an opinion of the topic whose chain this is).
    record_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录类型"),
    )
    record_id = models.PositiveBigIntegerField(_("记录编号"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    verb = models.CharField(_("操作"), max_length=64)
    from_state = models.CharField(_("原状态"), max_length=32, blank=True)
    to_state = models.CharField(_("新状态"), max_length=32, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    prev_hash = models.CharField(_("前一记录哈希"), max_length=64, blank=True)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)
    # Empty for the plain SHA-256 events written before the chain was keyed.
    key_id = models.CharField(_("密钥编号"), max_length=32, blank=True, default="")

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = pgettext_lazy("plural", "审计记录")
        ordering = ["subject_type", "subject_id", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "seq"],
                name="audit_one_record_per_position",
            )
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id", "seq"])]

    def __str__(self) -> str:
        return f"{self.verb} #{self.seq}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit records cannot be deleted")

    def compute_hash(self) -> str:
        """The hash this row should carry, keyed with the key named by ``key_id``.

        Raises ``UnknownAuditKey`` when that key is not configured.
        """
        from .chain_keys import audit_key

        payload = {
            "subject": f"{self.subject_type_id}:{self.subject_id}",
            "seq": self.seq,
            "record": (
                f"{self.record_type_id}:{self.record_id}" if self.record_type_id else ""
            ),
            "actor": self.actor_id,
            "verb": self.verb,
            "from": self.from_state,
            "to": self.to_state,
            "reason": self.reason,
            "data": self.data,
            "at": self.created_at.isoformat(),
            "prev": self.prev_hash,
        }
        if not self.key_id:
            canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False)
            return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        payload["key"] = self.key_id
        canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        return hmac.new(
            audit_key(self.key_id), canonical.encode("utf-8"), hashlib.sha256
        ).hexdigest()


class ChainHead(models.Model):
    """The last verified head of one chain: where incremental verification resumes.

    Written only by the verifier (core/chain.py). It lives in the same database
    as the events, so it catches careless tampering (a deleted tail); the signed
    digest file outside the database is what a rewrite of both cannot fix up.
    """

    subject_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("对象类型"),
    )
    subject_id = models.PositiveBigIntegerField(_("对象编号"))
    count = models.PositiveIntegerField(_("记录数"))
    last_hash = models.CharField(_("末条记录哈希"), max_length=64)
    verified_at = models.DateTimeField(_("校验时间"))

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = pgettext_lazy("plural", "审计链头")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"], name="audit_one_head_per_chain"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject_type_id}:{self.subject_id} #{self.count}"
