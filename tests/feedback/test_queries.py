"""Pages of an archived topic run a fixed number of queries whatever its size."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consult.models import Opinion, Participant
from feedback.models import Attachment, Disposition, Explanation, Outcome
from tests.factories import FeedbackProgressFactory, FeedbackTaskFactory
from topics import evidence

from .conftest import add_opinions
from .helpers import walk_to_archive

pytestmark = pytest.mark.django_db


def grow(topic, *, opinions: int, tasks: int, reports: int) -> None:
    """Add opinions (each disposed, half explained), tasks and progress reports."""
    participants = list(Participant.objects.filter(topic=topic))
    added = add_opinions(topic, opinions, participants=participants)
    dispositions = Disposition.objects.bulk_create(
        [
            Disposition(
                topic=topic,
                opinion=o,
                theme=f"主题{i % 7}",
                outcome=Outcome.NOT_ADOPTED if i % 2 else Outcome.ADOPTED,
                reason="理由",
            )
            for i, o in enumerate(added)
        ]
    )
    Explanation.objects.bulk_create(
        [
            Explanation(
                disposition=d,
                explained_by="村主任",
                explained_on=d.decided_at.date(),
                method="face",
                note="说明",
            )
            for d in dispositions
            if d.outcome == Outcome.NOT_ADOPTED
        ]
    )
    made = [FeedbackTaskFactory(topic=topic, status="done") for _ in range(tasks)]
    for i in range(reports):
        report = FeedbackProgressFactory(task=made[i % len(made)], percent=100)
        Attachment.objects.create(
            topic=topic,
            purpose="progress",
            report=report,
            file="feedback/x.png",
            name="x.png",
            content_type="image/png",
            size=1,
            sha256="0" * 64,
        )


def count(browser, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def archived(village, clerk, secretary, town_clerk, resident):
    return walk_to_archive(
        village=village,
        clerk=clerk,
        secretary=secretary,
        town_clerk=town_clerk,
        resident=resident,
    )


@pytest.mark.parametrize(
    "url_name", ["topics:detail", "feedback:adopt", "feedback:implement"]
)
def test_archived_topic_pages_do_not_grow_with_the_records(archived, clerk, url_name):
    browser = Client()
    browser.force_login(clerk)
    kwargs = (
        {"pk": archived.pk}
        if url_name == "topics:detail"
        else {"topic_id": archived.pk}
    )
    url = reverse(url_name, kwargs=kwargs)
    grow(archived, opinions=3, tasks=2, reports=3)
    small = count(browser, url)
    grow(archived, opinions=297, tasks=18, reports=47)
    assert Opinion.objects.filter(topic=archived).count() >= 300
    assert count(browser, url) == small


def test_step_evidence_costs_the_same_for_5_and_50_topics(
    village, clerk, secretary, town_clerk, resident
):
    from tests.factories import TopicFactory
    from topics.models import Topic
    from topics.states import State

    for state in (State.ADOPTING, State.FEEDBACK):
        for _ in range(5):
            TopicFactory(place=village, state=state, category="v4")

    def queries():
        topics = list(Topic.objects.select_related("place"))
        with CaptureQueriesContext(connection) as captured:
            evidence.missing_many(topics)
        return len(captured)

    few = queries()
    for state in (State.ADOPTING, State.FEEDBACK):
        for _ in range(20):
            TopicFactory(place=village, state=state, category="v4")
    assert queries() == few
