"""Write a topic's dossier (一事一档) PDF, or all of a place's and year's as a ZIP.

    python manage.py export_dossier TOPIC_ID -o FILE.pdf
    python manage.py export_dossier --all --place ID --year YYYY -o DIR

The same PDF as the page's button: the stored export for the topic's current
chain head is reused, or made now.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from committees.models import Place
from dossier import services
from dossier.pdf import DossierError


class Command(BaseCommand):
    help = "导出议题的一事一档 PDF（或某地某年的全部议题）。"

    def add_arguments(self, parser):
        parser.add_argument("topic_id", nargs="?", type=int)
        parser.add_argument("-o", "--output", required=True)
        parser.add_argument("--all", action="store_true")
        parser.add_argument("--place", type=int)
        parser.add_argument("--year", type=int)

    def handle(
        self, *args, topic_id=None, output, all=False, place=None, year=None, **kw
    ):
        try:
            if all:
                self._bulk(output, place, year)
            elif topic_id is None:
                raise CommandError(
                    "请给出议题编号，或用 --all --place --year 批量导出。"
                )
            else:
                self._one(topic_id, Path(output))
        except DossierError as error:
            raise CommandError(str(error)) from error

    def _one(self, topic_id: int, path: Path) -> None:
        try:
            export = services.dossier_now(actor=None, topic_id=topic_id)
        except services.NotVisible:
            raise CommandError(f"没有编号为 {topic_id} 的议题。") from None
        with export.file.open("rb") as handle:
            path.write_bytes(handle.read())
        self.stdout.write(
            f"{path}：{export.pages} 页，SHA-256 {export.sha256}，"
            f"链头第 {export.head_count} 条"
        )

    def _bulk(self, output: str, place_id: int | None, year: int | None) -> None:
        if place_id is None or year is None:
            raise CommandError("批量导出需要 --place 和 --year。")
        place = Place.objects.filter(pk=place_id).first()
        if place is None:
            raise CommandError(f"没有编号为 {place_id} 的地方。")
        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        topics = list(services.bulk_topics(place, year))
        for number, topic in enumerate(topics, start=1):
            export = services.dossier_now(actor=None, topic_id=topic.pk)
            with export.file.open("rb") as handle:
                (folder / export.filename).write_bytes(handle.read())
            self.stdout.write(f"[{number}/{len(topics)}] {export.filename}")
        (folder / "index.xlsx").write_bytes(services.index_xlsx_of(topics))
        self.stdout.write(f"{folder}：{len(topics)} 份一事一档和索引 index.xlsx")
