"""core/validators.py: no control characters; single-line fields refuse line
breaks; planned dates lie in one sane window; the services' one entry point
for text (clean_text) and for dates (clean_date)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.validators import (
    DATE_WINDOW_ERROR,
    EARLIEST_DATE,
    clean_date,
    clean_text,
    date_in_window,
    date_window_error,
    latest_date,
    no_control_chars,
    single_line,
)


@pytest.mark.parametrize(
    "value",
    ["普通文字", "第一行\n第二行", "第一行\r\n第二行", "列\t对齐", "", "emoji 😀"],
)
def test_text_areas_accept_line_breaks_and_tabs(value):
    no_control_chars(value)


@pytest.mark.parametrize(
    "value", ["a\x00b", "bell\x07", "esc\x1b[0m", "del\x7f", "nel\x85", "ls\u2028x"]
)
def test_text_areas_refuse_other_control_characters(value):
    with pytest.raises(ValidationError) as refused:
        no_control_chars(value)
    assert refused.value.code == "control_characters"
    assert "控制字符" in refused.value.messages[0]


@pytest.mark.parametrize("value", ["村道硬化", "Line1 Bcc", "全角：标点（）", ""])
def test_single_line_accepts_one_line(value):
    single_line(value)


@pytest.mark.parametrize(
    "value, code",
    [
        ("Line1\r\nBcc: x@example.com", "line_break"),
        ("a\nb", "line_break"),
        ("a\rb", "line_break"),
        ("a\u2029b", "line_break"),
        ("a\tb", "control_characters"),
        ("a\x00b", "control_characters"),
    ],
)
def test_single_line_refuses_line_breaks_and_control_characters(value, code):
    with pytest.raises(ValidationError) as refused:
        single_line(value)
    assert refused.value.code == code


def test_non_text_values_are_left_to_other_validators():
    no_control_chars(None)
    single_line(12)


# -- the date window -------------------------------------------------------------


@time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=UTC), tick=False)
def test_the_window_runs_from_2000_to_ten_years_ahead():
    assert date(2000, 1, 1) == EARLIEST_DATE
    assert latest_date() == date(2036, 6, 15)


@time_machine.travel(datetime(2028, 2, 29, 12, tzinfo=UTC), tick=False)
def test_ten_years_after_a_29_february_is_the_28th():
    assert latest_date() == date(2038, 2, 28)


def test_dates_and_moments_inside_the_window_pass():
    today = timezone.localdate()
    for value in (
        EARLIEST_DATE,
        today,
        latest_date(),
        timezone.now(),
        timezone.make_aware(datetime(2000, 1, 1, 0, 0)),
        None,
        "not a date",
    ):
        date_in_window(value)
        assert date_window_error(value) == ""


@pytest.mark.parametrize(
    "value",
    [
        date(1, 1, 1),
        date(1999, 12, 31),
        date(9999, 12, 31),
        "latest+1",
        datetime(1, 1, 2, 9, tzinfo=UTC),
        datetime(9999, 12, 30, 9),
        # 9999-12-31 23:00 UTC is in year 10000 in Beijing: refused, no OverflowError.
        datetime(9999, 12, 31, 23, tzinfo=UTC),
    ],
)
def test_dates_and_moments_outside_the_window_are_refused_in_chinese(value):
    if value == "latest+1":
        value = latest_date() + timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        date_in_window(value)

    assert refused.value.code == "date_window"
    message = refused.value.messages[0]
    assert message.startswith("日期须在 2000-01-01 至 ")
    assert latest_date().isoformat() in message
    assert date_window_error(value) == message


def test_a_moment_is_judged_by_its_local_date():
    # 1999-12-31 20:00 UTC is 2000-01-01 04:00 in Beijing: inside.
    date_in_window(datetime(1999, 12, 31, 20, tzinfo=UTC))
    with pytest.raises(ValidationError):
        date_in_window(datetime(1999, 12, 31, 15, tzinfo=UTC))


def test_the_window_message_names_both_ends():
    assert str(DATE_WINDOW_ERROR) == "日期须在 %(earliest)s 至 %(latest)s 之间。"


# -- clean_text: the services' text rule ------------------------------------------


def _refusal(**kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        clean_text(**kwargs)
    return refused.value.message_dict


def test_clean_text_strips_and_returns_the_text():
    assert clean_text("  村道硬化 \n", field="title", max_length=10) == "村道硬化"
    assert clean_text(None, field="note", max_length=5, required=False) == ""


def test_clean_text_refuses_empty_text_with_the_given_message():
    assert _refusal(value="  ", field="title", max_length=10) == {
        "title": ["请填写此项。"]
    }
    assert _refusal(
        value="", field="note", max_length=10, required_message="请填写进展情况。"
    ) == {"note": ["请填写进展情况。"]}


def test_clean_text_counts_characters_not_bytes():
    assert clean_text("议" * 10, field="title", max_length=10) == "议" * 10
    assert _refusal(value="议" * 11, field="title", max_length=10) == {
        "title": ["不能超过 10 个字。"]
    }


def test_clean_text_takes_a_message_naming_the_field():
    refusal = _refusal(
        value="理" * 6,
        field="reason",
        max_length=5,
        too_long_message="理由不能超过 %(n)d 个字。",
    )
    assert refusal == {"reason": ["理由不能超过 5 个字。"]}


def test_clean_text_without_a_limit_leaves_length_alone():
    assert clean_text("字" * 10_000, field="body", max_length=None, multiline=True)


def test_one_line_text_refuses_line_breaks():
    refusal = _refusal(value="第一行\r\nBcc: x", field="title", max_length=50)
    assert refusal["title"][0].startswith("此处只能填写一行文字")


def test_multiline_text_keeps_line_breaks_and_refuses_control_characters():
    text = clean_text("第一行\n第二行", field="note", max_length=50, multiline=True)
    assert text == "第一行\n第二行"
    refusal = _refusal(value="坏\x00字", field="note", max_length=50, multiline=True)
    assert "控制字符" in refusal["note"][0]


def test_clean_text_collects_into_errors_instead_of_raising():
    errors: dict[str, list[str]] = {}
    clean_text("", field="name", max_length=5, errors=errors)
    clean_text("a\nb", field="organisation", max_length=5, errors=errors)
    assert clean_text(" 好 ", field="host", max_length=5, errors=errors) == "好"
    assert set(errors) == {"name", "organisation"}


# -- clean_date: the services' date rule ------------------------------------------


@time_machine.travel(datetime(2026, 6, 15, 4, tzinfo=UTC), tick=False)
def test_clean_date_refuses_a_date_that_has_not_happened():
    today = date(2026, 6, 15)
    assert clean_date(today, field="held_on", future_message="晚于今天") == today
    with pytest.raises(ValidationError) as refused:
        clean_date(
            today + timedelta(days=1), field="held_on", future_message="晚于今天"
        )
    assert refused.value.message_dict == {"held_on": ["晚于今天"]}


def test_clean_date_requires_a_date_only_when_told():
    assert clean_date(None, field="deadline") is None
    with pytest.raises(ValidationError) as refused:
        clean_date(None, field="held_on", required=True)
    assert refused.value.message_dict == {"held_on": ["请填写日期。"]}


def test_clean_date_refuses_the_window_at_the_field():
    errors: dict[str, list[str]] = {}
    clean_date(date(1, 1, 1), field="starts_at", errors=errors)
    assert errors["starts_at"] == [date_window_error(date(1, 1, 1))]
    with pytest.raises(ValidationError) as refused:
        clean_date(date(9999, 12, 31), field="deadline")
    assert list(refused.value.message_dict) == ["deadline"]
