"""A village topic that has reached step 4 with participants and opinions.

consult/ owns the records of steps 2-3; these fixtures write the few rows
feedback reads (participants, a session, opinions) directly, as the contract
of ``consult.selectors`` describes them.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from committees.models import MemberCategory, Role
from consult.models import Opinion, OpinionSource, Participant, Session
from tests.factories import (
    PersonFactory,
    TopicFactory,
    VillageFactory,
    user_with_role,
)
from topics.catalogue import Category, Form
from topics.states import State


def add_opinions(topic, count: int, *, participants=None) -> list[Opinion]:
    """``count`` opinions of the topic's session, spread over its participants."""
    participants = participants or list(Participant.objects.filter(topic=topic))
    session = Session.objects.filter(topic=topic).first()
    if session is None:
        now = timezone.now()
        session = Session.objects.create(
            topic=topic,
            form=Form.V_MEETING,
            starts_at=now - timedelta(days=2),
            ends_at=now - timedelta(days=2) + timedelta(hours=2),
            location="村委会议室",
            agenda="议程",
            minutes="会议记录",
            consensus="共识",
            recorded_at=now - timedelta(days=2),
        )
    return Opinion.objects.bulk_create(
        [
            Opinion(
                topic=topic,
                source=OpinionSource.SESSION,
                session=session,
                participant=participants[i % len(participants)],
                author=participants[i % len(participants)].person,
                author_name=participants[i % len(participants)].person.name,
                content=f"意见{i}：建议加宽路面。",
            )
            for i in range(count)
        ]
    )


def add_participants(topic, count: int) -> list[Participant]:
    return [
        Participant.objects.create(
            topic=topic,
            person=PersonFactory(place=topic.place),
            category=MemberCategory.MASSES,
        )
        for _ in range(count)
    ]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def village():
    return VillageFactory()


@pytest.fixture
def township(village):
    return village.parent


@pytest.fixture
def clerk(village):
    return user_with_role(Role.VILLAGE_CLERK, village)


@pytest.fixture
def secretary(village):
    return user_with_role(Role.VILLAGE_SECRETARY, village)


@pytest.fixture
def town_clerk(township):
    return user_with_role(Role.TOWNSHIP_CLERK, township)


@pytest.fixture
def town_secretary(township):
    return user_with_role(Role.TOWNSHIP_SECRETARY, township)


@pytest.fixture
def resident(village):
    return user_with_role(Role.RESIDENT, village)


@pytest.fixture
def outsider():
    return user_with_role(Role.VILLAGE_CLERK, VillageFactory())


@pytest.fixture
def adopting(village):
    """A topic in 成果落实 (category V2: no statutory vote by default)."""
    topic = TopicFactory(place=village, state=State.ADOPTING, category=Category.V2)
    add_participants(topic, 3)
    add_opinions(topic, 4)
    return topic


@pytest.fixture
def opinions(adopting):
    return list(Opinion.objects.filter(topic=adopting).order_by("pk"))
