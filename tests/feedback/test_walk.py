"""A topic walks from draft to 已归档, through the services and through the pages."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consult.models import Opinion
from core.chain import verify_chain
from core.models import AuditEvent
from feedback.models import (
    Bulletin,
    Decision,
    Disposition,
    PublicNotice,
    Task,
    Vote,
)
from notifications.models import Delivery, DeliveryStatus, Kind
from tests.factories import BodyFactory, PersonFactory
from topics.evidence import missing
from topics.models import Topic
from topics.states import State, Step

from .helpers import ago, consult_steps, end_notices, pdf, png, walk_to_archive

pytestmark = pytest.mark.django_db


def test_walk_through_the_services(village, clerk, secretary, town_clerk, resident):
    topic = walk_to_archive(
        village=village,
        clerk=clerk,
        secretary=secretary,
        town_clerk=town_clerk,
        resident=resident,
    )
    assert topic.state == State.ARCHIVED
    assert [v.passed for v in Vote.objects.filter(topic=topic)] == [False, True]
    assert verify_chain(topic) == []
    # Steps 2-3 are consult's own records, no stand-in: every check holds.
    for step in (Step.PREPARE, Step.CONSULT, Step.ADOPT, Step.FEEDBACK):
        assert missing(topic, step) == []
    verbs = set(AuditEvent.objects.for_subject(topic).values_list("verb", flat=True))
    assert {
        "session_plan",
        "notice_send",
        "receipt_record",
        "material_upload",
        "attendance_mark",
        "session_record",
        "opinion_add",
        "start_consultation",
        "start_adoption",
        "archive",
    } <= verbs
    assert "demo_seed" not in verbs


def client(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def ok(response, status=302):
    assert response.status_code == status, response.content.decode()[:2000]
    return response


def act_post(who, topic, action):
    """Post a transition as the topic page does: with the state the user sees."""
    seen = {"state": Topic.objects.get(pk=topic.pk).state}
    return who.post(reverse("topics:act", args=[topic.pk, action]), seen)


def _draft_to_adopting_on_pages(village, clerk, secretary) -> Topic:
    """Step 1 on the pages, steps 2-3 through consult's services."""
    c, s = client(clerk), client(secretary)
    ok(
        c.post(
            reverse("topics:create"),
            {
                "place": village.pk,
                "body": BodyFactory(place=village).pk,
                "title": "村规民约修订",
                "description": "修订村规民约第三章。",
                "category": "v3",
                "tag": "public_affairs",
                "forms": ["v_meeting"],
                "source": "annual_plan",
                "proposer": "村两委",
                "is_public": "on",
            },
        )
    )
    topic = Topic.objects.get(title="村规民约修订")

    def act(who, action):
        return ok(act_post(who, topic, action))

    act(c, "submit")
    act(s, "approve")
    # Steps 2-3 through consult's services; its pages are walked in tests/consult.
    consult_steps(topic, clerk, people=2, opinions=2)
    topic.refresh_from_db()
    assert topic.state == State.ADOPTING
    return topic


