"""Validators for text typed by people: no control characters, single lines.

A NUL byte breaks PostgreSQL text columns (a 500) and other control
characters are invisible in the page yet stored in the audit chain; a line
break in a title ends up in email headers. Every form field of free text uses
one of these: ``no_control_chars`` for text areas (line breaks and tabs
allowed), ``single_line`` for one-line fields (titles, names, proposers).
Every service checks the text it is given with ``clean_text``, the same rules
plus stripping, a required message and a maximum length, refused at the field.

Dates people plan (a topic's planned dates, a session's time, a task's
deadline, a 公示's period) lie in one sane window: ``date_in_window`` refuses
0001-01-01 and 9999-12-31 alike; ``date_window_error`` gives its message and
``clean_date`` is the services' check (with "required" and "not after today").
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


def _refuse(errors: dict[str, list[str]] | None, field: str, message: str) -> None:
    """Collect the message for the field, or raise it there at once."""
    if errors is None:
        raise ValidationError({field: [message]})
    errors.setdefault(field, []).append(message)


TEXT_REQUIRED = _("请填写此项。")
TEXT_TOO_LONG = _("不能超过 %(n)d 个字。")


def clean_text(
    value,
    *,
    field: str,
    max_length: int | None,
    multiline: bool = False,
    required: bool = True,
    required_message: str | None = None,
    too_long_message: str | None = None,
    errors: dict[str, list[str]] | None = None,
) -> str:
    """Text a person typed, stripped, or refused as ``{field: [message]}``.

    One-line text refuses line breaks (``single_line``), ``multiline`` text
    every other control character (``no_control_chars``); ``max_length`` is in
    characters (None where the model sets no limit). ``too_long_message`` may
    name the field and takes ``%(n)d``. With ``errors``, the message is added
    there and the stripped text returned, so a service reports every field at
    once; the caller raises ``ValidationError(errors)`` when it is not empty.
    """
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            _refuse(errors, field, str(required_message or TEXT_REQUIRED))
        return text
    try:
        (no_control_chars if multiline else single_line)(text)
    except ValidationError as invalid:
        _refuse(errors, field, invalid.messages[0])
        return text
    if max_length is not None and len(text) > max_length:
        message = str(too_long_message or TEXT_TOO_LONG) % {"n": max_length}
        _refuse(errors, field, message)
    return text


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


DATE_REQUIRED = _("请填写日期。")


def clean_date(
    value,
    *,
    field: str,
    required: bool = False,
    required_message: str | None = None,
    future_message: str | None = None,
    errors: dict[str, list[str]] | None = None,
):
    """A date or moment a service was given, refused at ``field`` if wrong.

    None passes unless ``required``; with ``future_message`` the date must
    have happened (a meeting, a vote, a report: not after today); and it lies
    in the window. ``errors`` collects as in clean_text.
    """
    if value is None:
        if required:
            _refuse(errors, field, str(required_message or DATE_REQUIRED))
        return value
    day = _local_date(value)
    if future_message is not None and day is not None and day > timezone.localdate():
        _refuse(errors, field, str(future_message))
        return value
    message = date_window_error(value)
    if message:
        _refuse(errors, field, message)
    return value


def date_in_window(value) -> None:
    """Refuse a date or moment outside the window; None is left to ``required``."""
    message = date_window_error(value)
    if message:
        raise ValidationError(message, code="date_window")
