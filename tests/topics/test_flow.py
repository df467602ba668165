"""Step 1 of the procedure end to end through the pages, as the users log in."""

import pytest
from django.test import Client
from django.urls import reverse

from committees.models import Role
from tests.factories import (
    PASSWORD,
    BodyFactory,
    TownshipFactory,
    VillageFactory,
    user_with_role,
)
from topics.models import Topic
from topics.states import State

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    """A browser that logged in through the login page."""
    browser = Client()
    response = browser.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302, "login failed"
    return browser


def create_and_submit(browser: Client, place, title: str, **fields) -> Topic:
    data = {
        "place": place.pk,
        "body": BodyFactory(place=place).pk,
        "title": title,
        "description": "议题的背景、内容和拟协商的问题。",
        "category": "v4" if place.is_village else "t2",
        "tag": "public_affairs",
        "forms": ["v_meeting", "v_talk"] if place.is_village else ["t_meeting"],
        "source": "annual_plan",
        "proposer": "村两委",
        "planned_start": "",
        "planned_end": "",
        "is_public": "on",
        **fields,
    }
    created = browser.post(reverse("topics:create"), data)
    assert created.status_code == 302, (
        created.context and created.context["form"].errors
    )
    topic = Topic.objects.get(title=title)
    assert created["Location"] == reverse("topics:detail", args=[topic.pk])
    submitted = act(browser, topic, "submit")
    assert submitted.status_code == 302
    topic.refresh_from_db()
    assert topic.state == State.SUBMITTED
    return topic


def act(browser: Client, topic: Topic, action: str, reason: str = ""):
    """Post an action as the page does: with the state the user sees."""
    data = {"state": state_of(topic), **({"reason": reason} if reason else {})}
    return browser.post(reverse("topics:act", args=[topic.pk, action]), data)


def state_of(topic: Topic) -> str:
    topic.refresh_from_db()
    return topic.state


def test_village_topics_are_approved_rejected_and_returned_through_the_pages():
    village = VillageFactory()
    clerk = logged_in(user_with_role(Role.VILLAGE_CLERK, village))
    secretary = logged_in(user_with_role(Role.VILLAGE_SECRETARY, village))

    road = create_and_submit(clerk, village, "硬化村东道路")
    dashboard = secretary.get(reverse("dashboard"))
    assert list(dashboard.context["approvals"].rows) == [road]
    assert "硬化村东道路" in dashboard.content.decode()
    response = act(secretary, road, "approve")
    assert response.status_code == 302
    assert state_of(road) == State.PREPARING
    detail = secretary.get(reverse("topics:detail", args=[road.pk]))
    assert "协商方案" in detail.content.decode()

    pond = create_and_submit(clerk, village, "填平村口水塘")
    refused = act(secretary, pond, "reject")
    assert refused.status_code == 400
    assert "请填写理由。" in refused.content.decode()
    assert state_of(pond) == State.SUBMITTED
    assert act(secretary, pond, "reject", "涉及基本农田,不宜协商").status_code == 302
    assert state_of(pond) == State.REJECTED

    hall = create_and_submit(clerk, village, "新建村民活动中心")
    returned = act(secretary, hall, "return_for_revision", "请补充资金来源")
    assert returned.status_code == 302
    assert state_of(hall) == State.DRAFT
    clerk_dashboard = clerk.get(reverse("dashboard"))
    (draft,) = clerk_dashboard.context["drafts"].rows
    assert (draft, draft.last_transition, draft.last_reason) == (
        hall,
        "return_for_revision",
        "请补充资金来源",
    )
    page = clerk_dashboard.content.decode()
    assert "已退回修改" in page
    assert "请补充资金来源" in page

    # The reason stays in view while the clerk revises, until resubmission.
    edit = clerk.get(reverse("topics:edit", args=[hall.pk])).context["form"]
    revised = {
        **{k: v for k, v in edit.initial.items() if v is not None},
        "title": "新建村民活动中心(附资金来源)",
        "is_public": "on",
    }
    assert (
        clerk.post(reverse("topics:edit", args=[hall.pk]), revised).status_code == 302
    )
    (draft,) = clerk.get(reverse("dashboard")).context["drafts"].rows
    assert draft.last_reason == "请补充资金来源"
    detail = clerk.get(reverse("topics:detail", args=[hall.pk]))
    assert detail.context["banner"].reason == "请补充资金来源"
    assert act(clerk, hall, "submit").status_code == 302
    assert list(clerk.get(reverse("dashboard")).context["drafts"].rows) == []


def test_township_topic_is_approved_by_the_secretary_not_the_deputy():
    township = TownshipFactory()
    clerk = logged_in(user_with_role(Role.TOWNSHIP_CLERK, township))
    deputy = logged_in(user_with_role(Role.TOWNSHIP_DEPUTY, township))
    secretary = logged_in(user_with_role(Role.TOWNSHIP_SECRETARY, township))

    plan = create_and_submit(clerk, township, "编制镇区交通专项规划")
    assert "approvals" not in deputy.get(reverse("dashboard")).context
    page = deputy.get(reverse("topics:detail", args=[plan.pk])).content.decode()
    assert "批准议题" not in page
    assert "退回修改" in page
    assert act(deputy, plan, "approve").status_code == 403
    assert state_of(plan) == State.SUBMITTED

    assert act(deputy, plan, "return_for_revision", "请附上调研报告").status_code == 302
    assert state_of(plan) == State.DRAFT
    assert act(clerk, plan, "submit").status_code == 302

    assert list(secretary.get(reverse("dashboard")).context["approvals"].rows) == [plan]
    assert act(secretary, plan, "approve").status_code == 302
    assert state_of(plan) == State.PREPARING
    history = secretary.get(reverse("topics:detail", args=[plan.pk])).context["history"]
    assert [row.event.verb for row in history] == [
        "create",
        "submit",
        "return_for_revision",
        "submit",
        "approve",
    ]
    assert history[2].event.reason == "请附上调研报告"
