"""Check a dossier PDF against the current records; exit 0 only for a match.

python manage.py verify_dossier FILE.pdf
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dossier.verify import Unreadable, explain, verify_pdf


class Command(BaseCommand):
    help = "核验一事一档 PDF 是否与系统中的记录一致（一致时退出码为 0）。"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        try:
            result = verify_pdf(path.read_bytes())
        except Unreadable as error:
            raise CommandError(str(error)) from error
        for line in explain(result):
            self.stdout.write(line)
        if not result.matches:
            sys.exit(1)
