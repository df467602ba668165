"""How fast a topic's dossier (一事一档) is made, against WeasyPrint's own floor.

    python -m benchmarks.dossier [--rounds 3]

Builds, in a temporary SQLite database of its own, one topic with enough
records for a dossier of about 20 A4 pages (participants, a session with
opinions, dispositions, tasks and progress reports). Then, alternating in one
run, it times:
- ours: the whole export as the page's button does it (read the records,
  render the HTML, lay out, write the PDF with the CJK font subset);
- the floor: WeasyPrint's layout of the very same HTML without writing.

The last line is JSON: name, pages, ours_s, layout_floor_s, ratio (medians).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _setup(workdir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.MEDIA_ROOT = str(workdir / "media")
    call_command("migrate", verbosity=0, interactive=False)


def _topic(opinions: int, tasks: int, reports: int):
    from tests.factories import (
        FeedbackProgressFactory,
        FeedbackTaskFactory,
        ParticipantFactory,
        TopicFactory,
    )
    from tests.feedback.conftest import add_opinions
    from topics.states import State

    topic = TopicFactory(state=State.FEEDBACK)
    participants = [ParticipantFactory(topic=topic) for _ in range(25)]
    add_opinions(topic, opinions, participants=participants)
    made = [FeedbackTaskFactory(topic=topic) for _ in range(tasks)]
    for i in range(reports):
        FeedbackProgressFactory(task=made[i % len(made)])
    return topic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--opinions", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _setup(Path(tmp))
        from dossier.builder import build_html
        from dossier.pdf import layout_only, render

        topic = _topic(args.opinions, 10, 20)
        html, _data = build_html(topic)
        pages = layout_only(html)
        ours, floor = [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            html, _data = build_html(topic)
            rendered = render(html)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            layout_only(html)
            floor.append(time.perf_counter() - started)
        ours_s, floor_s = statistics.median(ours), statistics.median(floor)
        print(
            f"dossier: {rendered.pages} pages, {len(rendered.data) / 1024:.0f} KiB; "
            f"ours {ours_s:.2f} s, WeasyPrint layout floor {floor_s:.2f} s "
            f"(medians of {args.rounds})"
        )
        print(
            json.dumps(
                {
                    "name": "dossier",
                    "pages": pages,
                    "ours_s": round(ours_s, 3),
                    "layout_floor_s": round(floor_s, 3),
                    "ratio": round(ours_s / floor_s, 3),
                }
            )
        )


if __name__ == "__main__":
    main()
