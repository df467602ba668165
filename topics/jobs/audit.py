"""Scheduled verification of the audit chains; the administrators hear of a break.

core/ keeps the chains and verifies them (core/chain.py) but sits below
committees and notifications, and telling people needs both (the township of a
topic, its administrators, ``notify``, the job registry): so the job lives here
and is named after this app. Daily, the chains are
verified incrementally (what was added since each chain's last verified head,
the heads themselves and the latest signed digest); weekly, in full, which also
rereads older events. A break is reported to the holders of the administrator
permission on the township of the broken topic (every township's for a chain
that is not a topic's), once per set of breaks.
"""

import hashlib
import logging
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees import roles
from committees.models import Place, PlaceKind
from committees.permissions import place_perm_holders
from core.audit import ChainBreak
from core.chain import Report, describe, subjects_of, verify
from notifications.jobs import register_job
from notifications.models import Kind
from notifications.notify import notify

from ..models import Topic

logger = logging.getLogger(__name__)

DAILY_CHECK = "topics.audit_daily"
WEEKLY_CHECK = "topics.audit_weekly"
# The administrator role's own permission (committees/roles.py): whoever may
# export the dossiers, audit trail included, must hear that it broke.
ADMIN_PERMISSION = roles.EXPORT
# A notice names this many breaks; the command's report names them all.
LISTED = 20


def verify_daily(now: datetime) -> int:
    return report_breaks(verify(incremental=True, now=now))


def verify_weekly(now: datetime) -> int:
    return report_breaks(verify(incremental=False, now=now))


def report_breaks(report: Report) -> int:
    """Notify the administrators of each township with a break; return notices sent."""
    if report.ok:
        return 0
    subjects = subjects_of(report.breaks)
    topics = {name: obj for name, obj in subjects.items() if isinstance(obj, Topic)}
    township_of = dict(
        Place.objects.filter(pk__in={t.place_id for t in topics.values()}).values_list(
            "pk", "township_id"
        )
    )
    townships = list(
        Place.objects.filter(kind=PlaceKind.TOWNSHIP).values_list("pk", flat=True)
    )
    groups: dict[int, list[ChainBreak]] = {}
    for item in report.breaks:
        topic = topics.get(item.subject)
        where = [township_of[topic.place_id]] if topic else townships
        for township in where:
            groups.setdefault(township, []).append(item)
    if report.digest_problem:
        for township in townships:
            groups.setdefault(township, [])
    admins = place_perm_holders(ADMIN_PERMISSION, set(groups)) if groups else {}
    sent = 0
    for township, breaks in sorted(groups.items()):
        recipients = admins.get(township, [])
        if not recipients:
            logger.error(
                "audit chain broken (%s breaks) but township %s has no administrator",
                len(breaks),
                township,
            )
            continue
        broken_topics = {topics[b.subject] for b in breaks if b.subject in topics}
        topic = broken_topics.pop() if len(broken_topics) == 1 else None
        fingerprint = hashlib.sha256(
            "\n".join(
                sorted(f"{b.subject}|{b.seq}|{b.problem}|{b.event_id}" for b in breaks)
                + [report.digest_problem]
            ).encode("utf-8")
        ).hexdigest()[:24]
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = _message(report, breaks, subjects)
        notify(
            key=f"audit-break:{township}:{fingerprint}",
            kind=Kind.ESCALATION,
            recipients=recipients,
            subject=subject,
            body=body,
            about=topic,
            link=(
                reverse("topics:detail", args=[topic.pk])
                if topic is not None
                else reverse("admin:core_auditevent_changelist")
            ),
        )
        sent += 1
    return sent


def _message(report: Report, breaks: list[ChainBreak], subjects) -> tuple[str, str]:
    count = len(breaks)
    subject = (
        _("审计链校验发现异常：%(count)s 处断裂") % {"count": count}
        if count
        else _("审计链校验发现异常：签名链头摘要无法验证")
    )
    lines = [
        _(
            "审计链校验发现以下记录被改动、删除或重写，请核查数据库，"
            "并运行 python manage.py verify_audit 查看完整报告："
        )
    ]
    lines += [
        f"- {describe(item, subjects.get(item.subject))}" for item in breaks[:LISTED]
    ]
    if count > LISTED:
        lines.append(_("……以及另外 %(more)s 处。") % {"more": count - LISTED})
    if report.digest_problem:
        lines.append(
            _("签名链头摘要无法验证：%(problem)s") % {"problem": report.digest_problem}
        )
    return subject, "\n".join(lines)


# Registered on import: topics/apps.py imports this module in ready().
register_job(
    DAILY_CHECK,
    verify_daily,
    description=gettext_lazy("审计链每日增量校验"),
    crontab={"minute": "30", "hour": "3"},
)
register_job(
    WEEKLY_CHECK,
    verify_weekly,
    description=gettext_lazy("审计链每周全量校验"),
    crontab={"minute": "0", "hour": "4", "day_of_week": "0"},
)
