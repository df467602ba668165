"""Every URL × every role × own/other place: the status each one gets.

The table is checked against the URL configuration itself (``get_resolver()``),
so a new URL without a row fails ``test_every_url_has_a_row`` naming it.

Adding a URL is one line in ``TABLE``: the URL name, the method, the target it
needs (a builder in ``TARGETS``, which makes the object at the own or the other
place and returns the URL's kwargs), then the status per role in the column
order of ``ROLES`` for the own place and, for URLs about an object, for the
other place. "own" is a place the role works at (a village of a township
role's township); "other" is a village of another township.

Statuses: 200 shown, 302 redirected (to the login page for anonymous users,
or back after a POST), 403 refused to a role that sees the object, 404 for
what the role may not see, 405 wrong method.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from committees.models import Role
from committees.services import person_for_user
from notifications.models import Channel, Delivery, DeliveryStatus, Notification
from tests.factories import (
    TopicFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)
from topics.states import State

pytestmark = pytest.mark.django_db

# Column order of every row.
ROLES = (
    "anonymous",
    Role.RESIDENT,
    Role.MEMBER,
    Role.VILLAGE_CLERK,
    Role.VILLAGE_SECRETARY,
    Role.TOWNSHIP_CLERK,
    Role.TOWNSHIP_DEPUTY,
    Role.TOWNSHIP_SECRETARY,
    Role.ADMINISTRATOR,
    "superuser",
)
VILLAGE_ROLES = {Role.RESIDENT, Role.MEMBER, Role.VILLAGE_CLERK, Role.VILLAGE_SECRETARY}

# Namespaces checked as a whole through one of their URLs: the admin guards
# every page of its own with the same staff check.
WHOLE_NAMESPACES = {"admin": "admin:index"}


@dataclass
class World:
    township: object
    village: object
    other_village: object
    user: object  # the requesting user (None for anonymous)

    def place(self, scope: str):
        return self.village if scope == "own" else self.other_village


def _recipient(world: World, scope: str):
    """Own: the requesting user; other: someone else."""
    if scope == "own" and world.user is not None:
        return person_for_user(world.user)
    return person_for_user(UserFactory())


def _notice(world: World, scope: str, **fields) -> Notification:
    topic = TopicFactory(place=world.place(scope), state=State.PREPARING)
    return Notification.objects.create(
        key=f"matrix-{topic.pk}-{scope}",
        kind="topic_submitted",
        about=topic,
        subject="通知",
        body="正文",
        **fields,
    )


def _delivery(world: World, scope: str, channel: str, **notice_fields) -> Delivery:
    return Delivery.objects.create(
        notification=_notice(world, scope, **notice_fields),
        person=_recipient(world, scope),
        channel=channel,
        status=DeliveryStatus.SENT,
    )


def _draft(world, scope):
    return {"pk": TopicFactory(place=world.place(scope), state=State.DRAFT).pk}


def _topic_id(world, scope):
    return {"topic_id": TopicFactory(place=world.place(scope)).pk}


TARGETS: dict[str, Callable[[World, str], dict]] = {
    "none": lambda world, scope: {},
    "draft": _draft,
    "submit_draft": lambda world, scope: {**_draft(world, scope), "action": "submit"},
    "topic_id": _topic_id,
    "topic_subject": lambda world, scope: {
        "label": "topic",
        "pk": _topic_id(world, scope)["topic_id"],
    },
    "inbox_delivery": lambda world, scope: {
        "delivery_id": _delivery(world, scope, Channel.INBOX).pk
    },
    "event_delivery": lambda world, scope: {
        "delivery_id": _delivery(
            world, scope, Channel.INBOX, event_start=timezone.now()
        ).pk
    },
    "paper_delivery": lambda world, scope: {
        "delivery_id": _delivery(world, scope, Channel.PAPER).pk
    },
    "notice": lambda world, scope: {"notification_id": _notice(world, scope).pk},
}


@dataclass(frozen=True)
class Row:
    method: str
    target: str
    own: str
    other: str | None = None


#                                                 anon res mem vc  vs  tc  td  ts  adm su
TABLE: dict[str, Row] = {
    "dashboard": Row("GET", "none",                "302 200 200 200 200 200 200 200 200 200"),
    "favicon": Row("GET", "none",                  "200 200 200 200 200 200 200 200 200 200"),
    "healthz": Row("GET", "none",                  "200 200 200 200 200 200 200 200 200 200"),
    "login": Row("GET", "none",                    "200 302 302 302 302 302 302 302 302 302"),
    "logout": Row("POST", "none",                  "302 302 302 302 302 302 302 302 302 302"),
    "set_language": Row("POST", "none",            "302 302 302 302 302 302 302 302 302 302"),
    "admin:index": Row("GET", "none",              "302 302 302 302 302 302 302 302 302 200"),
    "topics:list": Row("GET", "none",              "302 200 200 200 200 200 200 200 200 200"),
    "topics:create": Row("GET", "none",            "302 403 403 200 200 200 200 200 403 403"),
    "topics:detail": Row("GET", "draft",           "302 404 404 200 200 200 200 200 200 404", other="302 404 404 404 404 404 404 404 404 404"),
    "topics:edit": Row("GET", "draft",             "302 404 404 200 200 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404"),
    "topics:act": Row("POST", "submit_draft",      "302 404 404 302 302 403 403 403 403 404", other="302 404 404 404 404 404 404 404 404 404"),
    "notifications:inbox": Row("GET", "none",      "302 200 200 200 200 200 200 200 200 200"),
    "notifications:mark_all_read": Row("POST", "none", "302 302 302 302 302 302 302 302 302 302"),
    "notifications:preferences": Row("GET", "none", "302 200 200 200 200 200 200 200 200 200"),
    "notifications:mark_read": Row("POST", "inbox_delivery", "302 302 302 302 302 302 302 302 302 302", other="302 404 404 404 404 404 404 404 404 404"),
    "notifications:ics": Row("GET", "event_delivery", "302 200 200 200 200 200 200 200 200 200", other="302 404 404 404 404 404 404 404 404 404"),
    "notifications:print": Row("GET", "notice",    "302 404 404 200 200 404 404 404 404 404", other="302 404 404 404 404 404 404 404 404 404"),
    "notifications:receipt": Row("POST", "paper_delivery", "302 404 404 302 302 404 404 404 404 404", other="302 404 404 404 404 404 404 404 404 404"),
    "notifications:subject_deliveries": Row("GET", "topic_subject", "302 404 404 200 200 404 404 404 404 404", other="302 404 404 404 404 404 404 404 404 404"),
    "notifications:topic_deliveries": Row("GET", "topic_id", "302 404 404 200 200 404 404 404 404 404", other="302 404 404 404 404 404 404 404 404 404"),
}  # fmt: skip


def url_names(patterns=None, namespace: str = "") -> tuple[set[str], list[str]]:
    """Every URL name in the configuration, and the patterns that have none."""
    names: set[str] = set()
    unnamed: list[str] = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if entry.namespace and entry.namespace in WHOLE_NAMESPACES:
                names.add(WHOLE_NAMESPACES[entry.namespace])
                continue
            more, nameless = url_names(entry.url_patterns, inner)
            names |= more
            unnamed += nameless
        elif isinstance(entry, URLPattern):
            if entry.name:
                names.add(f"{namespace}{entry.name}")
            else:
                unnamed.append(f"{namespace}{entry.pattern}")
    return names, unnamed


def test_every_url_has_a_row():
    names, unnamed = url_names()
    missing = sorted(names - set(TABLE))
    stale = sorted(set(TABLE) - names)
    assert not unnamed, f"URL patterns without a name (name them): {unnamed}"
    assert not missing, (
        "URLs without a row in tests/security/test_url_matrix.py TABLE: "
        + ", ".join(missing)
    )
    assert not stale, f"TABLE rows for URLs that no longer exist: {stale}"


def test_every_row_is_well_formed():
    for name, row in TABLE.items():
        assert row.target in TARGETS, name
        assert len(row.own.split()) == len(ROLES), name
        if row.other is not None:
            assert len(row.other.split()) == len(ROLES), name
        takes_object = row.target != "none"
        assert (row.other is not None) == takes_object, (
            f"{name}: a URL about an object needs an 'other' place column"
        )


def _cases():
    for name, row in TABLE.items():
        for scope, statuses in (("own", row.own), ("other", row.other)):
            if statuses is None:
                continue
            for role, status in zip(ROLES, statuses.split(), strict=True):
                yield pytest.param(
                    name, role, scope, int(status), id=f"{name}-{role}-{scope}"
                )


def _world(role: str) -> World:
    township = TownshipFactory()
    village = VillageFactory(parent=township)
    other_village = VillageFactory(parent=TownshipFactory())
    if role == "anonymous":
        user = None
    elif role == "superuser":
        user = UserFactory(is_staff=True, is_superuser=True)
    else:
        user = user_with_role(role, village if role in VILLAGE_ROLES else township)
    return World(township, village, other_village, user)


@pytest.mark.parametrize(("name", "role", "scope", "expected"), list(_cases()))
def test_status(name, role, scope, expected):
    row = TABLE[name]
    world = _world(role)
    url = reverse(name, kwargs=TARGETS[row.target](world, scope) or None)
    client = Client(raise_request_exception=False)
    if world.user is not None:
        client.force_login(world.user)
    if row.method == "POST":
        data = {"signed_by": "张三", "signed_on": datetime.date.today().isoformat()}
        response = client.post(url, data)
    else:
        response = client.get(url)
    assert response.status_code == expected, (
        f"{row.method} {url} as {role} ({scope} place): "
        f"{response.status_code}, table says {expected}"
    )
