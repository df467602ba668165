"""The audit trail: append-only, chained per subject, tampering detected and named."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, transaction

from committees.models import Role
from core.audit import audit_record, chain_problems
from core.chain import verify_chain
from core.models import AppendOnlyError, AuditEvent
from tests.factories import (
    BodyFactory,
    TopicFactory,
    TownshipFactory,
    VillageFactory,
    user_with_role,
)
from topics.services import topic_transition
from topics.states import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic():
    village = VillageFactory()
    return TopicFactory(place=village, body=BodyFactory(place=village))


def seqs(subject) -> list[int]:
    return [item.seq for item in verify_chain(subject)]


def record(subject, n: int, actor=None) -> list[AuditEvent]:
    with transaction.atomic():
        return [
            audit_record(
                subject=subject,
                actor=actor,
                verb=f"step{i}",
                from_state="a",
                to_state="b",
                reason=f"理由{i}",
                data={"i": i, "名单": ["张三", "李四"]},
            )
            for i in range(1, n + 1)
        ]


def test_chain_numbers_and_links_records(topic):
    """Records of one subject are numbered 1..n, each linked to the previous hash."""
    events = record(topic, 4)

    stored = list(AuditEvent.objects.for_subject(topic).order_by("seq"))
    assert [e.seq for e in stored] == [1, 2, 3, 4]
    assert stored[0].prev_hash == ""
    for previous, event in zip(stored, stored[1:], strict=False):
        assert event.prev_hash == previous.hash
    assert [e.hash for e in stored] == [e.hash for e in events]
    assert all(len(e.hash) == 64 for e in stored)
    assert {e.key_id for e in stored} == {"dev"}


def test_stored_records_verify(topic):
    """Hashes recomputed from the rows as read back match: nothing lost in storage."""
    record(topic, 3)
    assert verify_chain(topic) == []
    for event in AuditEvent.objects.for_subject(topic):
        assert event.hash == event.compute_hash()


def test_each_subject_has_its_own_chain(topic):
    other = TownshipFactory()
    record(topic, 2)
    record(other, 3)
    record(topic, 1)
    assert list(
        AuditEvent.objects.for_subject(topic).values_list("seq", flat=True)
    ) == [1, 2, 3]
    assert list(
        AuditEvent.objects.for_subject(other).values_list("seq", flat=True)
    ) == [1, 2, 3]
    assert verify_chain(topic) == verify_chain(other) == []


def test_transitions_extend_the_topics_chain(topic):
    """Each service transition appends one linked record that verifies."""
    clerk = user_with_role(Role.VILLAGE_CLERK, topic.place)
    secretary = user_with_role(Role.VILLAGE_SECRETARY, topic.place)
    topic_transition(actor=clerk, topic_id=topic.pk, action="submit")
    topic_transition(
        actor=secretary,
        topic_id=topic.pk,
        action="return_for_revision",
        reason="请补充资金来源",
    )
    topic_transition(actor=clerk, topic_id=topic.pk, action="submit")
    topic_transition(actor=secretary, topic_id=topic.pk, action="approve")

    events = list(AuditEvent.objects.for_subject(topic).order_by("seq"))
    assert [(e.seq, e.verb, e.actor_id, e.from_state, e.to_state) for e in events] == [
        (1, "submit", clerk.pk, State.DRAFT, State.SUBMITTED),
        (2, "return_for_revision", secretary.pk, State.SUBMITTED, State.DRAFT),
        (3, "submit", clerk.pk, State.DRAFT, State.SUBMITTED),
        (4, "approve", secretary.pk, State.SUBMITTED, State.PREPARING),
    ]
    assert events[1].reason == "请补充资金来源"
    assert verify_chain(topic) == []


def test_the_system_and_anonymous_actors_are_recorded_as_none(topic):
    [by_system] = record(topic, 1)
    [by_anonymous] = record(topic, 1, actor=AnonymousUser())
    assert by_system.actor_id is None
    assert by_anonymous.actor_id is None
    assert verify_chain(topic) == []


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reason", "改过的理由"),
        ("verb", "approve"),
        ("to_state", "archived"),
        ("data", '{"i": 99}'),
    ],
)
def test_changing_a_stored_field_is_detected(topic, column, value):
    """An UPDATE behind the application's back breaks exactly that record's hash."""
    events = record(topic, 3)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE core_auditevent SET {column} = %s WHERE id = %s",
            [value, events[1].pk],
        )
    [broken] = verify_chain(topic)
    assert (broken.seq, broken.event_id, broken.verb, broken.problem) == (
        2,
        events[1].pk,
        value if column == "verb" else "step2",
        "hash",
    )
    assert broken.subject == f"topics.topic:{topic.pk}"


def test_rewriting_a_record_with_a_fresh_hash_breaks_the_next_link(topic):
    """Recomputing the tampered record's own hash still breaks the chain after it."""
    events = record(topic, 3)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.reason = "改过的理由"
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET reason = %s, hash = %s WHERE id = %s",
            [forged.reason, forged.compute_hash(), forged.pk],
        )
    assert [(b.seq, b.event_id, b.problem) for b in verify_chain(topic)] == [
        (3, events[2].pk, "link")
    ]


def test_removing_a_record_is_detected(topic):
    """A gap in the numbering and the broken link name the record after it."""
    events = record(topic, 3)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    assert [(b.seq, b.event_id, b.problem) for b in verify_chain(topic)] == [
        (3, events[2].pk, "seq")
    ]


def test_chain_problems_of_an_empty_chain_is_empty():
    assert chain_problems([]) == []


# -- append-only ---------------------------------------------------------------


def test_saving_an_existing_record_is_refused(topic):
    [event] = record(topic, 1)
    stored = AuditEvent.objects.get(pk=event.pk)
    stored.reason = "改"
    with pytest.raises(AppendOnlyError):
        stored.save()
    assert AuditEvent.objects.get(pk=event.pk).reason == "理由1"


def test_deleting_a_record_is_refused(topic):
    [event] = record(topic, 1)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.get(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_is_refused(topic):
    record(topic, 2)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.for_subject(topic).update(reason="改")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(reason="改")
    assert verify_chain(topic) == []


def test_queryset_delete_is_refused(topic):
    record(topic, 2)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.for_subject(topic).delete()
    assert AuditEvent.objects.for_subject(topic).count() == 2


def test_bulk_update_is_refused(topic):
    events = record(topic, 2)
    for event in events:
        event.reason = "改"
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.bulk_update(events, ["reason"])
    assert verify_chain(topic) == []


def test_two_records_cannot_take_one_position(topic):
    """The unique (subject, seq) constraint stops a forked chain."""
    [first] = record(topic, 1)
    twin = AuditEvent(
        subject_type_id=first.subject_type_id,
        subject_id=first.subject_id,
        seq=1,
        verb="fork",
        prev_hash="",
    )
    twin.hash = twin.compute_hash()
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@pytest.mark.django_db(transaction=True)
def test_audit_record_outside_a_transaction_is_refused(topic):
    """A record must be written in the same transaction as the change it records."""
    with pytest.raises(RuntimeError):
        audit_record(subject=topic, actor=None, verb="orphan")
    assert not AuditEvent.objects.for_subject(topic).exists()
