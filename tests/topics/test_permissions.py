"""The topic gate's predicates all read (user, topic); django-fsm gets an adapter."""

import inspect

import pytest

from committees.models import Role
from tests.factories import TopicFactory, VillageFactory, user_with_role
from topics import permissions
from topics.states import State

pytestmark = pytest.mark.django_db

PREDICATES = [
    name
    for name, func in vars(permissions).items()
    if name.startswith("can_") and inspect.isfunction(func)
]


@pytest.mark.parametrize("name", PREDICATES)
def test_every_predicate_takes_the_user_first(name):
    params = list(inspect.signature(getattr(permissions, name)).parameters)
    assert params[0] == "user"


def test_the_transitions_ask_the_predicates_with_the_user_first():
    village = VillageFactory()
    topic = TopicFactory(place=village, state=State.PREPARING)
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    stranger = user_with_role(Role.VILLAGE_CLERK, VillageFactory())

    # The permission alone: the step's evidence (conditions=) is not there yet.
    meta = topic.start_consultation._django_fsm
    assert permissions.can_run(clerk, topic)
    assert meta.has_transition_perm(topic, topic.state, clerk)
    assert not meta.has_transition_perm(topic, topic.state, stranger)
