"""Clean text and links for notices, checked when a notice is created."""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SUBJECT_MAX_LENGTH = 200
LINK_MAX_LENGTH = 300

# Every character that breaks a line or a header: C0/C1 controls (CR, LF, tab,
# NUL…), and Unicode's own line and paragraph separators.
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")


def single_line(text: str, *, max_length: int = SUBJECT_MAX_LENGTH) -> str:
    """The text as one line: breaks and control characters become one space.

    An email subject or SMS head built from it can never carry a second header
    ("Line1\\r\\nBcc: …") or fail with BadHeaderError.
    """
    line = _SPACES.sub(" ", _BREAKS.sub(" ", str(text or ""))).strip()
    if len(line) > max_length:
        line = line[: max_length - 1] + "…"
    return line


def clean_link(link: str) -> str:
    """A site path ("/topics/3/") or an http(s) address; ValidationError otherwise.

    A notice's link is shown to its recipients as given, so "javascript:",
    "data:", a protocol-relative "//host" or a path with a backslash (which
    browsers read as "//") are refused before anything is stored.
    """
    link = (link or "").strip()
    if not link:
        return ""
    invalid = ValidationError(
        {"link": [_("链接只能是本站路径（以 / 开头）或 http(s) 网址。")]}
    )
    if len(link) > LINK_MAX_LENGTH or _BREAKS.search(link) or "\\" in link:
        raise invalid
    if link.startswith("/"):
        if link.startswith("//"):
            raise invalid
        return link
    parts = urlsplit(link)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise invalid
    return link
