"""Fixtures for steps 2 and 3: a village topic in preparation with its people."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from committees.models import Membership, Role
from consult import services
from tests.factories import (
    ParticipantFactory,
    PersonFactory,
    PlatformFactory,
    TopicFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)
from topics.states import State

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00"
    b"\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82"
)


def pdf(name: str = "方案.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png(name: str = "签到表.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def in_days(days: float):
    return timezone.now() + timedelta(days=days)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def township():
    return TownshipFactory()


@pytest.fixture
def village(township):
    return VillageFactory(parent=township)


@pytest.fixture
def clerk(village):
    return user_with_role(Role.VILLAGE_CLERK, village)


@pytest.fixture
def secretary(village):
    return user_with_role(Role.VILLAGE_SECRETARY, village)


VILLAGE_FORMS = ["v_meeting", "v_talk", "v_written", "v_online"]


@pytest.fixture
def topic(village):
    """Approved for every village form, so each kind of session can be planned."""
    return TopicFactory(place=village, state=State.PREPARING, forms=VILLAGE_FORMS)


@pytest.fixture
def member(topic):
    """A participant with an account (no place role)."""
    user = UserFactory(first_name="王委员")
    person = PersonFactory(name="王委员", user=user)
    ParticipantFactory(topic=topic, person=person, category="masses")
    return user


@pytest.fixture
def participant(topic, member):
    return member.person.participations.get(topic=topic)


@pytest.fixture
def council(village):
    """The village council with four current members and one past member."""
    platform = PlatformFactory(place=village, kind="village_council", name="议事会")
    today = timezone.localdate()
    for i, category in enumerate(
        ["villager_rep", "villager_rep", "merchant", "party_deputy"]
    ):
        Membership.objects.create(
            platform=platform,
            person=PersonFactory(name=f"成员{i}"),
            category=category,
            term_start=today - timedelta(days=100),
        )
    Membership.objects.create(
        platform=platform,
        person=PersonFactory(name="前任成员"),
        category="masses",
        term_start=today - timedelta(days=900),
        term_end=today - timedelta(days=10),
    )
    return platform


def plan(clerk, topic, *, days: float = 10, **extra):
    data = {
        "form": "v_meeting",
        "starts_at": in_days(days),
        "ends_at": in_days(days) + timedelta(hours=2),
        "location": "村委会会议室",
        "agenda": "一、方案说明；二、逐项协商。",
        "host": "李书记",
    }
    data.update(extra)
    return services.session_plan(actor=clerk, topic_id=topic.pk, **data)


def notified_meeting(clerk, topic, *, days: float = 4):
    """A meeting planned ``days`` ahead, its notice sent to the participants now
    (in time for the lead of XST_NOTICE_MIN_DAYS when ``days`` exceeds it)."""
    session = plan(clerk, topic, days=days)
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    return session


def move(topic, state):
    type(topic).objects.filter(pk=topic.pk).update(state=state)
    topic.refresh_from_db()


@pytest.fixture
def written(clerk, topic, participant):
    """A written consultation (书面征询) open from tomorrow for three days."""
    session = plan(
        clerk, topic, days=1, form="v_written", location="", ends_at=in_days(3)
    )
    move(topic, State.CONSULTING)
    return session
