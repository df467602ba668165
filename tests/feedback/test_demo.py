"""seed_demo's topics in steps 4-5 come from real records, and a rerun adds none."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from feedback import models
from topics.evidence import missing
from topics.models import Topic
from topics.states import State, Step

pytestmark = pytest.mark.django_db


def test_demo_topics_of_steps_4_and_5_are_built_from_records():
    call_command("seed_demo", stdout=StringIO())
    counts = {m: m.objects.count() for m in (models.Disposition, models.Task)}
    archived = Topic.objects.filter(state=State.ARCHIVED)
    assert archived.count() >= 2
    for topic in archived:
        assert models.Decision.objects.filter(topic=topic).exists()
        assert missing(topic, Step.FEEDBACK) == []
        assert missing(topic, Step.ADOPT) == []
    for topic in Topic.objects.filter(state=State.FEEDBACK):
        assert missing(topic, Step.ADOPT) == []
        assert models.Task.objects.filter(topic=topic).exists()
    for topic in Topic.objects.filter(state=State.ADOPTING):
        assert models.Disposition.objects.filter(topic=topic).exists()
    votes = list(models.Vote.objects.order_by("pk").values_list("topic_id", "passed"))
    assert any(
        (topic_id, False) in votes and (topic_id, True) in votes
        for topic_id, _passed in votes
    )
    now = timezone.now()
    assert models.PublicNotice.objects.filter(
        status=models.NoticeStatus.PUBLISHED, starts_at__lte=now, ends_at__gt=now
    ).exists()
    call_command("seed_demo", stdout=StringIO())
    assert counts == {m: m.objects.count() for m in counts}
