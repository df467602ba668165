"""`manage.py seed_demo` builds the demo township and is safe to run twice."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import CharField, TextField
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from committees.models import (
    Body,
    BodyKind,
    MemberCategory,
    Person,
    Place,
    PlaceKind,
    Platform,
    PlatformKind,
    Role,
    RoleGrant,
)
from core.chain import verify_chain
from core.models import AuditEvent
from demo import feedback_data
from topics.catalogue import category_fits, form_fits
from topics.evidence import missing
from topics.models import Topic, step_limit
from topics.selectors import topic_list
from topics.states import State, Step

pytestmark = pytest.mark.django_db

PASSWORD = "demo12345"
VILLAGE_CODES = ("qingxi-v1", "qingxi-v2", "qingxi-v3")
ACCOUNTS = {
    "admin": (Role.ADMINISTRATOR, "qingxi"),
    "secretary": (Role.TOWNSHIP_SECRETARY, "qingxi"),
    "deputy": (Role.TOWNSHIP_DEPUTY, "qingxi"),
    "town_clerk": (Role.TOWNSHIP_CLERK, "qingxi"),
    **{
        f"v{n}_{suffix}": (role, code)
        for n, code in enumerate(VILLAGE_CODES, start=1)
        for suffix, role in (
            ("secretary", Role.VILLAGE_SECRETARY),
            ("clerk", Role.VILLAGE_CLERK),
        )
    },
    **{f"member{n:02d}": (Role.MEMBER, "qingxi") for n in range(1, 11)},
    **{
        f"resident{n:02d}": (Role.RESIDENT, VILLAGE_CODES[(n - 1) // 2])
        for n in range(1, 7)
    },
}


@pytest.fixture(scope="module")
def seed_output(django_db_setup, django_db_blocker):
    """The command's output; the module shares one seeded database.

    Seeding takes a second or more, so it runs once here inside a transaction
    that is rolled back after the last test; each test still runs in its own
    savepoint. PBKDF2 at full strength would make the logins the slowest part.
    """
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
        ),
        transaction.atomic(),
    ):
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def _all_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_builds_a_township_with_villages_and_the_four_kinds_of_body(seed_output):
    township = Place.objects.get(code="qingxi", kind=PlaceKind.TOWNSHIP)
    assert township.parent.kind == PlaceKind.COUNTY
    villages = Place.objects.filter(parent=township, kind=PlaceKind.VILLAGE)
    assert villages.count() >= 3
    assert set(Body.objects.values_list("kind", flat=True)) == set(BodyKind)
    for village in villages:
        assert set(village.bodies.values_list("kind", flat=True)) == {
            BodyKind.VILLAGE_BRANCH,
            BodyKind.VILLAGE_COMMITTEE,
        }
        assert village.bodies.get(kind=BodyKind.VILLAGE_BRANCH).name == (
            f"{village.name}党支部"
        )


def test_platform_rosters_have_their_sizes_and_sectors(seed_output):
    township = Place.objects.get(code="qingxi")
    assert set(Platform.objects.values_list("kind", flat=True)) == set(PlatformKind)

    committee = Platform.objects.get(place=township, kind=PlatformKind.TOWN_COMMITTEE)
    assert 20 <= committee.memberships.count() <= 30
    assert {
        MemberCategory.PARTY_DEPUTY,
        MemberCategory.NPC_DEPUTY,
        MemberCategory.CPPCC_MEMBER,
        MemberCategory.GRASSROOTS_ORG,
        MemberCategory.ENTERPRISE,
        MemberCategory.SOCIAL_ORG,
        MemberCategory.OTHER,
    } <= set(committee.memberships.values_list("category", flat=True))

    advisory = Platform.objects.get(place=township, kind=PlatformKind.TOWN_ADVISORY)
    assert 8 <= advisory.memberships.count() <= 30
    for membership in advisory.memberships.all():
        assert membership.appointed_by == "青溪镇党委、镇政府"
        assert membership.term_end and membership.is_current()

    for code in VILLAGE_CODES:
        council = Platform.objects.get(
            place__code=code, kind=PlatformKind.VILLAGE_COUNCIL
        )
        assert 8 <= council.memberships.count() <= 12
    # Every roster entry went through membership_add, which audits it.
    assert AuditEvent.objects.filter(verb="membership_add").count() == sum(
        p.memberships.count() for p in Platform.objects.all()
    )


def test_people_have_distinct_names_and_some_only_get_paper_notices(seed_output):
    for place in Place.objects.all():
        names = list(place.people.values_list("name", flat=True))
        assert len(names) == len(set(names)), place
    assert Person.objects.filter(phone="", email="").exists()
    assert Person.objects.exclude(phone="").exists()
    assert Person.objects.exclude(email="").exists()


def test_every_demo_account_has_its_role_and_person_and_can_log_in(seed_output, client):
    User = get_user_model()
    assert set(User.objects.values_list("username", flat=True)) == set(ACCOUNTS)
    for username, (role, place_code) in ACCOUNTS.items():
        user = User.objects.get(username=username)
        assert RoleGrant.objects.filter(
            user=user, role=role, place__code=place_code
        ).exists(), username
        assert Person.objects.filter(user=user).exists(), username
        assert client.login(username=username, password=PASSWORD), username
        client.logout()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert User.objects.get(username="secretary").person.name
    members = Person.objects.filter(user__username__startswith="member")
    assert all(
        person.memberships.filter(platform__kind=PlatformKind.TOWN_COMMITTEE).exists()
        for person in members
    )


def test_topics_in_every_state_at_both_levels_with_real_audit_chains(seed_output):
    for state in State:
        for kind in (PlaceKind.TOWNSHIP, PlaceKind.VILLAGE):
            assert Topic.objects.filter(state=state, place__kind=kind).exists(), (
                state,
                kind,
            )
    for topic in Topic.objects.select_related("place"):
        assert category_fits(topic.level, topic.category), topic
        assert topic.forms and all(form_fits(topic.level, f) for f in topic.forms)
        events = AuditEvent.objects.for_subject(topic).order_by("seq")
        assert verify_chain(topic) == []
        # The chain also names the records of the later steps; the state
        # comes from the last transition.
        transitions = events.exclude(to_state="")
        assert transitions.last().to_state == topic.state
        if events.first().verb == "demo_seed":
            assert events.first().actor is None
            # Steps 4-5 move on through feedback's services (demo/feedback_data).
            assert transitions.count() == 1 or topic.state in feedback_data.STATES
            assert topic.state in {
                State.CONSULTING,
                State.ADOPTING,
                State.FEEDBACK,
                State.ARCHIVED,
            }
        else:
            assert events.first().verb == "create"
            assert all(event.actor_id for event in events)


PAST_STEP_2 = (State.CONSULTING, State.ADOPTING, State.FEEDBACK, State.ARCHIVED)
PAST_STEP_3 = (State.ADOPTING, State.FEEDBACK, State.ARCHIVED)


def test_topics_past_steps_2_and_3_have_every_record_of_those_steps(seed_output):
    """No bare-state topic: consult's own checks hold for every topic that has
    left step 2 (step 3), through the services' records."""
    past = Topic.objects.filter(state__in=PAST_STEP_2).select_related("place")
    assert {t.state for t in past} == set(PAST_STEP_2)
    for topic in past:
        assert missing(topic, Step.PREPARE) == [], topic
        if topic.state in PAST_STEP_3:
            assert missing(topic, Step.CONSULT) == [], topic
    # The topics of steps 4-5 walked there through the real transitions.
    for topic in past.filter(state__in=feedback_data.STATES):
        verbs = set(
            AuditEvent.objects.for_subject(topic).values_list("verb", flat=True)
        )
        assert {
            "submit",
            "approve",
            "session_plan",
            "notice_send",
            "material_upload",
            "session_record",
            "start_consultation",
            "start_adoption",
        } <= verbs, topic


