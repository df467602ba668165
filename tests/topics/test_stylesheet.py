"""The button styles cascade as meant: the variant's colour wins over the base.

A small cascade for the simple selectors site.css uses (a tag and classes, with
no combinators): for a <button> or <a> with the given classes, the declaration
that wins is the one of highest specificity, the later one on a tie.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

CSS = Path(settings.BASE_DIR, "static/css/site.css").read_text()


def rules(css: str):
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    # Rules inside @media blocks apply only at some widths; the desktop cascade
    # is what is checked here (and the narrow blocks set no colours).
    css = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)
    for order, (selectors, body) in enumerate(re.findall(r"([^{}]+)\{([^{}]*)\}", css)):
        declarations = {
            k.strip(): v.strip()
            for k, _, v in (d.partition(":") for d in body.split(";") if ":" in d)
        }
        for selector in selectors.split(","):
            yield selector.strip(), declarations, order


def matches(selector: str, tag: str, classes: set[str]):
    """The specificity of a simple compound selector on the element, or None."""
    if not re.fullmatch(r"[a-z]*(\.[\w-]+)*", selector) or not selector:
        return None
    name, *wanted = selector.split(".")
    if name and name != tag:
        return None
    if not set(wanted) <= classes:
        return None
    return (len(wanted), 1 if name else 0)


def computed(tag: str, classes: set[str], prop: str) -> str | None:
    best = None
    for selector, declarations, order in rules(CSS):
        if prop not in declarations:
            continue
        specificity = matches(selector, tag, classes)
        if specificity is None:
            continue
        key = (specificity, order)
        if best is None or key >= best[0]:
            best = (key, declarations[prop])
    return best[1] if best else None


@pytest.mark.parametrize("tag", ["button", "a"])
@pytest.mark.parametrize(
    "variant, background, color",
    [
        ("btn-primary", "#0b57d0", "#fff"),
        ("btn-danger", "var(--bad)", "#fff"),
        ("btn-secondary", "var(--bg)", "var(--fg)"),
    ],
)
def test_a_variant_button_gets_its_own_colours(tag, variant, background, color):
    assert computed(tag, {"btn", variant}, "background") == background
    assert computed(tag, {"btn", variant}, "color") == color


def test_a_plain_button_stays_white():
    assert computed("button", {"btn"}, "background") == "#fff"


def test_the_cascade_helper_sees_an_outranking_base_rule():
    """The bug of issue 6: ``button.btn`` outranked ``.btn-primary``."""
    global CSS
    original = CSS
    try:
        CSS = "button.btn { background:#fff; }\n.btn-primary { background:#0b57d0; }"
        assert computed("button", {"btn", "btn-primary"}, "background") == "#fff"
    finally:
        CSS = original
