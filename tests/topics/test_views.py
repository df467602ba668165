"""The topic pages: login, who sees what, the forms and the transition endpoint."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from committees.models import Role
from core.audit import audit_record
from core.models import AuditEvent
from tests.factories import (
    PASSWORD,
    BodyFactory,
    TopicFactory,
    TownshipFactory,
    VillageFactory,
    user_with_role,
)
from topics import services
from topics.models import Topic
from topics.services import topic_transition
from topics.states import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def township():
    return TownshipFactory()


@pytest.fixture
def village_a(township):
    return VillageFactory(parent=township, name="村A")


@pytest.fixture
def village_b(township):
    return VillageFactory(parent=township, name="村B")


@pytest.fixture
def clerk_a(village_a):
    return user_with_role(Role.VILLAGE_CLERK, village_a)


@pytest.fixture
def secretary_a(village_a):
    return user_with_role(Role.VILLAGE_SECRETARY, village_a)


def audit_count(topic) -> int:
    return AuditEvent.objects.for_subject(topic).count()


def topic_data(place, **overrides) -> dict:
    data = {
        "place": place.pk,
        "body": BodyFactory(place=place).pk,
        "title": "修缮村文化礼堂",
        "description": "礼堂屋顶漏雨,拟使用村集体资金维修。",
        "category": "v2",
        "tag": "public_welfare",
        "forms": ["v_meeting"],
        "source": "residents",
        "proposer": "村民代表李四",
        "planned_start": "",
        "planned_end": "",
        "is_public": "on",
    }
    data.update(overrides)
    return data


# -- login ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name, args, method",
    [
        ("dashboard", [], "get"),
        ("topics:list", [], "get"),
        ("topics:create", [], "get"),
        ("topics:detail", ["pk"], "get"),
        ("topics:edit", ["pk"], "get"),
        ("topics:act", ["pk", "submit"], "post"),
    ],
)
def test_anonymous_users_are_sent_to_the_login_page(client, url_name, args, method):
    topic = TopicFactory()
    url = reverse(url_name, args=[topic.pk if a == "pk" else a for a in args])
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"
    assert topic.state == Topic.objects.get(pk=topic.pk).state


def test_login_page_logs_the_user_in_with_username_and_password(client, clerk_a):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert "登录协商通" in page.content.decode()
    response = client.post(
        reverse("login"), {"username": clerk_a.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_login_with_a_wrong_password_shows_a_chinese_error(client, clerk_a):
    response = client.post(
        reverse("login"), {"username": clerk_a.username, "password": "wrong"}
    )
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302


# -- who sees what -------------------------------------------------------------


def test_village_clerk_gets_404_for_another_villages_draft(client, clerk_a, village_b):
    other = TopicFactory(place=village_b, title="别村草稿")
    before = audit_count(other)
    client.force_login(clerk_a)
    assert client.get(reverse("topics:detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("topics:edit", args=[other.pk])).status_code == 404
    response = client.post(
        reverse("topics:edit", args=[other.pk]), topic_data(village_b, title="改")
    )
    assert response.status_code == 404
    act = client.post(
        reverse("topics:act", args=[other.pk, "submit"]), {"state": State.DRAFT}
    )
    assert act.status_code == 404
    other.refresh_from_db()
    assert (other.state, other.title) == (State.DRAFT, "别村草稿")
    assert audit_count(other) == before


def test_township_clerk_sees_its_villages_but_not_another_townships(
    client, township, village_a
):
    clerk = user_with_role(Role.TOWNSHIP_CLERK, township)
    own = TopicFactory(place=village_a, title="本镇村议题")
    foreign = TopicFactory(place=VillageFactory(), title="外镇村议题")
    client.force_login(clerk)
    assert client.get(reverse("topics:detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("topics:detail", args=[foreign.pk])).status_code == 404
    listing = client.get(reverse("topics:list")).content.decode()
    assert "本镇村议题" in listing
    assert "外镇村议题" not in listing


# -- the transition endpoint ----------------------------------------------------


@pytest.mark.parametrize(
    "role, granted_on, topic_on, state, action, expected",
    [
        # cannot see the topic: 404
        (Role.VILLAGE_CLERK, "village_a", "village_b", State.DRAFT, "submit", 404),
        (
            Role.VILLAGE_SECRETARY,
            "village_a",
            "village_b",
            State.SUBMITTED,
            "approve",
            404,
        ),
        (
            Role.VILLAGE_SECRETARY,
            "village_a",
            "village_b",
            State.PREPARING,
            "withdraw",
            404,
        ),
        (Role.MEMBER, "village_a", "village_a", State.DRAFT, "submit", 404),
        # sees it, may not act: 403
        (Role.VILLAGE_CLERK, "village_a", "village_a", State.SUBMITTED, "approve", 403),
        (Role.VILLAGE_CLERK, "village_a", "village_a", State.SUBMITTED, "reject", 403),
        (
            Role.VILLAGE_CLERK,
            "village_a",
            "village_a",
            State.PREPARING,
            "withdraw",
            403,
        ),
        (Role.TOWNSHIP_CLERK, "township", "village_a", State.SUBMITTED, "approve", 403),
        (Role.TOWNSHIP_DEPUTY, "township", "village_a", State.DRAFT, "submit", 403),
        (Role.TOWNSHIP_DEPUTY, "township", "township", State.SUBMITTED, "approve", 403),
        (Role.TOWNSHIP_DEPUTY, "township", "township", State.SUBMITTED, "reject", 403),
        (
            Role.TOWNSHIP_DEPUTY,
            "township",
            "township",
            State.PREPARING,
            "withdraw",
            403,
        ),
    ],
)
def test_handcrafted_posts_without_permission_change_nothing(
    request, client, role, granted_on, topic_on, state, action, expected
):
    user = user_with_role(role, request.getfixturevalue(granted_on))
    topic = TopicFactory(place=request.getfixturevalue(topic_on), state=state)
    before = audit_count(topic)
    client.force_login(user)
    response = client.post(
        reverse("topics:act", args=[topic.pk, action]),
        {"state": state, "reason": "理由"},
    )
    assert response.status_code == expected
    topic.refresh_from_db()
    assert topic.state == state
    assert audit_count(topic) == before


def test_refusals_render_the_chinese_error_pages(client, clerk_a, village_a, village_b):
    client.force_login(clerk_a)
    hidden = TopicFactory(place=village_b, state=State.SUBMITTED)
    seen = {"state": State.SUBMITTED}
    not_found = client.post(reverse("topics:act", args=[hidden.pk, "approve"]), seen)
    assert "页面不存在" in not_found.content.decode()
    own = TopicFactory(place=village_a, state=State.SUBMITTED)
    denied = client.post(reverse("topics:act", args=[own.pk, "approve"]), seen)
    assert denied.status_code == 403
    assert "您没有执行该操作的权限" in denied.content.decode()


def test_act_accepts_only_post(client, clerk_a, village_a):
    topic = TopicFactory(place=village_a)
    client.force_login(clerk_a)
    response = client.get(reverse("topics:act", args=[topic.pk, "submit"]))
    assert response.status_code == 405
    topic.refresh_from_db()
    assert topic.state == State.DRAFT


def test_act_with_an_unknown_action_is_404(client, clerk_a, village_a):
    topic = TopicFactory(place=village_a)
    client.force_login(clerk_a)
    response = client.post(reverse("topics:act", args=[topic.pk, "delete"]))
    assert response.status_code == 404


def test_act_in_the_wrong_state_is_409_with_the_reason(client, secretary_a, village_a):
    topic = TopicFactory(place=village_a, state=State.DRAFT)
    client.force_login(secretary_a)
    response = client.post(
        reverse("topics:act", args=[topic.pk, "approve"]), {"state": State.DRAFT}
    )
    assert response.status_code == 409
    assert "议题当前处于“草稿”，不能执行“批准议题”" in response.content.decode()
    topic.refresh_from_db()
    assert topic.state == State.DRAFT


def test_act_with_missing_evidence_is_400_and_says_what_is_missing(
    client, clerk_a, village_a
):
    topic = TopicFactory(place=village_a, state=State.PREPARING)
    before = audit_count(topic)
    client.force_login(clerk_a)
    response = client.post(
        reverse("topics:act", args=[topic.pk, "start_consultation"]),
        {"state": State.PREPARING},
    )
    assert response.status_code == 400
    assert "还缺少" in response.content.decode()
    assert "协商方案" in response.content.decode()
    topic.refresh_from_db()
    assert topic.state == State.PREPARING
    assert audit_count(topic) == before


def test_act_with_an_overlong_reason_is_400_and_keeps_the_text(
    client, secretary_a, village_a
):
    topic = TopicFactory(place=village_a, state=State.SUBMITTED)
    client.force_login(secretary_a)
    reason = "理" * 1001
    response = client.post(
        reverse("topics:act", args=[topic.pk, "reject"]),
        {"state": State.SUBMITTED, "reason": reason},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "理由不能超过 1000 个字（现在 1001 个）。" in page
    assert f">{reason}</textarea>" in page
    topic.refresh_from_db()
    assert topic.state == State.SUBMITTED
    assert audit_count(topic) == 0


def test_act_success_redirects_with_a_chinese_message(client, clerk_a, village_a):
    topic = TopicFactory(place=village_a)
    client.force_login(clerk_a)
    response = client.post(
        reverse("topics:act", args=[topic.pk, "submit"]),
        {"state": State.DRAFT},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("topics:detail", args=[topic.pk]), 302)]
    assert "已完成“提交审批”" in response.content.decode()
    topic.refresh_from_db()
    assert topic.state == State.SUBMITTED


# -- the detail page ------------------------------------------------------------


def test_detail_offers_the_clerk_submit_but_not_approve(client, clerk_a, village_a):
    topic = TopicFactory(place=village_a)
    client.force_login(clerk_a)
    page = client.get(reverse("topics:detail", args=[topic.pk])).content.decode()
    assert "提交审批" in page
    assert reverse("topics:act", args=[topic.pk, "submit"]) in page
    assert "批准议题" not in page
    assert reverse("topics:edit", args=[topic.pk]) in page


def test_detail_offers_the_secretary_approve_on_a_submitted_topic(
    client, clerk_a, secretary_a, village_a
):
    topic = TopicFactory(place=village_a, state=State.SUBMITTED)
    client.force_login(secretary_a)
    page = client.get(reverse("topics:detail", args=[topic.pk])).content.decode()
    for action in ("approve", "reject", "return_for_revision", "withdraw"):
        assert reverse("topics:act", args=[topic.pk, action]) in page
    assert "批准议题" in page
    assert 'name="reason"' in page
    assert reverse("topics:edit", args=[topic.pk]) not in page
    client.force_login(clerk_a)
    page = client.get(reverse("topics:detail", args=[topic.pk])).content.decode()
    assert "批准议题" not in page
    assert reverse("topics:act", args=[topic.pk, "submit"]) not in page


def test_detail_shows_the_missing_evidence_and_disables_the_next_step(
    client, clerk_a, village_a
):
    topic = TopicFactory(place=village_a, state=State.PREPARING)
    client.force_login(clerk_a)
    response = client.get(reverse("topics:detail", args=[topic.pk]))
    page = response.content.decode()
    assert "协商方案（形式、时间、地点、议程）" in page
    missing = response.context["missing"]
    assert str(missing[0].requirement.label).startswith("协商方案")
    (choice,) = response.context["actions"]
    assert choice.action.name == "start_consultation"
    assert not choice.enabled
    assert "disabled" in page


def test_detail_shows_fields_progress_and_history(client, clerk_a, village_a):
    topic = TopicFactory(place=village_a)
    with transaction.atomic():
        audit_record(subject=topic, actor=clerk_a, verb="create", to_state="draft")
    topic_transition(actor=clerk_a, topic_id=topic.pk, action="submit")
    client.force_login(clerk_a)
    response = client.get(reverse("topics:detail", args=[topic.pk]))
    page = response.content.decode()
    for text in ("村庄建设规划编制和调整", "民生热点难点问题", "会议协商", "群众提出"):
        assert text in page
    assert [s.status for s in response.context["steps"]] == ["current", "", "", "", ""]
    rows = response.context["history"]
    assert [(r.label, r.from_label, r.to_label) for r in rows] == [
        ("创建议题", "", "草稿"),
        ("提交审批", "草稿", "待审批"),
    ]


def test_detail_progress_shows_where_a_rejected_topic_ended(
    client, secretary_a, village_a
):
    topic = TopicFactory(place=village_a, state=State.PREPARING)
    topic_transition(
        actor=secretary_a, topic_id=topic.pk, action="withdraw", reason="情况变化"
    )
    client.force_login(secretary_a)
    response = client.get(reverse("topics:detail", args=[topic.pk]))
    assert [s.status for s in response.context["steps"]] == [
        "done",
        "ended",
        "",
        "",
        "",
    ]
    assert response.context["actions"] == []
    assert "情况变化" in response.content.decode()


def test_detail_progress_of_an_archived_topic_is_complete(client, clerk_a, village_a):
    topic = TopicFactory(place=village_a, state=State.ARCHIVED)
    client.force_login(clerk_a)
    response = client.get(reverse("topics:detail", args=[topic.pk]))
    assert {s.status for s in response.context["steps"]} == {"done"}


# -- create and edit ---------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"title": ""}, "title", "请填写“议题标题”。"),
        (
            {"title": "长" * 121},
            "title",
            "“议题标题”不能超过 120 个字（现在 121 个）。",
        ),
        (
            {"category": "t1"},
            "category",
            "所选的“议题类别”不在可选范围内，请重新选择。",
        ),
        (
            {"forms": ["t_meeting"]},
            "forms",
            "所选的“协商形式”不在可选范围内，请重新选择。",
        ),
        ({"title": "第一行\r\nBcc: x@example.com"}, "title", "此处只能填写一行文字"),
        ({"proposer": "张三\n李四"}, "proposer", "此处只能填写一行文字"),
        ({"description": "坏\x00内容"}, "description", "不可见的控制字符"),
        ({"planned_start": "0001-01-01"}, "planned_start", "日期须在 2000-01-01 至"),
        ({"planned_end": "9999-12-31"}, "planned_end", "日期须在 2000-01-01 至"),
        (
            {"planned_start": "2025-06-10", "planned_end": "2025-06-01"},
            "planned_end",
            "计划完成日期不能早于计划协商日期。",
        ),
    ],
)
def test_create_form_errors_are_shown_in_chinese_and_nothing_is_saved(
    client, clerk_a, village_a, overrides, field, message
):
    client.force_login(clerk_a)
    response = client.post(reverse("topics:create"), topic_data(village_a, **overrides))
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors[field])
    assert message in response.content.decode()
    assert Topic.objects.count() == 0


def test_create_refuses_a_body_of_another_place(client, clerk_a, village_a, village_b):
    client.force_login(clerk_a)
    data = topic_data(village_a, body=BodyFactory(place=village_b).pk)
    response = client.post(reverse("topics:create"), data)
    assert response.status_code == 200
    assert "body" in response.context["form"].errors
    assert Topic.objects.count() == 0


def test_create_offers_only_the_places_the_user_drafts_in(
    client, clerk_a, village_a, village_b
):
    client.force_login(clerk_a)
    form = client.get(reverse("topics:create")).context["form"]
    assert [c[0] for c in form.fields["place"].choices] == ["", village_a.pk]
    response = client.post(reverse("topics:create"), topic_data(village_b))
    assert "place" in response.context["form"].errors
    assert Topic.objects.count() == 0


def test_create_saves_a_draft_through_the_service(client, clerk_a, village_a):
    client.force_login(clerk_a)
    response = client.post(
        reverse("topics:create"),
        topic_data(village_a, planned_start="2025-06-01", planned_end="2025-07-01"),
    )
    topic = Topic.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("topics:detail", args=[topic.pk])
    assert (topic.place, topic.state, topic.created_by) == (
        village_a,
        State.DRAFT,
        clerk_a,
    )
    assert topic.forms == ["v_meeting"]
    assert list(
        AuditEvent.objects.for_subject(topic).values_list("verb", flat=True)
    ) == ["create"]


def test_create_is_forbidden_to_users_who_draft_nowhere(client, village_a):
    member = user_with_role(Role.MEMBER, village_a)
    client.force_login(member)
    assert client.get(reverse("topics:create")).status_code == 403
    assert (
        client.post(reverse("topics:create"), topic_data(village_a)).status_code == 403
    )
    assert Topic.objects.count() == 0


def test_edit_saves_a_draft_through_the_service(client, clerk_a, village_a):
    topic = TopicFactory(place=village_a, created_by=clerk_a)
    client.force_login(clerk_a)
    form = client.get(reverse("topics:edit", args=[topic.pk])).context["form"]
    assert "place" not in form.fields
    assert form.initial["title"] == topic.title
    response = client.post(
        reverse("topics:edit", args=[topic.pk]), topic_data(village_a, title="新标题")
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.title == "新标题"
    event = AuditEvent.objects.for_subject(topic).get()
    assert event.verb == "edit"
    assert "title" in event.data["fields"]


def test_edit_refusing_the_other_levels_catalogue_changes_nothing(
    client, clerk_a, village_a
):
    topic = TopicFactory(place=village_a, created_by=clerk_a)
    client.force_login(clerk_a)
    response = client.post(
        reverse("topics:edit", args=[topic.pk]),
        topic_data(village_a, title="新标题", category="t3"),
    )
    assert response.status_code == 200
    assert "所选的“议题类别”不在可选范围内" in response.content.decode()
    topic.refresh_from_db()
    assert topic.title != "新标题"
    assert audit_count(topic) == 0


def test_edit_after_submit_is_refused_and_changes_nothing(client, clerk_a, village_a):
    topic = TopicFactory(place=village_a, state=State.SUBMITTED, title="原标题")
    client.force_login(clerk_a)
    page = client.get(reverse("topics:edit", args=[topic.pk]))
    assert page.status_code == 409
    assert "只有草稿可以修改" in page.content.decode()
    response = client.post(
        reverse("topics:edit", args=[topic.pk]), topic_data(village_a, title="新标题")
    )
    assert response.status_code == 409
    topic.refresh_from_db()
    assert (topic.title, topic.state) == ("原标题", State.SUBMITTED)
    assert audit_count(topic) == 0


def test_edit_refused_when_submitted_while_the_form_was_open(
    client, clerk_a, village_a, monkeypatch
):
    topic = TopicFactory(place=village_a, created_by=clerk_a, title="原标题")
    update = services.topic_update

    def submitted_meanwhile(**kwargs):
        topic_transition(actor=clerk_a, topic_id=topic.pk, action="submit")
        return update(**kwargs)

    monkeypatch.setattr(services, "topic_update", submitted_meanwhile)
    client.force_login(clerk_a)
    response = client.post(
        reverse("topics:edit", args=[topic.pk]), topic_data(village_a, title="新标题")
    )
    assert response.status_code == 409
    assert "只有草稿可以修改" in response.content.decode()
    topic.refresh_from_db()
    assert (topic.title, topic.state) == ("原标题", State.SUBMITTED)


def test_edit_is_forbidden_to_who_sees_but_does_not_draft(client, township, village_a):
    deputy = user_with_role(Role.TOWNSHIP_DEPUTY, township)
    topic = TopicFactory(place=village_a, title="原标题")
    client.force_login(deputy)
    assert client.get(reverse("topics:detail", args=[topic.pk])).status_code == 200
    assert client.get(reverse("topics:edit", args=[topic.pk])).status_code == 403
    response = client.post(
        reverse("topics:edit", args=[topic.pk]), topic_data(village_a, title="新标题")
    )
    assert response.status_code == 403
    topic.refresh_from_db()
    assert topic.title == "原标题"


# -- the dashboard ------------------------------------------------------------------


def test_dashboard_for_users_without_place_permissions_points_to_the_inbox(
    client, village_a
):
    member = user_with_role(Role.MEMBER, village_a)
    client.force_login(member)
    response = client.get(reverse("dashboard"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "您目前没有需要办理的议题" in page
    assert reverse("notifications:inbox") in page
    assert "逾期议题" not in page


def test_dashboard_lists_overdue_topics_most_overdue_first(
    client, clerk_a, village_a, village_b
):
    now = timezone.now()
    TopicFactory(
        place=village_a,
        state=State.PREPARING,
        title="逾期几小时",
        step_due_at=now - timedelta(hours=5),
    )
    TopicFactory(
        place=village_a,
        state=State.CONSULTING,
        title="逾期十天",
        step_due_at=now - timedelta(days=10),
    )
    TopicFactory(
        place=village_a,
        state=State.ADOPTING,
        title="尚未到期",
        step_due_at=now + timedelta(days=1),
    )
    TopicFactory(
        place=village_a,
        state=State.ARCHIVED,
        title="已归档的",
        step_due_at=now - timedelta(days=3),
    )
    TopicFactory(
        place=village_b,
        state=State.PREPARING,
        title="别村逾期",
        step_due_at=now - timedelta(days=3),
    )
    client.force_login(clerk_a)
    response = client.get(reverse("dashboard"))
    rows = response.context["overdue"].rows
    assert [(t.title, days) for t, days in rows] == [
        ("逾期十天", 10),
        ("逾期几小时", 1),
    ]
    page = response.content.decode()
    assert "逾期 10 天" in page
    assert "逾期 1 天" in page
    assert "别村逾期" not in page


def test_dashboard_shows_approvals_and_the_village_summary_to_the_township_secretary(
    client, township, village_a, village_b
):
    secretary = user_with_role(Role.TOWNSHIP_SECRETARY, township)
    own = TopicFactory(place=township, state=State.SUBMITTED, title="镇级待批")
    TopicFactory(place=village_a, state=State.SUBMITTED, title="村级待批")
    TopicFactory(
        place=village_b,
        state=State.PREPARING,
        step_due_at=timezone.now() - timedelta(days=1),
    )
    client.force_login(secretary)
    response = client.get(reverse("dashboard"))
    assert list(response.context["approvals"].rows) == [own]
    summary = {
        v.name: (v.active_count, v.submitted_count, v.overdue_count)
        for v in response.context["villages"]
    }
    assert summary == {"村A": (0, 1, 0), "村B": (1, 0, 1)}
    assert "各村议题概况" in response.content.decode()


def test_dashboard_lists_show_the_first_20_and_link_to_the_rest(
    client, secretary_a, village_a
):
    TopicFactory.create_batch(21, place=village_a, state=State.SUBMITTED)
    client.force_login(secretary_a)
    response = client.get(reverse("dashboard"))
    approvals = response.context["approvals"]
    assert (len(approvals.rows), approvals.more) == (20, True)
    assert f"{reverse('topics:list')}?state=submitted" in response.content.decode()


def test_dashboard_of_a_village_clerk_has_no_approvals_or_summary(
    client, clerk_a, village_a
):
    TopicFactory(place=village_a, state=State.SUBMITTED)
    client.force_login(clerk_a)
    response = client.get(reverse("dashboard"))
    assert "approvals" not in response.context
    assert "villages" not in response.context
    assert "in_progress" in response.context
    assert "drafts" in response.context


def test_dashboard_lists_running_topics_with_their_missing_evidence(
    client, clerk_a, village_a
):
    topic = TopicFactory(place=village_a, state=State.PREPARING)
    client.force_login(clerk_a)
    response = client.get(reverse("dashboard"))
    ((listed, missing),) = response.context["in_progress"].rows
    assert listed == topic
    assert "prepare.plan" in [r.code for r in missing]
    assert "协商方案" in response.content.decode()


# -- the list ------------------------------------------------------------------------


def test_list_filters_by_state_place_and_category(
    client, township, village_a, village_b
):
    clerk = user_with_role(Role.TOWNSHIP_CLERK, township)
    TopicFactory(place=village_a, state=State.DRAFT, title="甲草稿")
    TopicFactory(place=village_a, state=State.SUBMITTED, title="甲待批")
    TopicFactory(place=village_b, state=State.SUBMITTED, title="乙待批")
    TopicFactory(place=township, state=State.SUBMITTED, title="镇待批")
    client.force_login(clerk)

    def titles(**params):
        response = client.get(reverse("topics:list"), params)
        return {t.title for t in response.context["page"].object_list}

    assert titles() == {"甲草稿", "甲待批", "乙待批", "镇待批"}
    assert titles(state="submitted") == {"甲待批", "乙待批", "镇待批"}
    assert titles(state="submitted", place=village_a.pk) == {"甲待批"}
    assert titles(category="t2") == {"镇待批"}


def test_list_place_choices_are_limited_to_visible_places(client, clerk_a, village_a):
    foreign = VillageFactory()
    TopicFactory(place=foreign, title="外村议题")
    TopicFactory(place=village_a, title="本村议题")
    client.force_login(clerk_a)
    response = client.get(reverse("topics:list"), {"place": foreign.pk})
    place_field = response.context["filter"].form.fields["place"]
    assert list(place_field.queryset) == [village_a]
    assert "place" in response.context["filter"].form.errors
    assert {t.title for t in response.context["page"].object_list} == {"本村议题"}


def test_list_is_paginated_by_25_and_keeps_the_filter(client, clerk_a, village_a):
    TopicFactory.create_batch(27, place=village_a, state=State.DRAFT)
    TopicFactory(place=village_a, state=State.SUBMITTED)
    client.force_login(clerk_a)
    first = client.get(reverse("topics:list"), {"state": "draft"})
    assert len(first.context["page"].object_list) == 25
    assert "?state=draft&amp;page=2" in first.content.decode()
    second = client.get(reverse("topics:list"), {"state": "draft", "page": 2})
    assert len(second.context["page"].object_list) == 2


# -- language ------------------------------------------------------------------------


def test_pages_are_chinese_by_default_and_english_on_request(client, clerk_a):
    client.force_login(clerk_a)
    page = client.get(reverse("topics:list")).content.decode()
    assert '<html lang="zh-CN">' in page
    assert "协商议题" in page
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("topics:list")}
    )
    assert response.status_code == 302
    assert '<html lang="en">' in client.get(reverse("topics:list")).content.decode()
