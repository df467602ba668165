"""topic_write: the one lock, seal and step rule for writes to a topic's records."""

import pytest

from core.chain import verify_chain
from core.errors import NotVisible, Sealed, StepClosed
from core.models import AuditEvent
from tests.factories import PersonFactory, TopicFactory
from topics.records import snapshot, topic_event, topic_write
from topics.states import State, Step

pytestmark = pytest.mark.django_db


def write(topic, *, steps=None, correction=False, person=None):
    person = person or PersonFactory()
    with topic_write(topic.pk, steps=steps, correction=correction) as locked:
        person.name = "改后的名字"
        person.save(update_fields=["name"])
        return topic_event(
            locked,
            actor=None,
            verb="participant_edit",
            record=person,
            before={"name": "原名"},
            after=snapshot(person, ["name"]),
            reason="更正" if correction else "",
        )


@pytest.mark.parametrize(
    ("state", "steps", "correction", "allowed"),
    [
        (State.PREPARING, {Step.PREPARE}, False, True),
        (State.PREPARING, {Step.PREPARE, Step.CONSULT}, False, True),
        (State.CONSULTING, {Step.PREPARE}, False, False),
        (State.ADOPTING, {Step.PREPARE}, False, False),
        (State.REJECTED, {Step.PREPARE}, False, False),
        (State.CONSULTING, {Step.PREPARE}, True, True),
        (State.FEEDBACK, None, False, True),
        (State.ARCHIVED, None, False, False),
        (State.ARCHIVED, {Step.FEEDBACK}, True, False),
    ],
)
def test_topic_write_matrix(state, steps, correction, allowed):
    """Sealed refuses everything; another step refuses unless it is a correction."""
    topic = TopicFactory(state=state)
    person = PersonFactory(name="原名")
    if allowed:
        event = write(topic, steps=steps, correction=correction, person=person)
        assert (event.seq, event.record_id, event.subject_id) == (
            1,
            person.pk,
            topic.pk,
        )
        assert event.data == {
            "before": {"name": "原名"},
            "after": {"name": "改后的名字"},
        }
        assert verify_chain(topic) == []
    else:
        expected = Sealed if state == State.ARCHIVED else StepClosed
        with pytest.raises(expected):
            write(topic, steps=steps, correction=correction, person=person)
        assert not AuditEvent.objects.for_subject(topic).exists()
        person.refresh_from_db()
        assert person.name == "原名"


def test_a_sealed_topic_says_why_in_chinese():
    topic = TopicFactory(state=State.ARCHIVED)
    with pytest.raises(Sealed, match="议题已归档"):
        write(topic)


def test_a_closed_step_names_the_current_state():
    topic = TopicFactory(state=State.CONSULTING)
    with pytest.raises(StepClosed, match="当前：开展协商"):
        write(topic, steps={Step.PREPARE})


def test_a_missing_topic_is_not_visible():
    with pytest.raises(NotVisible), topic_write(10**9):
        pass


def test_an_event_about_the_topic_itself_names_no_record():
    topic = TopicFactory()
    with topic_write(topic.pk) as locked:
        event = topic_event(locked, actor=None, verb="edit", record=locked)
    assert (event.record_type_id, event.record_id) == (None, None)
