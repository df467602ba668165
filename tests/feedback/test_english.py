"""The step 4-5 pages and the public 公示 pages speak English after the switch."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consult.models import Opinion
from feedback import services
from feedback.models import Outcome

from .helpers import png, to_feedback, today

pytestmark = pytest.mark.django_db

IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LANGUAGE_OPTION = re.compile(r'<option value="[^"]*" lang="[^"]*"[^>]*>[^<]*</option>')


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def chinese_in(html: str) -> list[str]:
    return IDEOGRAPH.findall(LANGUAGE_OPTION.sub("", html))


@pytest.fixture
def ascii_topic(adopting, clerk, secretary, resident):
    """A topic whose own texts are ASCII, so only the interface could be Chinese."""
    from committees.models import Body, Person, Place
    from consult.models import Participant
    from topics.models import Topic

    Topic.objects.filter(pk=adopting.pk).update(
        title="Widen the east road", description="Road", proposer="Villagers"
    )
    Place.objects.filter(pk=adopting.place_id).update(name="East")
    Place.objects.filter(pk=adopting.place.parent_id).update(name="Town")
    Body.objects.filter(pk=adopting.body_id).update(name="Committee")
    Person.objects.update(name="Li")
    # Names on the list are as recorded when added: the list's own copy too.
    Participant.objects.filter(topic=adopting).update(name="Li")
    Opinion.objects.filter(topic=adopting).update(author_name="Li", content="Wider")
    adopting.refresh_from_db()
    for opinion in Opinion.objects.filter(topic=adopting):
        services.disposition_set(
            actor=clerk,
            topic_id=adopting.pk,
            opinion_id=opinion.pk,
            theme="Road",
            outcome=Outcome.PARTLY,
            reason="Budget",
        )
    for d in adopting.dispositions.all():
        services.explanation_add(
            actor=clerk,
            topic_id=adopting.pk,
            disposition_id=d.pk,
            explained_by="Wang",
            explained_on=today(),
            method="face",
            note="Told",
        )
    return adopting


def test_step_pages_in_english(ascii_topic, clerk, secretary, resident):
    client = english(Client())
    client.force_login(clerk)
    adopt = client.get(reverse("feedback:adopt", args=[ascii_topic.pk])).content
    assert chinese_in(adopt.decode()) == []
    services.compilation_save(actor=clerk, topic_id=ascii_topic.pk, summary="Sum")
    services.decision_record(
        actor=clerk,
        topic_id=ascii_topic.pk,
        meeting_date=today(),
        attendees="All",
        plan="Plan",
    )
    to_feedback(ascii_topic, clerk, secretary)
    now = timezone.now()
    notice = services.public_notice_create(
        actor=clerk,
        topic_id=ascii_topic.pk,
        subject="decision",
        title="Notice",
        body="Text",
        place_ids=[ascii_topic.place_id],
        starts_at=now,
        ends_at=now + timedelta(days=6),
    )
    services.public_notice_photo_add(
        actor=clerk, notice_id=notice.pk, upload=png("b.png")
    )
    services.response_submit(
        actor=resident, public_id=notice.public_id, kind="objection", content="No"
    )
    page = client.get(reverse("feedback:implement", args=[ascii_topic.pk]))
    assert chinese_in(page.content.decode()) == []
    public = english(Client())
    html = public.get(reverse("public_notice", args=[notice.public_id])).content
    assert chinese_in(html.decode()) == []
    # The printed sheet is for a Chinese notice board, whatever the reader's choice.
    sheet = public.get(reverse("public_notice_print", args=[notice.public_id]))
    assert "公　示" in sheet.content.decode()
