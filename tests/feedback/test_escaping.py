"""A resident's online comment reaches the adopt page escaped, never as markup."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consult import services as consult
from consult.models import Opinion
from feedback import services
from tests.factories import TopicFactory
from topics.catalogue import Category, Form
from topics.models import Topic
from topics.states import State

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"


def move(topic, state) -> None:
    Topic.objects.filter(pk=topic.pk).update(state=state)


def test_resident_comment_is_escaped_on_the_adopt_page(village, clerk, resident):
    topic = TopicFactory(
        place=village,
        state=State.PREPARING,
        category=Category.V2,
        forms=[Form.V_ONLINE],
    )
    opens = timezone.now() + timedelta(days=1)
    online = consult.session_plan(
        actor=clerk,
        topic_id=topic.pk,
        form=Form.V_ONLINE,
        starts_at=opens,
        ends_at=opens + timedelta(days=3),
        agenda="网上征求意见。",
    )
    move(topic, State.CONSULTING)
    with time_machine.travel(opens + timedelta(hours=1), tick=False):
        browser = Client()
        browser.force_login(resident)
        browser.post(
            reverse("consult:comment", kwargs={"session_id": online.pk}),
            {"content": SCRIPT},
        )
    comment = Opinion.objects.get(topic=topic)
    assert comment.content == SCRIPT
    move(topic, State.ADOPTING)
    services.disposition_set(
        actor=clerk,
        topic_id=topic.pk,
        opinion_id=comment.pk,
        theme="<b>主题</b>",
        outcome="not_adopted",
        reason="<img src=x onerror=alert(1)>",
    )
    browser = Client()
    browser.force_login(clerk)
    page = browser.get(reverse("feedback:adopt", kwargs={"topic_id": topic.pk}))
    assert page.status_code == 200
    text = page.content.decode()
    assert "&lt;script&gt;alert" in text
    assert "<script>alert" not in text
    assert "<b>主题</b>" not in text and "&lt;b&gt;主题&lt;/b&gt;" in text
    assert "<img src=x" not in text and "&lt;img src=x" in text
