"""The sections of a topic's dossier (一事一档): the registry the apps fill.

topics/ knows the five steps, not their records. Each app that keeps records
of a step registers the dossier section that prints them in its
``AppConfig.ready()``: ``register_section(step, order, template, collect)``.
``collect(topic)`` returns the template's context in a constant number of
queries, whatever the number of records; the exporter (``dossier/``) renders
every registered section in step order and never imports the apps. A new kind
of record adds a section, not an edit of the exporter.

Step 0 is not used; ``AFTER_ARCHIVE`` (6) holds what is appended to a sealed
topic (notes), printed after step 5.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

AFTER_ARCHIVE = 6


@dataclass(frozen=True)
class Section:
    step: int
    order: int
    key: str
    title: Any
    template: str
    collect: Callable[[Any], dict]


_SECTIONS: dict[str, Section] = {}


def register_section(
    step: int,
    order: int,
    template: str,
    collect: Callable[[Any], dict],
    *,
    key: str,
    title,
) -> None:
    """Add a section; registering the same key twice with other values fails."""
    section = Section(step, order, key, title, template, collect)
    if key in _SECTIONS and _SECTIONS[key] != section:
        raise ValueError(f"dossier section {key!r} is already registered")
    _SECTIONS[key] = section


def sections(step: int | None = None) -> list[Section]:
    found = [s for s in _SECTIONS.values() if step is None or s.step == step]
    return sorted(found, key=lambda s: (s.step, s.order, s.key))


def _determination(topic) -> dict:
    """Step 1: the topic as approved, and every transition with its reason."""
    from core.audit import verb_label

    from .selectors import topic_history

    transitions = [
        {
            "at": event.created_at,
            "label": verb_label(event.verb),
            "actor": event.actor,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "reason": event.reason,
        }
        for event in topic_history(topic)
        .exclude(to_state="")
        .select_related("actor")
        .order_by("seq")
    ]
    from .catalogue import Form

    forms = [Form(code).label if code in Form.values else code for code in topic.forms]
    return {"transitions": transitions, "forms": forms}


def register_own() -> None:
    from django.utils.translation import gettext_lazy as _

    register_section(
        1,
        10,
        "dossier/sections/determination.html",
        _determination,
        key="topics.determination",
        title=_("议题的确定"),
    )
