"""The English translation: pages switch language, and the catalogue stays complete.

The source strings are Chinese; ``locale/en/LC_MESSAGES/django.po`` holds the
English, compiled to ``django.mo`` and committed. The catalogue tests fail when
an entry is untranslated or fuzzy, when a placeholder is lost, when the ``.mo``
no longer matches the ``.po``, and when the source has a string the ``.po``
does not translate yet (run ``makemessages``, translate, ``compilemessages``).
"""

import ast
import gettext as gettext_module
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from committees.models import Role
from committees.services import person_for_user
from notifications.models import Channel, Delivery, DeliveryStatus, Kind, Notification
from tests.factories import (
    BodyFactory,
    TopicFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)
from topics.services import topic_transition
from topics.states import State

BASE_DIR = Path(settings.BASE_DIR)
PO_PATH = BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# Han ideographs. CJK punctuation (、。“”) is not matched: a few separators are
# still written into the templates and are reported separately.
IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")


# The language switch names each language in its own script (<option lang="…">),
# so "简体中文" belongs on an English page too; it is not left-over UI.
LANGUAGE_OPTION = re.compile(r'<option value="[^"]*" lang="[^"]*"[^>]*>[^<]*</option>')


def without_language_names(html: str) -> str:
    return LANGUAGE_OPTION.sub("", html)


