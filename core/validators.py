"""Validators for text typed by people: no control characters, single lines.

A NUL byte breaks PostgreSQL text columns (a 500) and other control
characters are invisible in the page yet stored in the audit chain; a line
break in a title ends up in email headers. Every form field of free text uses
one of these: ``no_control_chars`` for text areas (line breaks and tabs
allowed), ``single_line`` for one-line fields (titles, names, proposers).
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Line and paragraph separators act as line breaks in many programs.
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_TEXT_AREA_ALLOWED = frozenset("\n\r\t")


def _bad_char(value: str, allowed: frozenset[str]) -> str | None:
    for char in value:
        if char in allowed:
            continue
        if char in _LINE_BREAKS or unicodedata.category(char) == "Cc":
            return char
    return None


def no_control_chars(value) -> None:
    """Refuse control characters other than line breaks and tabs (text areas)."""
    if not isinstance(value, str):
        return
    if _bad_char(value, _TEXT_AREA_ALLOWED) is not None:
        raise ValidationError(
            _("内容含有不可见的控制字符，请删除后重新输入（可从纯文本中复制）。"),
            code="control_characters",
        )


def single_line(value) -> None:
    """Refuse line breaks and every other control character (one-line fields)."""
    if not isinstance(value, str):
        return
    char = _bad_char(value, frozenset())
    if char is None:
        return
    if char in _LINE_BREAKS:
        raise ValidationError(
            _("此处只能填写一行文字，请删除换行。"), code="line_break"
        )
    raise ValidationError(
        _("内容含有不可见的控制字符，请删除后重新输入（可从纯文本中复制）。"),
        code="control_characters",
    )
