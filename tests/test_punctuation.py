"""Chinese text uses full-width punctuation (CONVENTIONS.md, Style): model
names, field names, choices and every entry of the translation catalogue."""

import gettext
import re
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
OWN_APPS = {"core", "committees", "notifications", "topics", "consult", "feedback"}
# A half-width bracket, comma, colon or semicolon touching a Chinese character.
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][(),:;]|[(),:;][\u4e00-\u9fff]")


def _model_texts() -> list[tuple[str, str]]:
    texts = []
    for config in apps.get_app_configs():
        if config.label not in OWN_APPS:
            continue
        for model in config.get_models():
            opts = model._meta
            texts += [
                (opts.label, str(opts.verbose_name)),
                (opts.label, str(opts.verbose_name_plural)),
            ]
            for field in opts.get_fields(include_hidden=False):
                where = f"{opts.label}.{field.name}"
                for attr in ("verbose_name", "help_text"):
                    if getattr(field, attr, None):
                        texts.append((where, str(getattr(field, attr))))
                for _value, label in getattr(field, "flatchoices", None) or ():
                    texts.append((where, str(label)))
    return texts


def test_the_scan_finds_what_it_looks_for():
    assert HALF_WIDTH.search("县(区)") and HALF_WIDTH.search("方案,集体")
    assert not HALF_WIDTH.search("县（区）") and not HALF_WIDTH.search("%(place)s的")


def test_model_names_fields_and_choices_use_full_width_punctuation():
    texts = _model_texts()
    assert len(texts) > 200
    assert [(where, text) for where, text in texts if HALF_WIDTH.search(text)] == []


def test_catalogue_entries_use_full_width_punctuation():
    """Every Chinese string of the site, wherever it is written."""
    with (ROOT / "locale" / "en" / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        # Plural forms are keyed (msgid, n); a context prefixes "context\x04".
        msgids = [
            (key[0] if isinstance(key, tuple) else key).rpartition("\x04")[2]
            for key in gettext.GNUTranslations(mo)._catalog
        ]
    assert len(msgids) > 500
    assert [msgid for msgid in msgids if HALF_WIDTH.search(msgid)] == []