def test_dashboard_has_an_overdue_topic_and_one_inside_its_reminder_window(
    seed_output,
):
    now = timezone.now()
    assert Topic.objects.overdue(now).exists()
    upcoming = Topic.objects.active().filter(step_due_at__gte=now)
    assert any(
        topic.step_due_at - timedelta(days=step_limit(topic.place, topic.state)[1])
        <= now
        for topic in upcoming
    )


def test_secretary_may_approve_the_submitted_township_topic(seed_output):
    secretary = get_user_model().objects.get(username="secretary")
    topic = Topic.objects.get(
        place__code="qingxi", state=State.SUBMITTED, title="镇区农贸市场改造提升方案"
    )
    assert topic in topic_list(secretary, state=State.SUBMITTED)
    available = {t.name for t in topic.get_available_user_state_transitions(secretary)}
    assert "approve" in available
    village_clerk = get_user_model().objects.get(username="v1_clerk")
    assert topic not in topic_list(village_clerk)


def test_second_run_changes_nothing(seed_output):
    counts = _all_counts()
    topics = list(Topic.objects.values_list("pk", "state", "updated_at"))
    hashes = list(AuditEvent.objects.order_by("pk").values_list("hash"))

    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert _all_counts() == counts
    assert list(Topic.objects.values_list("pk", "state", "updated_at")) == topics
    assert list(AuditEvent.objects.order_by("pk").values_list("hash")) == hashes
    assert "本次未做任何改动" in out.getvalue()


