"""What the topic pages show each user (issue 6): banners, sections, links, forms."""

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from committees.models import Role
from committees.services import role_grant
from tests.factories import (
    BodyFactory,
    TopicFactory,
    TownshipFactory,
    VillageFactory,
    user_with_role,
)
from topics import evidence, pages
from topics.services import topic_transition
from topics.states import State, Step

pytestmark = pytest.mark.django_db


@pytest.fixture
def township():
    return TownshipFactory()


@pytest.fixture
def village(township):
    return VillageFactory(parent=township)


def page_of(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, section_id: str) -> str:
    match = re.search(
        rf'<section class="card" id="{section_id}">(.*?)</section>', html, re.S
    )
    return match.group(1) if match else ""


# -- rejection: in the banner, and on the drafter's dashboard ---------------------


def test_a_rejected_topic_shows_the_reason_in_its_banner(client, village):
    secretary = user_with_role(Role.VILLAGE_SECRETARY, village)
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    topic_transition(
        actor=secretary, topic_id=topic.pk, action="reject", reason="不属于协商范围"
    )
    html = page_of(client, secretary, reverse("topics:detail", args=[topic.pk]))
    banner = re.search(r'id="ended-reason">(.*?)</div>', html, re.S).group(1)
    assert "已驳回" in banner and "不属于协商范围" in banner


def test_recently_rejected_topics_stay_on_the_drafters_dashboard(client, village):
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    secretary = user_with_role(Role.VILLAGE_SECRETARY, village)
    recent = TopicFactory(place=village, state=State.SUBMITTED, title="新近驳回")
    topic_transition(
        actor=secretary, topic_id=recent.pk, action="reject", reason="重复议题"
    )
    TopicFactory(
        place=village,
        state=State.REJECTED,
        title="很久以前驳回",
        state_changed_at=timezone.now() - timedelta(days=45),
    )
    html = section(page_of(client, clerk, reverse("dashboard")), "rejected")
    assert "新近驳回" in html and "重复议题" in html
    assert "很久以前驳回" not in html


# -- submitted and waiting: drafter and deputy see it, the approver approves it ----


def test_submitted_topics_wait_on_the_drafters_and_deputys_dashboards(
    client, township, village
):
    submitted = TopicFactory(
        place=township, state=State.SUBMITTED, title="等审批的议题"
    )
    draft = TopicFactory(place=township, state=State.DRAFT, title="还在起草")
    for role in (Role.TOWNSHIP_CLERK, Role.TOWNSHIP_DEPUTY):
        user = user_with_role(role, township)
        html = section(page_of(client, user, reverse("dashboard")), "waiting")
        assert submitted.title in html, role
        assert draft.title not in html
    secretary = user_with_role(Role.TOWNSHIP_SECRETARY, township)
    html = page_of(client, secretary, reverse("dashboard"))
    assert section(html, "waiting") == ""
    assert submitted.title in section(html, "approvals")


# -- missing evidence and the step pages: each item says where to act -------------


def test_missing_evidence_links_to_its_page_or_says_there_is_none_yet(
    client, village, monkeypatch
):
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    topic = TopicFactory(place=village, state=State.PREPARING)
    monkeypatch.setattr(evidence, "_REQUIREMENTS", dict(evidence._REQUIREMENTS))
    # Only the plan has a page here; the other items behave as a step whose
    # screens are not installed.
    for code in ("prepare.participants", "prepare.notices", "prepare.materials"):
        evidence._REQUIREMENTS[code] = replace(
            evidence._REQUIREMENTS[code], url_name=""
        )
    evidence._REQUIREMENTS["prepare.plan"] = replace(
        evidence._REQUIREMENTS["prepare.plan"],
        url_name="notifications:topic_deliveries",
    )
    html = section(
        page_of(client, clerk, reverse("topics:detail", args=[topic.pk])), "evidence"
    )
    url = reverse("notifications:topic_deliveries", kwargs={"topic_id": topic.pk})
    assert f'<a href="{url}">协商方案' in html
    assert "参与协商对象名单<span" in html
    assert html.count("（登记页面尚未开通）") == 3  # all but the plan
    assert 'id="not-yet"' in html


def test_with_every_page_open_no_item_is_marked_unavailable(
    client, village, monkeypatch
):
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    topic = TopicFactory(place=village, state=State.PREPARING)
    monkeypatch.setattr(evidence, "_REQUIREMENTS", dict(evidence._REQUIREMENTS))
    for requirement in evidence.requirements(Step.PREPARE):
        evidence._REQUIREMENTS[requirement.code] = replace(
            requirement, url_name="notifications:topic_deliveries"
        )
    html = section(
        page_of(client, clerk, reverse("topics:detail", args=[topic.pk])), "evidence"
    )
    assert "尚未开通" not in html
    assert html.count("<a href=") == 4


