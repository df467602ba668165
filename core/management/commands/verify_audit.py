from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import RECORD_PROBLEMS
from core.chain import describe, subjects_of, verify


class Command(BaseCommand):
    help = _(
        "校验全部审计链，对照最新的签名链头摘要，并逐一核对各项记录与审计链上"
        "最后一次记载是否相符；发现断裂或不符时以非零状态退出。"
        "通过的链会更新链头并写入新的签名摘要。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--incremental",
            action="store_true",
            help=_("只校验上次校验后新增的记录（以及链头和签名摘要）"),
        )
        parser.add_argument(
            "--no-record",
            action="store_true",
            help=_("只校验，不更新链头，也不写入签名摘要"),
        )

    def handle(self, *args, incremental: bool, no_record: bool, **options):
        report = verify(incremental=incremental, record=not no_record)
        facts = {"chains": report.chains, "events": report.events}
        self.stdout.write(
            (
                _("增量校验：%(chains)s 条审计链，读取 %(events)s 条记录。")
                if incremental
                else _("全量校验：%(chains)s 条审计链，读取 %(events)s 条记录。")
            )
            % facts
        )
        if report.digest is not None:
            self.stdout.write(
                _("对照签名摘要：%(path)s（%(at)s）")
                % {
                    "path": report.digest.path,
                    "at": timezone.localtime(report.digest.created_at).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                }
            )
        elif not report.digest_problem:
            self.stdout.write(_("尚无签名摘要，本次只校验记录本身。"))
        if report.digest_problem:
            self.stderr.write(
                _("签名摘要无法验证：%(problem)s") % {"problem": report.digest_problem}
            )
        subjects = subjects_of(report.breaks)
        breaks = [b for b in report.breaks if b.problem not in RECORD_PROBLEMS]
        records = [b for b in report.breaks if b.problem in RECORD_PROBLEMS]
        for item in breaks:
            self.stderr.write(
                _("断裂：%(text)s")
                % {"text": describe(item, subjects.get(item.subject))}
            )
        for item in records:
            self.stderr.write(
                _("记录不符：%(text)s")
                % {"text": describe(item, subjects.get(item.subject))}
            )
        if report.written is not None:
            self.stdout.write(_("已写入签名摘要：%(path)s") % {"path": report.written})
        if not report.ok:
            raise CommandError(
                _(
                    "审计链校验未通过：%(count)s 处断裂，"
                    "%(records)s 处记录与审计链不符。"
                )
                % {"count": len(breaks), "records": len(records)}
            )
        self.stdout.write(self.style.SUCCESS(_("审计链完好。各项记录与审计链相符。")))