def test_summary_lists_the_accounts_password_and_address(seed_output):
    assert "本次新增" in seed_output
    assert PASSWORD in seed_output
    assert "http://127.0.0.1:8000" in seed_output
    for username in ACCOUNTS:
        assert username in seed_output


CHINESE_PUNCTUATION = re.compile("[、：（）]")


def _user_data() -> list[str]:
    """Every text the demo stored, longest first: names, titles, reasons."""
    values = set()
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, CharField | TextField) and not f.choices
        ]
        if fields:
            for row in model.objects.values_list(*fields):
                values.update(v for v in row if v and CHINESE_PUNCTUATION.search(v))
    return sorted(values, key=len, reverse=True)


def _clerk(topic: Topic):
    role = Role.TOWNSHIP_CLERK if topic.place.kind == PlaceKind.TOWNSHIP else None
    grants = RoleGrant.objects.filter(place=topic.place)
    grant = grants.filter(role=role or Role.VILLAGE_CLERK).select_related("user")
    return grant.first().user


def test_step_pages_in_english_have_no_chinese_punctuation_outside_user_data(
    seed_output, client
):
    """prepare, session, mine, adopt and implement, for every seeded topic."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    stored = _user_data()
    pages = []
    for topic in Topic.objects.filter(state__in=PAST_STEP_2 + (State.PREPARING,)):
        client.force_login(_clerk(topic))
        urls = [reverse("consult:prepare", args=[topic.pk])]
        urls += [
            reverse("consult:session", args=[pk])
            for pk in topic.sessions.values_list("pk", flat=True)
        ]
        if topic.state in PAST_STEP_3:
            urls += [
                reverse("feedback:adopt", args=[topic.pk]),
                reverse("feedback:implement", args=[topic.pk]),
            ]
        pages += [(url, client.get(url)) for url in urls]
    for member in ("member01", "member02", "resident01"):
        client.force_login(get_user_model().objects.get(username=member))
        pages.append((member, client.get(reverse("consult:mine"))))
    assert len(pages) > 20
    for url, response in pages:
        assert response.status_code == 200, url
        text = response.content.decode()
        for value in stored:
            text = text.replace(str(escape(value)), "").replace(value, "")
        found = [m.start() for m in CHINESE_PUNCTUATION.finditer(text)]
        assert not found, (url, [text[i - 40 : i + 40] for i in found[:3]])