def test_the_topic_page_links_the_registered_step_pages(client, village, monkeypatch):
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    topic = TopicFactory(place=village, state=State.PREPARING)
    monkeypatch.setattr(pages, "_PAGES", {})
    pages.register_step_page(
        Step.PREPARE, "notifications:topic_deliveries", "协商方案页面（测试）"
    )
    html = section(
        page_of(client, clerk, reverse("topics:detail", args=[topic.pk])), "step-pages"
    )
    url = reverse("notifications:topic_deliveries", kwargs={"topic_id": topic.pk})
    assert f'<a href="{url}">协商方案页面（测试）</a>' in html


@pytest.mark.parametrize(
    "role, sees_link",
    [
        (Role.VILLAGE_CLERK, True),
        (Role.VILLAGE_SECRETARY, True),
        (Role.TOWNSHIP_SECRETARY, False),  # sees the village topic, runs none there
    ],
)
def test_the_notice_delivery_page_is_linked_for_those_who_may_see_it(
    client, township, village, role, sees_link
):
    place = township if role == Role.TOWNSHIP_SECRETARY else village
    user = user_with_role(role, place)
    topic = TopicFactory(place=village, state=State.PREPARING)
    html = page_of(client, user, reverse("topics:detail", args=[topic.pk]))
    url = reverse("notifications:topic_deliveries", kwargs={"topic_id": topic.pk})
    assert (url in html) is sees_link
    assert client.get(url).status_code == (200 if sees_link else 404)


# -- actions: buttons, a reason box per action, confirmation -----------------------


def test_actions_are_buttons_with_a_reason_box_each_and_confirmations(client, village):
    secretary = user_with_role(Role.VILLAGE_SECRETARY, village)
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    html = section(
        page_of(client, secretary, reverse("topics:detail", args=[topic.pk])),
        "actions",
    )
    # Each reason box sits in its own closed <details>, opened by its button.
    for name in ("return_for_revision", "reject", "withdraw"):
        block = re.search(
            rf'<details class="action" id="action-{name}">(.*?)</details>', html, re.S
        )
        assert block, name
        assert "<summary" in block.group(1) and "<textarea" in block.group(1)
    assert '<details class="action" id="action-approve"' not in html
    assert html.count("<textarea") == 3
    assert " open>" not in html
    confirmed = re.findall(r'id="action-(\w+)"[^>]*data-confirm=', html)
    confirmed += re.findall(
        r'<form[^>]*action="/topics/\d+/act/(\w+)/"[^>]*data-confirm', html
    )
    assert set(confirmed) == {"approve", "withdraw"}
    # Each action looks like what it does: approve is the main action, reject
    # and withdraw dangerous ones, return a secondary one. Every button of an
    # action (the one that opens its box and the one that posts) has its look.
    styles = {
        "approve": "primary",
        "return_for_revision": "secondary",
        "reject": "danger",
        "withdraw": "danger",
    }
    for name, style in styles.items():
        block = re.search(
            rf'<(details|form)\b[^>]*\bid="action-{name}"(.*?)</\1>', html, re.S
        )
        assert block, name
        buttons = re.findall(r'<(?:summary|button)[^>]*class="([^"]*)"', block.group(2))
        assert buttons, name
        assert all(b.split() == ["btn", f"btn-{style}"] for b in buttons), (
            name,
            buttons,
        )


def test_a_refused_reason_reopens_its_box(client, village):
    secretary = user_with_role(Role.VILLAGE_SECRETARY, village)
    topic = TopicFactory(place=village, state=State.SUBMITTED)
    client.force_login(secretary)
    response = client.post(
        reverse("topics:act", args=[topic.pk, "reject"]), {"state": "submitted"}
    )
    assert response.status_code == 400
    assert (
        '<details class="action" id="action-reject" open>' in response.content.decode()
    )


def test_pages_carry_no_inline_script_and_the_js_confirms_and_counts():
    js = Path(settings.BASE_DIR, "static/js/site.js").read_text()
    assert "data-confirm" in js and "window.confirm" in js
    assert "data-count-max" in js
    for template in Path(settings.BASE_DIR, "templates/topics").glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\son[a-z]+=", text), template
        assert "style=" not in text, template


# -- the topic form: choices follow the place's level, title count -----------------