def test_walk_through_the_pages(village, clerk, secretary, town_clerk, resident):
    with ago():
        topic = _draft_to_adopting_on_pages(village, clerk, secretary)
    # Logged in again at the present: sessions of the past have expired.
    c, s, t, r = client(clerk), client(secretary), client(town_clerk), client(resident)

    def act(who, action):
        return ok(act_post(who, topic, action))

    adopt = reverse("feedback:adopt", args=[topic.pk])
    page = ok(c.get(adopt), 200)
    assert "协商意见整理汇总" in page.content.decode()
    opinions = list(Opinion.objects.filter(topic=topic).order_by("pk"))
    # A disposition without a reason is refused on the page, nothing saved.
    refused = ok(
        c.post(
            reverse("feedback:disposition", args=[topic.pk]),
            {"opinion_id": opinions[0].pk, "theme": "罚则", "outcome": "adopted"},
        ),
        400,
    )
    assert "请填写采纳或不采纳的理由。" in refused.content.decode()
    assert not Disposition.objects.exists()
    for opinion, outcome in zip(opinions, ["adopted", "not_adopted"], strict=True):
        ok(
            c.post(
                reverse("feedback:disposition", args=[topic.pk]),
                {
                    "opinion_id": opinion.pk,
                    "theme": "罚则",
                    "outcome": outcome,
                    "reason": "依据法律。",
                },
            )
        )
    rejected = Disposition.objects.get(outcome="not_adopted")
    ok(
        c.post(
            reverse("feedback:explanation", args=[topic.pk]),
            {
                "disposition_id": rejected.pk,
                "explained_by": "村书记",
                "explained_on": timezone.localdate().isoformat(),
                "method": "phone",
                "note": "电话说明。",
            },
        )
    )
    ok(c.post(reverse("feedback:compile", args=[topic.pk]), {"summary": "一个主题。"}))
    ok(
        c.post(
            reverse("feedback:decision", args=[topic.pk]),
            {
                "meeting_date": timezone.localdate().isoformat(),
                "attendees": "两委成员",
                "plan": "修订后的村规民约。",
                "files": [pdf()],
            },
        )
    )
    download = ok(
        c.get(
            reverse(
                "feedback:attachment",
                args=[Decision.objects.get().attachments.get().pk],
            )
        ),
        200,
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")
    vote = {
        "kind": "villager_reps",
        "held_on": timezone.localdate().isoformat(),
        "entitled": 30,
        "present": 25,
        "against": 3,
        "abstain": 2,
    }
    bad = ok(
        c.post(
            reverse("feedback:vote", args=[topic.pk]),
            {**vote, "in_favour": 30},
        ),
        400,
    )
    assert "之和不能多于到会人数" in bad.content.decode()
    ok(c.post(reverse("feedback:vote", args=[topic.pk]), {**vote, "in_favour": 5}))
    refused = act_post(s, topic, "start_feedback")
    assert refused.status_code == 400
    ok(c.post(reverse("feedback:vote", args=[topic.pk]), {**vote, "in_favour": 20}))
    act(s, "start_feedback")

    implement = reverse("feedback:implement", args=[topic.pk])
    ok(c.get(implement), 200)
    person = PersonFactory(place=village)
    ok(
        c.post(
            reverse("feedback:task_create", args=[topic.pk]),
            {
                "description": "印发新村规民约",
                "responsible": person.pk,
                "deadline": (timezone.localdate() + timedelta(days=7)).isoformat(),
            },
        )
    )
    task = Task.objects.get()
    ok(c.get(implement), 200)
    ok(t.post(reverse("feedback:supervise", args=[task.pk]), {"note": "请按期印发。"}))
    over = ok(
        c.post(
            reverse("feedback:progress", args=[task.pk]),
            {
                "percent": 120,
                "reported_on": timezone.localdate().isoformat(),
                "note": "x",
            },
        ),
        400,
    )
    assert "0 到 100" in over.content.decode()
    ok(
        c.post(
            reverse("feedback:progress", args=[task.pk]),
            {
                "percent": 100,
                "reported_on": timezone.localdate().isoformat(),
                "note": "已印发到户。",
                "files": [png()],
            },
        )
    )
    now = timezone.localtime()
    notice_data = {
        "subject": "decision",
        "title": "村规民约修订公示",
        "body": "修订内容如下。",
        "places": [village.pk],
        "starts_at": (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
    }
    short = ok(
        c.post(reverse("feedback:public_notice_create", args=[topic.pk]), notice_data),
        400,
    )
    assert "公示期不能少于 5 天" in short.content.decode()
    # A first notice is withdrawn, a second one runs its period.
    notice_data["ends_at"] = (now + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M")
    ok(c.post(reverse("feedback:public_notice_create", args=[topic.pk]), notice_data))
    first = PublicNotice.objects.get()
    ok(
        c.post(
            reverse("feedback:public_notice_withdraw", args=[first.pk]),
            {"reason": "错别字"},
        )
    )
    ok(c.post(reverse("feedback:public_notice_create", args=[topic.pk]), notice_data))
    notice = PublicNotice.objects.exclude(pk=first.pk).get()
    # The decision 公示 runs while the progress above is reported (§六.5).
    ok(c.post(reverse("feedback:public_notice_cover_progress", args=[notice.pk])))
    ok(
        c.post(
            reverse("feedback:public_notice_photo_add", args=[notice.pk]),
            {"file": png()},
        )
    )

    public = Client()
    page = ok(public.get(reverse("public_notice", args=[notice.public_id])), 200)
    assert "村规民约修订公示" in page.content.decode()
    assert "登录后可提出意见或异议" in page.content.decode()
    ok(public.get(reverse("public_notice", args=[first.public_id])), 404)
    printed = ok(
        public.get(reverse("public_notice_print", args=[notice.public_id])), 200
    )
    assert "data:image/svg+xml" in printed.content.decode()
    ok(
        r.post(
            reverse("public_notice_respond", args=[notice.public_id]),
            {"kind": "objection", "content": "第五条罚款过高。"},
        )
    )
    response = notice.responses.get()
    ok(
        c.post(
            reverse("feedback:response_answer", args=[response.pk]),
            {"answer": "罚款标准已按上级规定调整。"},
        )
    )
    end_notices()
    ok(c.post(reverse("feedback:bulletin", args=[topic.pk])))
    assert Bulletin.objects.filter(topic=topic).count() == 2
    paper = Delivery.objects.filter(
        notification__kind=Kind.BULLETIN, status=DeliveryStatus.QUEUED
    )
    for delivery in paper:
        ok(
            c.post(
                reverse("notifications:receipt", args=[delivery.pk]),
                {"signed_by": "本人"},
            )
        )
    act(c, "archive")
    topic.refresh_from_db()
    assert topic.state == State.ARCHIVED
    ok(c.get(adopt), 200)
    ok(c.get(implement), 200)
