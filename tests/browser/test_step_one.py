"""Step 1 in Chromium, as a village clerk and the village secretary do it."""

import pytest

from committees.models import Role
from tests.browser.conftest import PHONE, no_horizontal_scroll
from tests.factories import BodyFactory, VillageFactory, user_with_role
from topics.models import Topic
from topics.states import State

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _screenshot(page, tmp_path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"{name}: the screenshot is blank"


def test_a_topic_is_drafted_returned_resubmitted_and_approved_in_the_browser(
    open_page, live_server, tmp_path
):
    village = VillageFactory()
    BodyFactory(place=village)
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    secretary = user_with_role(Role.VILLAGE_SECRETARY, village)

    # The clerk drafts on a phone: the form offers only village choices.
    page = open_page(clerk, viewport=PHONE)
    page.goto(f"{live_server.url}/topics/new/")
    assert no_horizontal_scroll(page)
    page.locator("select[name=body]").select_option(index=1)
    page.fill("input[name=title]", "村东道路硬化")
    page.fill("textarea[name=description]", "村东道路雨天泥泞，拟硬化 800 米。")
    category = page.locator("select[name=category]")
    values = category.locator("option").evaluate_all(
        "options => options.map(o => o.value).filter(Boolean)"
    )
    assert values and all(v.startswith("v") for v in values), values
    category.select_option(values[0])
    page.locator("select[name=tag]").select_option(index=1)
    page.locator("input[name=forms]").first.check()
    page.locator("select[name=source]").select_option(index=1)
    page.fill("input[name=proposer]", "村两委")
    _screenshot(page, tmp_path, "form-phone")
    invalid = page.evaluate(
        "Array.from(document.querySelectorAll('form.topic-form :invalid'))"
        ".map(e => e.name)"
    )
    assert not invalid, invalid
    with page.expect_navigation():
        page.click("button.btn-primary:has-text('保存草稿')")
    _screenshot(page, tmp_path, "saved-phone")
    assert page.locator(".errorlist").count() == 0, page.locator(
        ".errorlist"
    ).all_inner_texts()
    topic = Topic.objects.get(title="村东道路硬化")
    _screenshot(page, tmp_path, "draft-phone")
    with page.expect_navigation():
        page.click("#action-submit button")
    topic.refresh_from_db()
    assert topic.state == State.SUBMITTED

    # The secretary returns it: the reason box opens only for that action.
    desk = open_page(secretary)
    desk.goto(f"{live_server.url}/topics/{topic.pk}/")
    reason = desk.locator("#reason-return_for_revision")
    assert not reason.is_visible()
    desk.click("#action-return_for_revision summary")
    assert reason.is_visible()
    assert not desk.locator("#reason-reject").is_visible()
    reason.fill("请补充预算和施工期间的交通安排。")
    with desk.expect_navigation():
        desk.click("#action-return_for_revision button[type=submit]")
    topic.refresh_from_db()
    assert topic.state == State.DRAFT

    # The clerk sees why on the topic page and submits again.
    page.goto(f"{live_server.url}/topics/{topic.pk}/")
    assert page.locator("text=请补充预算和施工期间的交通安排。").first.is_visible()
    with page.expect_navigation():
        page.click("#action-submit button")
    topic.refresh_from_db()
    assert topic.state == State.SUBMITTED

    # Approving asks for confirmation; dismissing it changes nothing.
    desk.goto(f"{live_server.url}/topics/{topic.pk}/")
    approve = desk.locator("#action-approve button")
    colour = approve.evaluate("b => getComputedStyle(b).backgroundColor")
    assert colour not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), colour
    desk.once("dialog", lambda dialog: dialog.dismiss())
    approve.click()
    desk.wait_for_timeout(300)
    topic.refresh_from_db()
    assert topic.state == State.SUBMITTED
    desk.once("dialog", lambda dialog: dialog.accept())
    with desk.expect_navigation():
        approve.click()
    topic.refresh_from_db()
    assert topic.state == State.PREPARING
    _screenshot(desk, tmp_path, "approved-desktop")
