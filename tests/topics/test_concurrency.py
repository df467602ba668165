"""Two people acting on one topic at once: exactly one of them wins.

Two guards stand in the way of a double transition. The service reads the topic
with ``select_for_update``, so on PostgreSQL the second request waits for the
first to commit and then sees the new state. Where row locks do not exist
(SQLite ignores ``select_for_update``) or a stale copy slips through anyway,
``ConcurrentTransitionMixin`` saves only if the state in the row is still the
one that was read, and the service turns its ``ConcurrentTransition`` into a
``TransitionRefused(conflict=True)``.
"""

import os
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django_fsm import ConcurrentTransition

from committees.models import Role
from core.chain import verify_chain
from core.models import AuditEvent
from tests.factories import BodyFactory, TopicFactory, VillageFactory, user_with_role
from topics import actions
from topics.models import Topic
from topics.services import TransitionRefused, topic_transition
from topics.states import State

LOST_RACE = "该议题刚被他人处理，请刷新后查看最新状态。"


@pytest.fixture
def village():
    return VillageFactory()


@pytest.fixture
def submitted(village):
    return TopicFactory(
        place=village, body=BodyFactory(place=village), state=State.SUBMITTED
    )


def state_in_db(topic) -> str:
    return Topic.objects.values_list("state", flat=True).get(pk=topic.pk)


# -- the optimistic guard (any database) ---------------------------------------


@pytest.mark.django_db
def test_a_stale_copy_cannot_save_over_a_newer_state(submitted):
    """Model level: the second of two copies read before either saved is refused."""
    first = Topic.objects.get(pk=submitted.pk)
    second = Topic.objects.get(pk=submitted.pk)
    first.approve()
    first.save(update_fields=["state"])

    second.reject()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save(update_fields=["state"])

    assert state_in_db(submitted) == State.PREPARING


class StaleRead:
    """Stands in for ``Topic.objects.select_for_update()`` returning an old copy.

    This is what a database without row locks can hand the second of two
    simultaneous requests: the row as it was before the first one committed.
    """

    def __init__(self, copy: Topic):
        self.copy = copy

    def filter(self, **kwargs):
        assert kwargs == {"pk": self.copy.pk}
        return self

    def first(self) -> Topic:
        return self.copy


@pytest.mark.django_db
@pytest.mark.parametrize("second_action", ["approve", "reject"])
def test_service_turns_a_lost_race_into_a_conflict(
    submitted, village, monkeypatch, second_action
):
    """The request that read before the other committed gets a clear 409-style refusal.

    Both secretaries read the topic while it is still submitted; the first
    approves and commits; the second's read is replayed through a patched
    ``select_for_update`` (SQLite has no row locks to make it wait), so only the
    optimistic guard stands between it and a second transition.
    """
    first = user_with_role(Role.VILLAGE_SECRETARY, village)
    second = user_with_role(Role.VILLAGE_SECRETARY, village)
    stale = Topic.objects.get(pk=submitted.pk)
    topic_transition(actor=first, topic_id=submitted.pk, action="approve")

    with monkeypatch.context() as patched, pytest.raises(TransitionRefused) as refused:
        patched.setattr(
            type(Topic.objects), "select_for_update", lambda self: StaleRead(stale)
        )
        topic_transition(
            actor=second, topic_id=submitted.pk, action=second_action, reason="重复"
        )

    assert refused.value.conflict is True
    assert refused.value.message == LOST_RACE
    assert state_in_db(submitted) == State.PREPARING
    events = list(AuditEvent.objects.for_subject(submitted))
    assert [(e.verb, e.actor_id) for e in events] == [("approve", first.pk)]
    assert verify_chain(submitted) == []


# -- real row locks (PostgreSQL) -------------------------------------------------


def _needs_postgresql() -> None:
    if connection.vendor == "postgresql":
        return
    message = f"row locks need PostgreSQL, this run uses {connection.vendor}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("action_a", "action_b"),
    [("approve", "approve"), ("approve", "reject"), ("reject", "return_for_revision")],
)
def test_two_simultaneous_transitions_exactly_one_wins(
    submitted, village, monkeypatch, action_a, action_b
):
    """Two threads act at the same instant; one moves the topic, the other is told.

    The winner holds the row lock a little longer (its deadline lookup is
    slowed), so the loser surely waits on ``select_for_update`` and then reads
    the new state: it learns the topic is no longer awaiting approval.
    """
    _needs_postgresql()
    actors = [
        user_with_role(Role.VILLAGE_SECRETARY, village),
        user_with_role(Role.VILLAGE_SECRETARY, village),
    ]
    original_due_at = actions.due_at

    def slow_due_at(*args, **kwargs):
        time.sleep(0.3)
        return original_due_at(*args, **kwargs)

    monkeypatch.setattr(actions, "due_at", slow_due_at)
    barrier = threading.Barrier(2, timeout=10)
    outcomes: dict[int, object] = {}

    def act(index: int, action: str) -> None:
        try:
            barrier.wait()
            outcomes[index] = topic_transition(
                actor=actors[index],
                topic_id=submitted.pk,
                action=action,
                reason="同时操作",
            )
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=(0, action_a)),
        threading.Thread(target=act, args=(1, action_b)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    winners = [i for i, o in outcomes.items() if isinstance(o, Topic)]
    losers = [i for i, o in outcomes.items() if isinstance(o, TransitionRefused)]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    (winner,), (loser,) = winners, losers
    refusal = outcomes[loser]
    assert refusal.conflict is True
    assert refusal.message.startswith("议题当前处于“"), refusal.message
    assert "不能执行" in refusal.message

    winning_action = (action_a, action_b)[winner]
    events = list(AuditEvent.objects.for_subject(submitted))
    assert [(e.verb, e.actor_id) for e in events] == [
        (winning_action, actors[winner].pk)
    ]
    assert state_in_db(submitted) == outcomes[winner].state
    assert verify_chain(submitted) == []
