"""The dossier's HTML as an A4 PDF through WeasyPrint, with a CJK font embedded.

WeasyPrint finds fonts through fontconfig. Without a CJK font every Chinese
character would print as an empty box, so the export refuses to run instead
and says in one line what to install.
"""

import functools
import shutil
import subprocess
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

FONT_HINT = "请安装中文字体：apt-get install fonts-noto-cjk libharfbuzz-subset0"


class DossierError(Exception):
    """The dossier cannot be made; the message says why, in Chinese."""


@functools.cache
def cjk_fonts() -> tuple[str, ...]:
    """The CJK font families fontconfig knows (what WeasyPrint will use)."""
    if not shutil.which("fc-list"):
        return ()
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "family"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(sorted({line.split(",")[0] for line in listed.splitlines() if line}))


def require_cjk_font() -> None:
    if not cjk_fonts():
        raise DossierError(_("无法生成一事一档：未找到中文字体。") + FONT_HINT)


@dataclass
class Rendered:
    data: bytes
    pages: int


def render(html: str) -> Rendered:
    """Lay out and write the PDF; the HTML's own ``<meta>`` names (the topic,
    its chain head, the manifest hash) go into the PDF's information."""
    from weasyprint import HTML

    require_cjk_font()
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    return Rendered(document.write_pdf(custom_metadata=True), len(document.pages))


def layout_only(html: str) -> int:
    """WeasyPrint's own layout of the HTML, without writing: the benchmark's floor."""
    from weasyprint import HTML

    return len(HTML(string=html, base_url=str(settings.BASE_DIR)).render().pages)
