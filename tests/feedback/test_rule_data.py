"""Vote rule data (VoteCategory, MeetingRule) changes only through audited
services by the township's administrator; the meeting kinds that may vote on a
topic follow its level (seed §六.4 法定会议表决)."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from committees.models import Role
from core.chain import verify_chain
from core.models import AuditEvent
from feedback import forms, rules, services
from feedback.models import MeetingKind, MeetingRule, Vote, VoteCategory
from tests.factories import TopicFactory, TownshipFactory, UserFactory, user_with_role
from topics.catalogue import Category, Level
from topics.states import State

pytestmark = pytest.mark.django_db

RULE = {
    "quorum_num": 1,
    "quorum_den": 2,
    "quorum_strict": True,
    "pass_num": 2,
    "pass_den": 3,
    "pass_strict": False,
    "pass_base": "present",
}


@pytest.fixture
def admin(township):
    return user_with_role(Role.ADMINISTRATOR, township)


def verbs(row) -> list[str]:
    return list(
        AuditEvent.objects.for_subject(row)
        .order_by("seq")
        .values_list("verb", flat=True)
    )


# -- the services: who, what, audited ----------------------------------------------


def test_a_category_setting_is_audited_with_before_and_after(township, admin):
    row = services.vote_category_save(
        actor=admin, township=township, category=Category.V1, needs_vote=True
    )
    again = services.vote_category_save(
        actor=admin, township=township, category=Category.V1, needs_vote=True
    )
    changed = services.vote_category_save(
        actor=admin, township=township, category=Category.V1, needs_vote=False
    )

    assert row.pk == again.pk == changed.pk
    events = list(AuditEvent.objects.for_subject(row).order_by("seq"))
    assert [e.verb for e in events] == ["vote_category_save"] * 2
    assert [(e.data["before"], e.data["after"]) for e in events] == [
        (None, {"needs_vote": True}),
        ({"needs_vote": True}, {"needs_vote": False}),
    ]
    assert events[0].actor == admin
    assert verify_chain(row) == []


def test_a_meeting_rule_and_its_deletion_are_audited(township, admin):
    row = services.meeting_rule_save(
        actor=admin,
        township=township,
        level=Level.VILLAGE,
        kind=MeetingKind.VILLAGER_REPS,
        **RULE,
    )
    services.meeting_rule_delete(actor=admin, meeting_rule=row)

    assert not MeetingRule.objects.exists()
    assert verbs(row) == ["meeting_rule_save", "meeting_rule_delete"]
    last = AuditEvent.objects.for_subject(row).order_by("seq").last()
    assert last.data["before"]["pass_num"] == 2 and last.data["after"] is None


@pytest.mark.parametrize("who", ["other_administrator", "township_secretary", "plain"])
def test_only_the_townships_administrator_may_change_rule_data(township, who):
    actor = {
        "other_administrator": lambda: user_with_role(
            Role.ADMINISTRATOR, TownshipFactory()
        ),
        "township_secretary": lambda: user_with_role(Role.TOWNSHIP_SECRETARY, township),
        "plain": UserFactory,
    }[who]()
    kept = VoteCategory.objects.create(
        township=township, category=Category.V2, needs_vote=True
    )

    with pytest.raises(PermissionDenied):
        services.vote_category_save(
            actor=actor, township=township, category=Category.V1, needs_vote=True
        )
    with pytest.raises(PermissionDenied):
        services.meeting_rule_save(
            actor=actor,
            township=township,
            level=Level.TOWNSHIP,
            kind=MeetingKind.TOWN_CONGRESS,
            **RULE,
        )
    with pytest.raises(PermissionDenied):
        services.vote_category_delete(actor=actor, vote_category=kept)

    assert list(VoteCategory.objects.all()) == [kept]
    assert not MeetingRule.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="vote_category").exists()


def test_a_superuser_may_change_rule_data(township):
    services.vote_category_save(
        actor=UserFactory(is_superuser=True),
        township=township,
        category=Category.V1,
        needs_vote=True,
    )
    assert VoteCategory.objects.get().needs_vote


def test_rule_data_is_set_per_township_not_per_village(village, admin):
    with pytest.raises(ValidationError) as refused:
        services.vote_category_save(
            actor=admin, township=village, category=Category.V1, needs_vote=True
        )
    assert "请选择一个镇" in str(refused.value)
    assert not VoteCategory.objects.exists()


def test_a_share_above_the_whole_is_refused_and_nothing_saved(township, admin):
    with pytest.raises(ValidationError):
        services.meeting_rule_save(
            actor=admin,
            township=township,
            level=Level.TOWNSHIP,
            kind=MeetingKind.TOWN_CONGRESS,
            **{**RULE, "quorum_num": 3},
        )
    assert not MeetingRule.objects.exists()
    assert not AuditEvent.objects.filter(verb="meeting_rule_save").exists()


def test_a_village_topic_cannot_be_given_the_town_congress(township, admin):
    with pytest.raises(ValidationError) as refused:
        services.meeting_rule_save(
            actor=admin,
            township=township,
            level=Level.VILLAGE,
            kind=MeetingKind.TOWN_CONGRESS,
            **RULE,
        )
    assert "村级议题只能由以下会议表决：村民会议、村民代表会议" in str(
        refused.value.message_dict["kind"]
    )
    assert not MeetingRule.objects.exists()


# -- the admin goes through the services ---------------------------------------------


def _staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                f"{action}_{model}"
                for action in ("add", "change", "delete", "view")
                for model in ("votecategory", "meetingrule")
            ]
        )
    )
    return user


def test_the_admin_saves_and_deletes_through_the_services(client, township, admin):
    client.force_login(_staff(admin))
    add = client.post(
        reverse("admin:feedback_meetingrule_add"),
        {
            "township": township.pk,
            "level": Level.TOWNSHIP,
            "kind": MeetingKind.VILLAGER_REPS,
            **RULE,
        },
    )
    assert add.status_code == 302
    row = MeetingRule.objects.get()
    change = client.post(
        reverse("admin:feedback_meetingrule_change", args=[row.pk]),
        {**RULE, "pass_num": 1, "pass_den": 2},
    )
    assert change.status_code == 302
    row.refresh_from_db()
    assert (row.level, row.kind, row.pass_num) == ("township", "villager_reps", 1)
    delete = client.post(
        reverse("admin:feedback_meetingrule_delete", args=[row.pk]), {"post": "yes"}
    )
    assert delete.status_code == 302
    assert not MeetingRule.objects.exists()
    assert verbs(row) == [
        "meeting_rule_save",
        "meeting_rule_save",
        "meeting_rule_delete",
    ]


def test_the_admin_refuses_another_townships_administrator(client, township):
    outsider = _staff(user_with_role(Role.ADMINISTRATOR, TownshipFactory()))
    client.force_login(outsider)
    response = client.post(
        reverse("admin:feedback_votecategory_add"),
        {"township": township.pk, "category": Category.V1, "needs_vote": "on"},
    )
    assert response.status_code == 200
    assert "只有本镇的管理员才能修改表决规则" in response.content.decode()
    assert not VoteCategory.objects.exists()


def test_the_admin_delete_is_refused_to_another_townships_administrator(
    client, township
):
    row = VoteCategory.objects.create(
        township=township, category=Category.V1, needs_vote=True
    )
    client.force_login(_staff(user_with_role(Role.ADMINISTRATOR, TownshipFactory())))
    response = client.post(
        reverse("admin:feedback_votecategory_delete", args=[row.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert VoteCategory.objects.filter(pk=row.pk).exists()


# -- meeting kinds per level ----------------------------------------------------------


@pytest.fixture
def town_topic(township):
    return TopicFactory(place=township, state=State.ADOPTING, category=Category.T1)


def _vote(topic, actor, kind):
    return services.vote_record(
        actor=actor,
        topic_id=topic.pk,
        kind=kind,
        held_on=date.today(),
        entitled=30,
        present=25,
        in_favour=20,
        against=5,
        abstain=0,
    )


def test_a_village_topic_is_not_voted_by_the_town_congress(adopting, clerk):
    services.vote_mark(actor=clerk, topic_id=adopting.pk, reason="村规民约")
    with pytest.raises(ValidationError) as refused:
        _vote(adopting, clerk, MeetingKind.TOWN_CONGRESS)
    assert refused.value.message_dict["kind"] == [
        "镇人民代表大会不能表决村级议题，请选择村民会议、村民代表会议。"
    ]
    assert not Vote.objects.exists()
    assert _vote(adopting, clerk, MeetingKind.VILLAGERS).passed


def test_a_township_topic_is_not_voted_by_a_village_meeting(town_topic, town_clerk):
    services.vote_mark(actor=town_clerk, topic_id=town_topic.pk, reason="重大事项")
    with pytest.raises(ValidationError) as refused:
        _vote(town_topic, town_clerk, MeetingKind.VILLAGERS)
    assert "村民会议不能表决镇级议题" in refused.value.message_dict["kind"][0]
    assert not Vote.objects.exists()
    assert _vote(town_topic, town_clerk, MeetingKind.TOWN_CONGRESS).passed


def test_a_township_adds_a_meeting_kind_for_its_own_topics(
    town_topic, town_clerk, township, admin
):
    services.meeting_rule_save(
        actor=admin,
        township=township,
        level=Level.TOWNSHIP,
        kind=MeetingKind.VILLAGER_REPS,
        **RULE,
    )
    services.vote_mark(actor=town_clerk, topic_id=town_topic.pk, reason="重大事项")

    assert rules.meeting_kinds(town_topic) == ["villager_reps", "town_congress"]
    vote = _vote(town_topic, town_clerk, MeetingKind.VILLAGER_REPS)
    assert vote.rule["pass_num"] == 2


def test_the_vote_form_offers_only_the_kinds_of_the_topics_level(adopting, town_topic):
    village_kinds = [
        v for v, _ in forms.VoteForm(topic=adopting).fields["kind"].choices
    ]
    town_kinds = [v for v, _ in forms.VoteForm(topic=town_topic).fields["kind"].choices]
    assert village_kinds == ["villagers", "villager_reps"]
    assert town_kinds == ["town_congress"]
    posted = forms.VoteForm({"kind": "town_congress"}, topic=adopting)
    assert not posted.is_valid() and "kind" in posted.errors
