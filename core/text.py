"""Small helpers for wording that must read correctly in every UI language."""

from collections.abc import Iterable

from django.utils.translation import pgettext


def list_separator() -> str:
    """The separator between the items of an inline list ("、" in Chinese)."""
    return pgettext("list separator", "、")


def join_list(items: Iterable) -> str:
    """The items as one inline list in the active language: 甲、乙 / A, B."""
    return list_separator().join(str(item) for item in items)
