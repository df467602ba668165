"""core/validators.py: no control characters; single-line fields refuse line breaks."""

import pytest
from django.core.exceptions import ValidationError

from core.validators import no_control_chars, single_line


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
