"""Where each step's records are kept: the pages later apps register.

topics/ knows the five steps, not their records. consult/ and feedback/
register the page of each step they keep (a URL name taking ``topic_id``) in
their ``AppConfig.ready()``, and the topic page links to them, so a clerk goes
from the topic to the plan, the sessions or the 公示 without typing a URL.
"""

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class StepPage:
    step: int
    url_name: str
    label: str
    # Order of pages within one step (a step may have several pages).
    order: int = 0


_PAGES: dict[str, StepPage] = {}


def register_step_page(step: int, url_name: str, label, *, order: int = 0) -> None:
    page = StepPage(step=step, url_name=url_name, label=label, order=order)
    if url_name in _PAGES and _PAGES[url_name] != page:
        raise ValueError(f"step page {url_name!r} is already registered")
    _PAGES[url_name] = page


def step_pages(step: int | None = None) -> list[StepPage]:
    pages = [p for p in _PAGES.values() if step is None or p.step == step]
    return sorted(pages, key=lambda p: (p.step, p.order, p.url_name))


def step_links(topic) -> list[tuple[StepPage, str]]:
    """Each registered page with its URL for this topic, in step order."""
    return [
        (page, reverse(page.url_name, kwargs={"topic_id": topic.pk}))
        for page in step_pages()
    ]
