"""Validators for text typed by people: no control characters, single lines.

A NUL byte breaks PostgreSQL text columns (a 500) and other control
characters are invisible in the page yet stored in the audit chain; a line
break in a title ends up in email headers. Every form field of free text uses
one of these: ``no_control_chars`` for text areas (line breaks and tabs
allowed), ``single_line`` for one-line fields (titles, names, proposers).

Dates people plan (a topic's planned dates, a session's time, a task's
deadline, a 公示's period) lie in one sane window: ``date_in_window`` refuses
0001-01-01 and 9999-12-31 alike; ``date_window_error`` gives its message.
"""

import unicodedata
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
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


# -- dates ----------------------------------------------------------------------

# Dates outside this window are typos (0001-01-01, 9999-12-31), never plans.
EARLIEST_DATE = date(2000, 1, 1)
YEARS_AHEAD = 10
DATE_WINDOW_ERROR = _("日期须在 %(earliest)s 至 %(latest)s 之间。")


def latest_date() -> date:
    """The last date of the window: ten years from today (local time)."""
    today = timezone.localdate()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def _local_date(value: date | datetime) -> date | None:
    """The local calendar date of a date or moment; None if it has none."""
    if not isinstance(value, datetime):
        return value
    if timezone.is_naive(value):
        return value.date()
    try:
        return timezone.localdate(value)
    except OverflowError:  # 9999-12-31 23:00 UTC is in year 10000 in Beijing
        return None


def date_window_error(value: date | datetime | None) -> str:
    """The message for a date (or moment) outside the window, or "" (also for None)."""
    if not isinstance(value, date):
        return ""
    latest = latest_date()
    day = _local_date(value)
    if day is not None and EARLIEST_DATE <= day <= latest:
        return ""
    return str(DATE_WINDOW_ERROR) % {
        "earliest": EARLIEST_DATE.isoformat(),
        "latest": latest.isoformat(),
    }


def date_in_window(value) -> None:
    """Refuse a date or moment outside the window; None is left to ``required``."""
    message = date_window_error(value)
    if message:
        raise ValidationError(message, code="date_window")