def options(html: str, name: str) -> set[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    return set(re.findall(r'value="([^"]+)"', select.group(1)))


def checkboxes(html: str, name: str) -> set[str]:
    return set(re.findall(rf'name="{name}" value="([^"]+)"', html))


def test_a_village_clerk_is_offered_the_village_catalogue_only(client, village):
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    html = page_of(client, clerk, reverse("topics:create"))
    assert options(html, "category") == {f"v{i}" for i in range(1, 8)}
    assert checkboxes(html, "forms") == {"v_meeting", "v_talk", "v_written", "v_online"}


def test_a_township_clerk_is_offered_the_township_catalogue_only(client, township):
    clerk = user_with_role(Role.TOWNSHIP_CLERK, township)
    html = page_of(client, clerk, reverse("topics:create"))
    assert options(html, "category") == {f"t{i}" for i in range(1, 8)}
    assert len(checkboxes(html, "forms")) == 6


def test_with_places_of_both_levels_the_choices_follow_the_chosen_place(
    client, township, village
):
    """Options are tagged for the script; a posted place narrows them on the server."""
    user = user_with_role(Role.TOWNSHIP_CLERK, township)
    role_grant(actor=None, user=user, place=village, role=Role.VILLAGE_CLERK)
    BodyFactory(place=village)
    html = page_of(client, user, reverse("topics:create"))
    assert f'value="{village.pk}" data-level="village"' in html
    assert f'value="{township.pk}" data-level="township"' in html
    assert 'value="t1" data-level="township"' in html
    assert 'value="v1" data-level="village"' in html
    assert re.search(rf'value="\d+" data-place="{village.pk}"', html)
    response = client.post(
        reverse("topics:create"), {"place": village.pk, "category": "t1"}
    )
    form = response.context["form"]
    offered = {v for v, _label in form.fields["category"].widget.choices[1][1]}
    assert offered == {f"v{i}" for i in range(1, 8)}
    assert len(form.fields["category"].choices) == 2  # "请选择" and the village group
    assert "所选的“议题类别”不在可选范围内" in form.errors["category"][0]


def test_the_title_has_a_live_count_instead_of_a_silent_cut(client, village):
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    html = page_of(client, clerk, reverse("topics:create"))
    title = re.search(r'<input type="text" name="title"[^>]*>', html).group(0)
    assert 'data-count-max="120"' in title
    assert "maxlength" not in title


def test_the_public_checkbox_says_what_it_will_do(client, village):
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    html = page_of(client, clerk, reverse("topics:create"))
    assert "群众门户开通时本议题的进展" in html


# -- navigation: each role sees only what it can use -------------------------------


@pytest.mark.parametrize(
    "role, sees_topics",
    [
        (Role.RESIDENT, False),
        (Role.MEMBER, False),
        (Role.VILLAGE_CLERK, True),
        (Role.VILLAGE_SECRETARY, True),
    ],
)
def test_the_topics_menu_is_shown_only_to_those_who_may_see_topics(
    client, village, role, sees_topics
):
    user = user_with_role(role, village)
    html = page_of(client, user, reverse("notifications:inbox"))
    nav = re.search(r'<nav class="main-nav">(.*?)</nav>', html, re.S).group(1)
    assert (reverse("topics:list") in nav) is sees_topics
    assert reverse("notifications:inbox") in nav


# -- 各村议题概况: the columns do not overlap --------------------------------------


def test_village_summary_columns_do_not_overlap(client, township, village):
    secretary = user_with_role(Role.TOWNSHIP_SECRETARY, township)
    for state in (State.DRAFT, State.SUBMITTED, State.PREPARING, State.ARCHIVED):
        TopicFactory(place=village, state=state)
    response = (
        client.get(reverse("dashboard"))
        if client.force_login(secretary) is None
        else None
    )
    (row,) = response.context["villages"]
    assert (row.active_count, row.submitted_count, row.archived_count) == (1, 1, 1)
    assert "不含草稿和待审批议题" in response.content.decode()


# -- Chinese typography: full-width punctuation in the strings of these pages ------

HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,:;!?()]|[(][\u4e00-\u9fff]")
OWNED = [
    "templates/base.html",
    *(
        f"templates/topics/{n}"
        for n in ("dashboard.html", "detail.html", "form.html", "list.html")
    ),
    *(
        f"topics/{n}.py"
        for n in ("actions", "services", "views", "forms", "selectors", "filters")
    ),
    "core/validators.py",
]


@pytest.mark.parametrize("path", OWNED)
def test_chinese_strings_use_full_width_punctuation(path):
    text = Path(settings.BASE_DIR, path).read_text()
    assert HALF_WIDTH.findall(text) == []


def test_the_dashboard_and_topic_page_read_with_full_width_colons(client, village):
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    topic = TopicFactory(
        place=village,
        state=State.PREPARING,
        step_due_at=timezone.now() + timedelta(days=3),
    )
    detail = page_of(client, clerk, reverse("topics:detail", args=[topic.pk]))
    assert "本步骤期限：" in detail and "进入下一步前还缺少：" in detail
    assert "本步骤期限:" not in detail
    dashboard = page_of(client, clerk, reverse("dashboard"))
    assert "还缺少：" in dashboard and "还缺少:" not in dashboard


def test_a_bad_filter_says_so_in_the_projects_words(client, village):
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    html = page_of(client, clerk, reverse("topics:list") + "?state=bogus&place=999999")
    assert html.count("所选的筛选条件无效，请重新选择。") == 2
    assert "选择一个有效的选项" not in html


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MEMBER])
def test_residents_and_members_get_no_topic_filters(client, village, role):
    TopicFactory(place=village, state=State.DRAFT)
    html = page_of(client, user_with_role(role, village), reverse("topics:list"))
    assert 'id="guest"' in html
    assert 'name="state"' not in html
