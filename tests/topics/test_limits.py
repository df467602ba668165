"""Step limits change through step_limit_set: audited, open deadlines move."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from committees.models import Role
from core.audit import verb_label
from core.chain import verify_chain
from core.models import AuditEvent
from tests.factories import (
    TopicFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)
from topics.limits import step_limit_clear, step_limit_set
from topics.models import StepLimit, Topic
from topics.states import DEFAULT_STEP_LIMITS, State

pytestmark = pytest.mark.django_db

ENTERED = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def township():
    return TownshipFactory()


@pytest.fixture
def village(township):
    return VillageFactory(parent=township)


def _preparing(place, **kw):
    days = DEFAULT_STEP_LIMITS[State.PREPARING][0]
    return TopicFactory(
        place=place,
        state=State.PREPARING,
        state_changed_at=ENTERED,
        step_due_at=ENTERED + datetime.timedelta(days=days),
        **kw,
    )


def _due(topic) -> datetime.datetime:
    return Topic.objects.get(pk=topic.pk).step_due_at


def test_setting_a_limit_moves_the_deadline_of_topics_in_that_state(village):
    admin = user_with_role(Role.ADMINISTRATOR, village.parent)
    moved = _preparing(village)
    other_state = TopicFactory(place=village, state=State.CONSULTING, step_due_at=None)
    elsewhere = _preparing(VillageFactory(parent=village.parent))

    limit = step_limit_set(
        actor=admin,
        place=village,
        state=State.PREPARING,
        max_days=10,
        remind_before_days=2,
    )

    assert _due(moved) == ENTERED + datetime.timedelta(days=10)
    assert _due(other_state) is None
    assert _due(elsewhere) == ENTERED + datetime.timedelta(days=20)
    event = AuditEvent.objects.for_subject(moved).order_by("-seq").first()
    assert (event.verb, event.actor, event.record_id) == (
        "step_due_moved",
        admin,
        limit.pk,
    )
    assert event.data["before"]["step_due_at"].startswith("2026-03-21")
    assert event.data["after"]["step_due_at"].startswith("2026-03-11")
    assert verify_chain(moved) == []
    own = AuditEvent.objects.for_subject(limit).get()
    assert own.verb == "step_limit_set"
    assert own.data["before"] is None
    assert own.data["after"] == {"max_days": 10, "remind_before_days": 2}
    assert verb_label("step_due_moved") != "step_due_moved"


def test_a_township_limit_reaches_villages_without_their_own(township, village):
    own_limit_village = VillageFactory(parent=township)
    step_limit_set(
        actor=None,
        place=own_limit_village,
        state=State.PREPARING,
        max_days=5,
        remind_before_days=1,
    )
    follows = _preparing(village)
    keeps_own = _preparing(own_limit_village)
    at_township = _preparing(township)

    step_limit_set(
        actor=None,
        place=township,
        state=State.PREPARING,
        max_days=40,
        remind_before_days=5,
    )

    assert _due(follows) == ENTERED + datetime.timedelta(days=40)
    assert _due(at_township) == ENTERED + datetime.timedelta(days=40)
    # Its own limit still governs it (the topic was made with the default).
    assert _due(keeps_own) == ENTERED + datetime.timedelta(days=5)


def test_changing_an_existing_limit_records_before_and_after(village):
    limit = step_limit_set(
        actor=None,
        place=village,
        state=State.PREPARING,
        max_days=10,
        remind_before_days=2,
    )
    again = step_limit_set(
        actor=None,
        place=village,
        state=State.PREPARING,
        max_days=12,
        remind_before_days=2,
    )
    assert again.pk == limit.pk
    events = list(AuditEvent.objects.for_subject(limit).order_by("seq"))
    assert events[-1].data["before"] == {"max_days": 10, "remind_before_days": 2}
    assert events[-1].data["after"] == {"max_days": 12, "remind_before_days": 2}


def test_an_unchanged_limit_writes_nothing(village):
    topic = _preparing(village)
    step_limit_set(
        actor=None,
        place=village,
        state=State.PREPARING,
        max_days=20,
        remind_before_days=3,
    )
    events = AuditEvent.objects.count()
    step_limit_set(
        actor=None,
        place=village,
        state=State.PREPARING,
        max_days=20,
        remind_before_days=3,
    )
    assert AuditEvent.objects.count() == events
    assert not AuditEvent.objects.for_subject(topic).filter(verb="step_due_moved")


def test_clearing_a_limit_restores_the_default_deadline(village):
    limit = step_limit_set(
        actor=None,
        place=village,
        state=State.PREPARING,
        max_days=10,
        remind_before_days=2,
    )
    topic = _preparing(village)
    Topic.objects.filter(pk=topic.pk).update(
        step_due_at=ENTERED + datetime.timedelta(days=10)
    )
    step_limit_clear(actor=None, limit=limit)
    assert not StepLimit.objects.exists()
    assert _due(topic) == ENTERED + datetime.timedelta(days=20)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("superuser", True),
        ("administrator", True),
        ("other_administrator", False),
        ("township_secretary", False),
        ("village_secretary", False),
        ("plain", False),
    ],
)
def test_who_may_set_a_limit(village, who, allowed):
    actor = {
        "superuser": lambda: UserFactory(is_superuser=True),
        "administrator": lambda: user_with_role(Role.ADMINISTRATOR, village.parent),
        "other_administrator": lambda: user_with_role(
            Role.ADMINISTRATOR, TownshipFactory()
        ),
        "township_secretary": lambda: user_with_role(
            Role.TOWNSHIP_SECRETARY, village.parent
        ),
        "village_secretary": lambda: user_with_role(Role.VILLAGE_SECRETARY, village),
        "plain": UserFactory,
    }[who]()
    topic = _preparing(village)
    due = _due(topic)

    def set_limit():
        return step_limit_set(
            actor=actor,
            place=village,
            state=State.PREPARING,
            max_days=9,
            remind_before_days=1,
        )

    if allowed:
        set_limit()
        assert StepLimit.objects.get().max_days == 9
    else:
        with pytest.raises(PermissionDenied):
            set_limit()
        assert not StepLimit.objects.exists()
        assert _due(topic) == due


def test_bad_values_are_refused_and_nothing_moves(village):
    topic = _preparing(village)
    due = _due(topic)
    with pytest.raises(ValidationError):
        step_limit_set(
            actor=None,
            place=village,
            state=State.PREPARING,
            max_days=0,
            remind_before_days=1,
        )
    with pytest.raises(ValidationError):
        step_limit_set(
            actor=None,
            place=village,
            state=State.DRAFT,
            max_days=5,
            remind_before_days=1,
        )
    assert not StepLimit.objects.exists()
    assert _due(topic) == due


def test_admin_edits_go_through_the_service(client, village):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    topic = _preparing(village)
    add = client.post(
        reverse("admin:topics_steplimit_add"),
        {
            "place": village.pk,
            "state": State.PREPARING,
            "max_days": 15,
            "remind_before_days": 3,
        },
    )
    assert add.status_code == 302
    limit = StepLimit.objects.get()
    assert _due(topic) == ENTERED + datetime.timedelta(days=15)
    change = client.post(
        reverse("admin:topics_steplimit_change", args=[limit.pk]),
        {"max_days": 25, "remind_before_days": 3},
    )
    assert change.status_code == 302
    assert _due(topic) == ENTERED + datetime.timedelta(days=25)
    assert [e.verb for e in AuditEvent.objects.for_subject(limit).order_by("seq")] == [
        "step_limit_set",
        "step_limit_set",
    ]
    delete = client.post(
        reverse("admin:topics_steplimit_delete", args=[limit.pk]), {"post": "yes"}
    )
    assert delete.status_code == 302
    assert _due(topic) == ENTERED + datetime.timedelta(days=20)
    assert timezone.is_aware(_due(topic))


def test_admin_refuses_a_staff_member_who_is_not_an_administrator(client, village):
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__endswith="steplimit")
    )
    client.force_login(staff)
    response = client.post(
        reverse("admin:topics_steplimit_add"),
        {
            "place": village.pk,
            "state": State.PREPARING,
            "max_days": 15,
            "remind_before_days": 3,
        },
    )
    assert response.status_code == 200
    assert "只有本镇的管理员才能修改步骤时限" in response.content.decode()
    assert not StepLimit.objects.exists()