def ideographs_in(html: str) -> list[str]:
    """Each run of Chinese in the page, with a little context."""
    return [
        html[max(0, m.start() - 30) : m.end() + 30].replace("\n", " ")
        for m in re.finditer(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", html)
    ]


def header_of(html: str) -> str:
    match = re.search(r"<header\b.*?</header>", html, re.S)
    assert match, "no <header> in the page"
    return match.group(0)


def nav_of(html: str) -> str:
    match = re.search(r'<nav class="main-nav">.*?</nav>', html, re.S)
    assert match, "no main navigation in the page"
    return match.group(0)


@pytest.fixture(autouse=True)
def _restore_language():
    """A request activates its language for the thread; put it back afterwards."""
    previous = translation.get_language()
    yield
    if previous is None:
        translation.deactivate()
    else:
        translation.activate(previous)


# -- pages ---------------------------------------------------------------------


@pytest.fixture
def place():
    """A village with ASCII names, so any Chinese left in a page is the UI's."""
    township = TownshipFactory(name="Riverside Township")
    return VillageFactory(parent=township, name="East Hill Village")


@pytest.fixture
def secretary(place):
    user = user_with_role(
        Role.VILLAGE_SECRETARY, place, first_name="Mei", last_name="Cheng"
    )
    return user


@pytest.fixture
def topics(place, secretary):
    body = BodyFactory(place=place, name="East Hill Village Committee")
    ascii_fields = {
        "place": place,
        "body": body,
        "description": "The roof of the village hall leaks.",
        "proposer": "Zhang San, villager",
    }
    submitted = TopicFactory(title="Repair the village hall", **ascii_fields)
    # Submitted through the service, so the history has a translated row.
    topic_transition(actor=secretary, topic_id=submitted.pk, action="submit")
    TopicFactory(title="Street lights on the east road", **ascii_fields)
    now = timezone.now()
    TopicFactory(
        title="Widen the bridge",
        state=State.PREPARING,
        step_due_at=now + timedelta(days=10),
        **ascii_fields,
    )
    TopicFactory(
        title="Clean the pond",
        state=State.CONSULTING,
        step_due_at=now - timedelta(days=3),
        **ascii_fields,
    )
    submitted.refresh_from_db()
    return {"submitted": submitted}


def switch_to_english(client, next_url: str = "/"):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": next_url}
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    return response


def assert_english_page(html: str, *expected: str) -> None:
    assert '<html lang="en">' in html
    html = without_language_names(html)
    for text in expected:
        assert text in html, f"{text!r} not in the English page"
    if 'class="main-nav"' in html:
        nav = nav_of(html)
        # "Topics" only for those who may see topics: see test_switching_back.
        for text in ("Dashboard", "Messages"):
            assert text in nav
    assert not IDEOGRAPH.search(header_of(html)), header_of(html)
    assert ideographs_in(html) == [], "Chinese left in the English page"


@pytest.mark.django_db
def test_chinese_by_default(client, secretary, topics):
    client.force_login(secretary)
    html = client.get(reverse("topics:list")).content.decode()
    assert '<html lang="zh-CN">' in html
    nav = nav_of(html)
    assert "协商议题" in nav
    assert "工作台" in nav
    assert "Topics" not in nav
    assert "待审批" in html

    html = client.get(reverse("topics:detail", args=[topics["submitted"].pk]))
    assert "做好协商准备" in html.content.decode()


@pytest.mark.django_db
def test_set_language_switches_the_pages_to_english(client, secretary, topics):
    client.force_login(secretary)
    response = switch_to_english(client, next_url=reverse("topics:list"))
    assert response.url == reverse("topics:list")

    html = client.get(reverse("dashboard")).content.decode()
    assert_english_page(
        html,
        "Dashboard",
        "Awaiting my approval",
        "Repair the village hall",
        "Draft topics",
        "Draft a new topic",
        "Topics in progress",
        "Still missing: ",
        "Overdue topics",
        "3 days overdue",
    )

    html = client.get(reverse("topics:list")).content.decode()
    assert_english_page(
        html,
        "<h1>Topics</h1>",
        "4 topics",
        "Topic title",
        "Awaiting approval",
        "Preparation",
        "Consultation",
        "All statuses",
        "Filter",
    )

    html = client.get(
        reverse("topics:detail", args=[topics["submitted"].pk])
    ).content.decode()
    assert_english_page(
        html,
        "Awaiting approval",
        "Determine the topic",
        "Prepare the consultation",
        "Hold the consultation",
        "Current step",
        "Available actions",
        "Approve topic",
        "Return for revision",
        "Reason for “Reject” (required)",
        "Topic details",
        "Four publics, one hot issue",
        "Activity log",
        "Submit for approval",
        "Draft → Awaiting approval",
    )


@pytest.mark.django_db
def test_messages_and_errors_follow_the_language(client, secretary, topics):
    client.force_login(secretary)
    switch_to_english(client)
    url = reverse("topics:act", args=[topics["submitted"].pk, "reject"])
    html = client.post(url, {"state": "submitted", "reason": ""}).content.decode()
    assert "Please give a reason." in html

    url = reverse("topics:act", args=[topics["submitted"].pk, "approve"])
    response = client.post(url, {"state": "submitted"}, follow=True)
    html = response.content.decode()
    assert_english_page(
        html, "“Approve topic” done.", "Preparation", "Prepare the consultation"
    )


@pytest.mark.django_db
def test_inbox_in_english(client, secretary, topics):
    client.force_login(secretary)
    notice = Notification.objects.create(
        key="i18n:meeting",
        kind=Kind.MEETING_NOTICE,
        subject="Meeting on the village hall",
        body="Please come to the meeting.",
        about=topics["submitted"],
        event_start=timezone.now() + timedelta(days=5),
        location="Village hall",
    )
    Delivery.objects.create(
        notification=notice,
        person=person_for_user(secretary),
        channel=Channel.INBOX,
        status=DeliveryStatus.SENT,
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert_english_page(
        html,
        "<h1>Messages</h1>",
        "Meeting notice",
        "Meeting on the village hall",
        "Unread",
        "Mark as read",
        "Mark all as read",
        "Add to calendar (.ics)",
        "Notification preferences",
    )


@pytest.mark.django_db
def test_township_dashboard_in_english(client, place):
    secretary = user_with_role(Role.TOWNSHIP_SECRETARY, place.parent)
    client.force_login(secretary)
    switch_to_english(client)
    html = client.get(reverse("dashboard")).content.decode()
    assert_english_page(
        html, "Topics by village", "East Hill Village", "Awaiting approval"
    )


@pytest.mark.django_db
def test_login_page_in_english_after_switching(client):
    switch_to_english(client)
    html = client.get(reverse("login")).content.decode()
    assert_english_page(html, "Log in to Xieshangtong", "Username", "Password")
    # The language switch: each language in its own script.
    assert 'lang="zh-hans">简体中文</option>' in html
    assert 'lang="en" selected>English</option>' in html


@pytest.mark.django_db
def test_not_found_page_in_english(client):
    client.force_login(UserFactory())
    switch_to_english(client)
    response = client.get("/topics/999999/")
    assert response.status_code == 404
    assert_english_page(response.content.decode(), "Page not found")


@pytest.mark.django_db
def test_switching_back_to_chinese(client, secretary):
    client.force_login(secretary)
    switch_to_english(client)
    assert "Topics" in nav_of(client.get(reverse("dashboard")).content.decode())
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    html = client.get(reverse("dashboard")).content.decode()
    assert '<html lang="zh-CN">' in html
    assert "协商议题" in nav_of(html)


# -- the catalogue -------------------------------------------------------------


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def parse_po(path: Path) -> list[Entry]:
    """The live entries of a .po file (obsolete ``#~`` entries are left out)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    keyword = re.compile(
        r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$'
    )
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            if entry is not None:
                entries.append(entry)
            entry, target = None, None
            continue
        if entry is None:
            entry = Entry(line=number)
        if line.startswith("#~"):
            entry.obsolete = True
        elif line.startswith("#,"):
            entry.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
        elif line.startswith("#"):
            continue
        elif match := keyword.match(line):
            name, index, text = match.groups()
            value = ast.literal_eval(text)
            if name.startswith("msgstr"):
                target = ("msgstr", int(index or 0))
                entry.msgstr[target[1]] = value
            else:
                target = (name, 0)
                setattr(entry, name, value)
        elif line.startswith('"') and target is not None:
            value = ast.literal_eval(line)
            if target[0] == "msgstr":
                entry.msgstr[target[1]] += value
            else:
                setattr(entry, target[0], getattr(entry, target[0]) + value)
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    if entry is not None:
        entries.append(entry)
    return [e for e in entries if not e.obsolete]


def untranslated(entries: list[Entry]) -> list[str]:
    """Every entry that is not a complete, checked translation."""
    problems = []
    for e in entries:
        if not e.msgid:
            continue
        where = f"line {e.line}: {e.msgid!r}"
        if "fuzzy" in e.flags:
            problems.append(f"{where} is fuzzy")
        wanted = [0, 1] if e.msgid_plural is not None else [0]
        if sorted(e.msgstr) != wanted:
            problems.append(f"{where} has msgstr forms {sorted(e.msgstr)}")
        for index, text in e.msgstr.items():
            if not text.strip():
                problems.append(f"{where} has no translation (msgstr[{index}])")
            elif IDEOGRAPH.search(text):
                problems.append(f"{where} msgstr[{index}] is still Chinese")
    return problems


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing"
    return parse_po(PO_PATH)


def test_catalogue_header(catalogue):
    header = catalogue[0]
    assert header.msgid == "" and "fuzzy" not in header.flags
    fields = dict(
        line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line
    )
    assert fields["Language"] == "en"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_every_entry_is_translated(catalogue):
    assert len(catalogue) > 400
    problems = untranslated(catalogue)
    assert not problems, "\n".join(problems)


def test_placeholders_are_kept(catalogue):
    problems = []
    for e in catalogue:
        if not e.msgid:
            continue
        wanted = set(PLACEHOLDER.findall(e.msgid))
        if e.msgid_plural is not None:
            wanted |= set(PLACEHOLDER.findall(e.msgid_plural))
        for index, text in e.msgstr.items():
            found = set(PLACEHOLDER.findall(text))
            if found != wanted:
                problems.append(
                    f"line {e.line} msgstr[{index}]: {sorted(found)}, "
                    f"wanted {sorted(wanted)}"
                )
    assert not problems, "\n".join(problems)


def test_terminology(catalogue):
    """The fixed terms of the glossary keep their English names."""
    by_id = {e.msgid: e.msgstr.get(0) for e in catalogue if e.msgctxt is None}
    by_context = {(e.msgctxt, e.msgid): e.msgstr.get(0) for e in catalogue}
    assert by_context[("section", "协商议题")] == "Topics"  # navigation, heading
    assert by_id["协商议题"] == "Topic"  # the model's verbose_name
    assert by_context[("plural", "协商议题")] == "Topics"
    assert by_id["待审批"] == "Awaiting approval"
    assert by_id["草稿"] == "Draft"
    assert by_id["协商准备"] == "Preparation"
    assert by_id["开展协商"] == "Consultation"
    assert by_id["成果落实"] == "Adoption"
    assert by_id["结果反馈"] == "Feedback"
    assert by_id["已归档"] == "Archived"
    assert by_id["已驳回"] == "Rejected"
    assert by_id["已撤回"] == "Withdrawn"
    assert by_id["镇党委书记"] == "Township Party Secretary"
    assert by_id["村党支部书记"] == "Village Party Branch Secretary"
    assert by_id["群众"] == "Resident"


def test_compiled_catalogue_matches_the_po(catalogue):
    """django.mo is committed: it must hold exactly what django.po says."""
    assert MO_PATH.exists(), "run: manage.py compilemessages -l en --ignore=.venv"
    with MO_PATH.open("rb") as handle:
        compiled = gettext_module.GNUTranslations(handle)
    stale = []
    for e in catalogue:
        if not e.msgid:
            continue
        if e.msgid_plural is None:
            got = (
                compiled.gettext(e.msgid)
                if e.msgctxt is None
                else compiled.pgettext(e.msgctxt, e.msgid)
            )
            if got != e.msgstr[0]:
                stale.append(e.msgid)
            continue
        for n, index in ((1, 0), (2, 1)):
            got = (
                compiled.ngettext(e.msgid, e.msgid_plural, n)
                if e.msgctxt is None
                else compiled.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n)
            )
            if got != e.msgstr[index]:
                stale.append(e.msgid)
    assert stale == [], "django.mo is out of date: run compilemessages"
    assert compiled.info().get("language") == "en"


def gettext_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"GNU gettext ({name}) is not installed"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def test_msgfmt_accepts_the_po():
    msgfmt = gettext_tool("msgfmt")
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", os.devnull, str(PO_PATH)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr


# The same tree `makemessages` reads in the project (see README).
SOURCE_SKIP = {".venv", "tests", "benchmarks", "locale", "static", "staticfiles"}


def test_every_source_string_is_in_the_catalogue(tmp_path, monkeypatch, settings):
    """A string added to the code or the templates but not translated fails here.

    makemessages runs on a copy of the source, merging into a copy of the
    catalogue, so nothing in the project is written.
    """
    gettext_tool("xgettext")
    gettext_tool("msgmerge")
    copy = tmp_path / "src"
    for item in BASE_DIR.iterdir():
        if item.name.startswith(".") or item.name in SOURCE_SKIP:
            continue
        if item.is_dir() and not item.name.endswith(".egg-info"):
            shutil.copytree(
                item,
                copy / item.name,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "locale"),
            )
        elif item.suffix in {".py", ".html", ".txt"}:
            copy.mkdir(exist_ok=True)
            shutil.copy2(item, copy / item.name)
    locale_dir = copy / "locale"
    (locale_dir / "en" / "LC_MESSAGES").mkdir(parents=True)
    merged = locale_dir / "en" / "LC_MESSAGES" / "django.po"
    shutil.copy2(PO_PATH, merged)
    settings.LOCALE_PATHS = [locale_dir]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["en"], no_obsolete=True, verbosity=0)

    entries = parse_po(merged)
    assert len(entries) > 1
    problems = untranslated(entries)
    assert not problems, (
        "Strings in the source are not translated in locale/en. Run "
        "`manage.py makemessages -l en --ignore=.venv --ignore=tests "
        "--ignore=benchmarks --no-obsolete`, translate, then compilemessages.\n"
        + "\n".join(problems)
    )


@pytest.mark.django_db
def test_an_english_browser_still_gets_chinese_until_the_user_switches(client):
    """Accept-Language is ignored: Chinese is the default whatever the browser says."""
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    html = html.content.decode()
    assert 'lang="zh-CN"' in html
    assert "登录" in html


def test_the_scheduled_task_admin_speaks_plain_chinese():
    """django-celery-beat's own Chinese reads "2 任务s 将 启动成功"; ours does not."""
    from django.utils.translation import gettext, ngettext

    with translation.override("zh-hans"):
        ran = gettext("{0} task{1} {2} successfully run").format(2, "s", "")
        enabled = ngettext(
            "{0} task was successfully enabled",
            "{0} tasks were successfully enabled",
            2,
        ).format(2)
    assert ran == "已启动 2 个定时任务。"
    assert enabled == "已启用 2 个定时任务。"


def test_form_labels_end_with_a_full_width_colon_in_chinese():
    from django import forms

    class Sample(forms.Form):
        note = forms.CharField(label="说明")

    with translation.override("zh-hans"):
        html = str(Sample()["note"].label_tag())
    assert "说明：" in html
