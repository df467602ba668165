"""The public selectors other apps build on (the feedback helper's contract)."""

import pytest

from consult.selectors import participant_topic_ids, topic_opinions, topic_participants
from tests.factories import (
    OpinionFactory,
    ParticipantFactory,
    PersonFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_topic_opinions_count_only_the_visible_ones(django_assert_num_queries):
    topic = TopicFactory()
    shown = OpinionFactory(topic=topic)
    OpinionFactory(topic=topic, is_hidden=True, hidden_reason="广告")
    OpinionFactory(topic=TopicFactory())
    with django_assert_num_queries(1):
        rows = list(topic_opinions([topic.pk]))
        assert [o.pk for o in rows] == [shown.pk]
        assert rows[0].session is None and rows[0].author is None


def test_topic_participants_and_the_users_invitations():
    user = UserFactory()
    person = PersonFactory(user=user)
    mine = ParticipantFactory(person=person)
    ParticipantFactory(topic=mine.topic)
    ParticipantFactory()
    assert [p.topic_id for p in topic_participants([mine.topic_id])] == [
        mine.topic_id,
        mine.topic_id,
    ]
    assert participant_topic_ids(user) == {mine.topic_id}
    assert participant_topic_ids(UserFactory()) == set()
