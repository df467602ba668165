"""seed_demo gives the demo topics of steps 2 and 3 their real records."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from consult.models import Attendance, Opinion, Participant, Session
from core.chain import verify_chain
from core.models import AuditEvent
from demo import consult_data
from notifications.models import Delivery
from topics import evidence
from topics.models import Topic
from topics.states import State, Step

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path, django_capture_on_commit_callbacks):
    """The demo as ``make run`` loads it: queued email and SMS are delivered."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())


def missing(title: str) -> list[str]:
    topic = Topic.objects.get(title=title)
    return [r.code for r in evidence.missing(topic, topic.step)]


def test_one_topic_lacks_only_the_notice_lead_time(seeded):
    topic = Topic.objects.get(title=consult_data.PLAN_TITLE)
    assert topic.state == State.PREPARING
    assert missing(consult_data.PLAN_TITLE) == ["prepare.notices"]


def test_one_topic_is_ready_to_start_the_consultation(seeded):
    assert missing(consult_data.READY_TITLE) == []


def test_topics_in_consultation_have_their_records(seeded):
    river = Topic.objects.get(title=consult_data.RIVER_TITLE)
    assert river.state == State.CONSULTING
    assert evidence.missing(river, Step.PREPARE) == []
    assert missing(consult_data.RIVER_TITLE) == []
    written = Session.objects.get(topic=river, form="t_written")
    answers = Opinion.objects.filter(session=written).count()
    assert 0 < answers < Participant.objects.filter(topic=river).count()
    # The meeting was held but its minutes are not yet typed up.
    assert missing(consult_data.ROAD_TITLE) == ["consult.session"]
    sewer = Topic.objects.get(title=consult_data.SEWER_TITLE)
    assert Opinion.objects.filter(topic=sewer, is_hidden=True).count() == 1
    for topic in (river, sewer):
        assert verify_chain(topic) == []


def test_seeding_again_changes_nothing(seeded):
    counts = (
        Participant.objects.count(),
        Session.objects.count(),
        Opinion.objects.count(),
        AuditEvent.objects.count(),
    )
    call_command("seed_demo", stdout=StringIO())
    assert (
        Participant.objects.count(),
        Session.objects.count(),
        Opinion.objects.count(),
        AuditEvent.objects.count(),
    ) == counts


def test_no_seeded_record_is_dated_in_the_future_where_it_must_be_past(seeded):
    now = timezone.now()
    answers = Opinion.objects.exclude(source="pre")
    assert answers.filter(session__form__endswith="written").count() >= 16
    assert not answers.filter(created_at__gt=now).exists()
    assert not answers.filter(updated_at__gt=now).exists()
    assert not Attendance.objects.filter(recorded_at__gt=now).exists()
    deliveries = Delivery.objects.exclude(sent_at=None)
    assert deliveries.filter(channel="paper").exists()
    assert not deliveries.filter(sent_at__gt=now).exists()
    assert not Delivery.objects.filter(read_at__gt=now).exists()
    assert not Session.objects.filter(recorded_at__gt=now).exists()
