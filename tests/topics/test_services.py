"""Topic services: creating and editing drafts, reasons, signals and deadlines."""

import datetime
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from committees.models import Body, BodyKind, Role
from core.errors import NotVisible
from core.models import AuditEvent
from tests.factories import (
    BodyFactory,
    TopicFactory,
    TownshipFactory,
    VillageFactory,
    user_with_role,
)
from topics.models import StepLimit, Topic
from topics.services import (
    REASON_MAX_LENGTH,
    TransitionRefused,
    topic_create,
    topic_transition,
    topic_transitioned,
    topic_update,
)
from topics.states import DEFAULT_STEP_LIMITS, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def township():
    return TownshipFactory(name="镇X")


@pytest.fixture
def village(township):
    return VillageFactory(parent=township, name="村A")


@pytest.fixture
def clerk(village):
    return user_with_role(Role.VILLAGE_CLERK, village)


@pytest.fixture
def secretary(village):
    return user_with_role(Role.VILLAGE_SECRETARY, village)


def village_fields(village, **overrides) -> dict:
    fields = {
        "body": BodyFactory(place=village),
        "title": "村道硬化工程选线",
        "description": "村西片区道路硬化工程的线路与资金安排。",
        "category": "v4",
        "tag": "public_welfare",
        "forms": ["v_meeting", "v_written"],
        "source": "residents",
        "proposer": "村民代表李四",
        "planned_start": datetime.date(2026, 3, 1),
        "planned_end": datetime.date(2026, 4, 30),
    }
    fields.update(overrides)
    return fields


def counts() -> tuple[int, int]:
    return Topic.objects.count(), AuditEvent.objects.count()


def state_in_db(topic) -> str:
    return Topic.objects.values_list("state", flat=True).get(pk=topic.pk)


# -- topic_create -------------------------------------------------------------


def test_create_saves_a_draft_with_one_create_event(village, clerk):
    """A clerk's new topic is a draft of its village, recorded once in the audit."""
    topic = topic_create(actor=clerk, place=village, **village_fields(village))

    saved = Topic.objects.get(pk=topic.pk)
    assert (saved.state, saved.place, saved.created_by) == (
        State.DRAFT,
        village,
        clerk,
    )
    assert saved.forms == ["v_meeting", "v_written"]
    [event] = AuditEvent.objects.for_subject(topic)
    assert (event.verb, event.actor, event.from_state, event.to_state) == (
        "create",
        clerk,
        "",
        State.DRAFT,
    )


def test_township_clerk_creates_township_topics(township):
    """The township level uses the township catalogue and forms."""
    clerk = user_with_role(Role.TOWNSHIP_CLERK, township)
    topic = topic_create(
        actor=clerk,
        place=township,
        **village_fields(
            township,
            body=BodyFactory(place=township, kind=BodyKind.TOWN_PARTY),
            category="t3",
            forms=["t_meeting", "t_online"],
        ),
    )
    assert Topic.objects.get(pk=topic.pk).level == "township"


INVALID_VILLAGE_FIELDS = [
    pytest.param(
        {"category": "t1"}, "category", "该议题类别不属于本级目录", id="town-cat"
    ),
    pytest.param(
        {"forms": ["t_meeting"]},
        "forms",
        "所选协商形式不适用于本级协商",
        id="town-form",
    ),
    pytest.param(
        {"forms": ["v_meeting", "v_talk", "v_meeting"]},
        "forms",
        "协商形式不能重复",
        id="dup-forms",
    ),
    pytest.param({"forms": "v_meeting"}, "forms", "协商形式格式不正确", id="forms-str"),
    pytest.param({"title": "议" * 121}, "title", "120", id="title-121"),
    pytest.param({"title": ""}, "title", "不能为空", id="no-title"),
    pytest.param({"description": ""}, "description", "不能为空", id="no-desc"),
    pytest.param({"category": ""}, "category", "不能为空", id="no-category"),
    pytest.param({"tag": ""}, "tag", "不能为空", id="no-tag"),
    pytest.param({"source": ""}, "source", "不能为空", id="no-source"),
    pytest.param({"proposer": ""}, "proposer", "不能为空", id="no-proposer"),
    pytest.param({"tag": "hot"}, "tag", "有效选项", id="bad-tag"),
    pytest.param(
        {
            "planned_start": datetime.date(2026, 5, 2),
            "planned_end": datetime.date(2026, 5, 1),
        },
        "__all__",
        "计划完成日期不能早于计划协商日期",
        id="end-before-start",
    ),
]


@pytest.mark.parametrize(("overrides", "field", "words"), INVALID_VILLAGE_FIELDS)
def test_create_refuses_invalid_fields_in_chinese(
    village, clerk, overrides, field, words
):
    """Each bad field is named with a Chinese message and nothing is saved."""
    before = counts()

    with pytest.raises(ValidationError) as refused:
        topic_create(actor=clerk, place=village, **village_fields(village, **overrides))

    messages = refused.value.message_dict[field]
    assert any(words in m for m in messages), messages
    assert counts() == before


def test_create_title_of_120_characters_is_accepted(village, clerk):
    """The limit is 120: exactly 120 characters pass."""
    topic = topic_create(
        actor=clerk, place=village, **village_fields(village, title="议" * 120)
    )
    assert len(Topic.objects.get(pk=topic.pk).title) == 120


def test_create_refuses_a_village_category_for_a_township_topic(township):
    """The township catalogue does not hold the village categories, nor forms."""
    clerk = user_with_role(Role.TOWNSHIP_CLERK, township)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        topic_create(
            actor=clerk,
            place=township,
            **village_fields(township, category="v2", forms=["v_meeting"]),
        )
    errors = refused.value.message_dict
    assert errors["category"] == ["该议题类别不属于本级目录。"]
    assert errors["forms"] == ["所选协商形式不适用于本级协商。"]
    assert counts() == before


def test_create_refuses_the_body_of_another_place(village, clerk):
    """A topic of 村A cannot belong to the 村委会 of 村B."""
    other = VillageFactory(parent=village.parent)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        topic_create(
            actor=clerk,
            place=village,
            **village_fields(village, body=BodyFactory(place=other)),
        )
    assert refused.value.message_dict["body"] == [
        "实施主体必须是本级的党组织或政府（村委会）。"
    ]
    assert counts() == before


def test_create_refuses_a_body_of_the_wrong_kind(village, clerk):
    """A body row of a township kind on a village (made without clean()) is refused."""
    odd = Body.objects.create(place=village, kind=BodyKind.TOWN_PARTY, name="错")
    before = counts()
    with pytest.raises(ValidationError) as refused:
        topic_create(actor=clerk, place=village, **village_fields(village, body=odd))
    assert "body" in refused.value.message_dict
    assert counts() == before


def test_create_without_a_body_is_a_validation_error(village, clerk):
    """A missing body is reported on the field, not a crash."""
    before = counts()
    with pytest.raises(ValidationError) as refused:
        topic_create(actor=clerk, place=village, **village_fields(village, body=None))
    assert "body" in refused.value.message_dict
    assert counts() == before


@pytest.mark.parametrize(
    ("role", "where"),
    [
        (Role.VILLAGE_CLERK, "sibling"),
        (Role.VILLAGE_SECRETARY, "sibling"),
        (Role.TOWNSHIP_CLERK, "township"),
        (Role.TOWNSHIP_SECRETARY, "township"),
        (Role.ADMINISTRATOR, "township"),
        (Role.MEMBER, "village"),
        (Role.RESIDENT, "village"),
    ],
)
def test_create_without_draft_permission_on_the_place_is_denied(village, role, where):
    """Drafting a village topic needs the draft permission on that very village."""
    place = {
        "sibling": VillageFactory(parent=village.parent),
        "township": village.parent,
        "village": village,
    }[where]
    actor = user_with_role(role, place)
    before = counts()
    with pytest.raises(PermissionDenied):
        topic_create(actor=actor, place=village, **village_fields(village))
    assert counts() == before


def test_create_refuses_unknown_fields(village, clerk):
    """Only the editable fields may be passed: never state or place."""
    with pytest.raises(TypeError):
        topic_create(
            actor=clerk, place=village, **village_fields(village, state="archived")
        )


# -- topic_update -------------------------------------------------------------


@pytest.fixture
def draft(village, clerk):
    return topic_create(actor=clerk, place=village, **village_fields(village))


def test_edit_records_the_changed_fields_with_old_and_new_values(draft, clerk):
    """An edit writes one "edit" event with exactly the changed fields, before and
    after, so the dossier shows what the draft said at each point."""
    old_title, old_forms, old_start = (
        draft.title,
        list(draft.forms),
        draft.planned_start,
    )
    topic_update(
        actor=clerk,
        topic=draft,
        title="村道硬化工程选线(修订)",
        forms=["v_meeting"],
        proposer=draft.proposer,
        planned_start=datetime.date(2026, 3, 15),
    )

    saved = Topic.objects.get(pk=draft.pk)
    assert saved.title == "村道硬化工程选线(修订)"
    assert saved.forms == ["v_meeting"]
    edit = AuditEvent.objects.for_subject(draft).get(verb="edit")
    assert edit.data == {
        "fields": ["forms", "planned_start", "title"],
        "before": {
            "title": old_title,
            "forms": old_forms,
            "planned_start": old_start.isoformat() if old_start else None,
        },
        "after": {
            "title": "村道硬化工程选线(修订)",
            "forms": ["v_meeting"],
            "planned_start": "2026-03-15",
        },
    }
    assert (edit.seq, edit.actor) == (2, clerk)


def test_edit_without_changes_writes_no_event(draft, clerk):
    """Saving the same values is not an edit."""
    topic_update(actor=clerk, topic=draft, title=draft.title, forms=list(draft.forms))
    assert list(
        AuditEvent.objects.for_subject(draft).values_list("verb", flat=True)
    ) == ["create"]


def test_invalid_edit_saves_nothing(draft, clerk):
    """A refused edit leaves the row and the audit trail untouched."""
    before = counts()
    with pytest.raises(ValidationError) as refused:
        topic_update(actor=clerk, topic=draft, title="新标题", category="t1")
    assert "category" in refused.value.message_dict
    assert Topic.objects.get(pk=draft.pk).title == draft.title
    assert counts() == before


@pytest.mark.parametrize("state", [s for s in State if s != State.DRAFT])
def test_editing_after_submission_is_refused(village, clerk, state):
    """Only drafts can be edited; later the drafter gets a conflict, not a save."""
    topic = TopicFactory(place=village, body=BodyFactory(place=village), state=state)
    with pytest.raises(TransitionRefused) as refused:
        topic_update(actor=clerk, topic=topic, title="改个标题")
    assert refused.value.conflict is True
    assert Topic.objects.get(pk=topic.pk).title == topic.title
    assert not AuditEvent.objects.for_subject(topic).exists()


@pytest.mark.parametrize("state", [State.DRAFT, State.SUBMITTED, State.PREPARING])
def test_a_viewer_without_draft_permission_cannot_edit(village, state):
    """An administrator sees the topic but is denied an edit, whatever its state."""
    admin = user_with_role(Role.ADMINISTRATOR, village.parent)
    topic = TopicFactory(place=village, body=BodyFactory(place=village), state=state)
    with pytest.raises(PermissionDenied):
        topic_update(actor=admin, topic=topic, title="改个标题")
    assert Topic.objects.get(pk=topic.pk).title == topic.title


def test_a_clerk_of_another_village_gets_404_on_edit(draft):
    """The topic's existence does not leak to 村B."""
    stranger = user_with_role(
        Role.VILLAGE_CLERK, VillageFactory(parent=draft.place.parent)
    )
    with pytest.raises(NotVisible):
        topic_update(actor=stranger, topic=draft, title="改个标题")


# -- reasons ------------------------------------------------------------------

REASONED = [
    ("reject", State.SUBMITTED),
    ("return_for_revision", State.SUBMITTED),
    ("withdraw", State.PREPARING),
]


@pytest.mark.parametrize(("action", "state"), REASONED)
@pytest.mark.parametrize("reason", ["", "   \n"])
def test_reject_return_and_withdraw_need_a_reason(
    village, secretary, action, state, reason
):
    """Without a reason (blank counts as none) nothing moves."""
    topic = TopicFactory(place=village, body=BodyFactory(place=village), state=state)
    with pytest.raises(ValidationError) as refused:
        topic_transition(
            actor=secretary, topic_id=topic.pk, action=action, reason=reason
        )
    assert refused.value.message_dict == {"reason": ["请填写理由。"]}
    assert state_in_db(topic) == state
    assert not AuditEvent.objects.for_subject(topic).exists()


@pytest.mark.parametrize(("action", "state"), REASONED)
def test_reason_longer_than_the_limit_is_refused(village, secretary, action, state):
    """1,001 characters are refused; the limit is named in the message."""
    topic = TopicFactory(place=village, body=BodyFactory(place=village), state=state)
    with pytest.raises(ValidationError) as refused:
        topic_transition(
            actor=secretary,
            topic_id=topic.pk,
            action=action,
            reason="理" * (REASON_MAX_LENGTH + 1),
        )
    assert refused.value.message_dict == {"reason": ["理由不能超过 1000 个字。"]}
    assert state_in_db(topic) == state


def test_reason_of_exactly_the_limit_is_kept_stripped(village, secretary):
    """1,000 characters pass and are recorded without surrounding blanks."""
    assert REASON_MAX_LENGTH == 1000
    topic = TopicFactory(
        place=village, body=BodyFactory(place=village), state=State.SUBMITTED
    )
    reason = "理" * REASON_MAX_LENGTH
    topic_transition(
        actor=secretary, topic_id=topic.pk, action="reject", reason=f"  {reason}\n"
    )
    event = AuditEvent.objects.for_subject(topic).get()
    assert event.reason == reason
    assert state_in_db(topic) == State.REJECTED


def test_unknown_action_is_not_found(village, secretary):
    """Only the procedure's actions exist; anything else is a 404."""
    topic = TopicFactory(place=village, body=BodyFactory(place=village))
    with pytest.raises(NotVisible):
        topic_transition(actor=secretary, topic_id=topic.pk, action="delete")


def test_missing_topic_is_not_found(secretary):
    with pytest.raises(NotVisible):
        topic_transition(actor=secretary, topic_id=987654, action="submit")


def test_submitting_an_incomplete_draft_names_what_is_missing(village, clerk):
    """Step 1 evidence: a draft without forms or with a blank text cannot go."""
    topic = topic_create(
        actor=clerk,
        place=village,
        **village_fields(village, forms=[], description="   "),
    )
    with pytest.raises(TransitionRefused) as refused:
        topic_transition(actor=clerk, topic_id=topic.pk, action="submit")
    assert refused.value.message == "还缺少：议题内容、协商形式"
    assert refused.value.conflict is False
    assert state_in_db(topic) == State.DRAFT


def test_a_failed_audit_write_undoes_the_transition(village, clerk, monkeypatch):
    """The state change and its record commit together or not at all."""
    topic = TopicFactory(place=village, body=BodyFactory(place=village))

    def broken_audit(**kwargs):
        raise IntegrityError("audit store unavailable")

    monkeypatch.setattr("topics.services.audit_record", broken_audit)
    with pytest.raises(IntegrityError):
        topic_transition(actor=clerk, topic_id=topic.pk, action="submit")
    assert state_in_db(topic) == State.DRAFT


# -- the topic_transitioned signal ---------------------------------------------


@pytest.fixture
def received():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    topic_transitioned.connect(receiver, weak=False)
    yield calls
    topic_transitioned.disconnect(receiver)


def test_signal_is_sent_only_after_commit(
    village, clerk, received, django_capture_on_commit_callbacks
):
    """Listeners learn of a transition once it is committed, with its details."""
    topic = TopicFactory(place=village, body=BodyFactory(place=village))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        topic_transition(actor=clerk, topic_id=topic.pk, action="submit")
        assert received == []
    assert len(callbacks) == 1
    assert len(received) == 1
    payload = received[0]
    assert payload["topic_id"] == topic.pk
    assert payload["action"] == "submit"
    assert payload["actor_id"] == clerk.pk
    assert (payload["from_state"], payload["to_state"]) == ("draft", "submitted")
    assert payload["reason"] == ""


def test_signal_is_not_sent_when_the_transaction_rolls_back(
    village, clerk, received, django_capture_on_commit_callbacks
):
    """A transition undone by the caller's rollback tells no one."""
    topic = TopicFactory(place=village, body=BodyFactory(place=village))
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        topic_transition(actor=clerk, topic_id=topic.pk, action="submit")
        raise RuntimeError("caller fails after the service")
    assert callbacks == []
    assert received == []
    assert state_in_db(topic) == State.DRAFT
    assert not AuditEvent.objects.for_subject(topic).exists()


def test_refused_transition_sends_nothing(
    village, clerk, received, django_capture_on_commit_callbacks
):
    topic = TopicFactory(place=village, body=BodyFactory(place=village))
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(PermissionDenied),
    ):
        topic_transition(actor=clerk, topic_id=topic.pk, action="withdraw", reason="x")
    assert callbacks == []
    assert received == []


# -- deadlines ----------------------------------------------------------------

MOMENT = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


def approve(topic, secretary) -> Topic:
    with time_machine.travel(MOMENT, tick=False):
        topic_transition(actor=secretary, topic_id=topic.pk, action="approve")
    return Topic.objects.get(pk=topic.pk)


@pytest.fixture
def submitted(village):
    return TopicFactory(
        place=village,
        body=BodyFactory(place=village),
        state=State.SUBMITTED,
        state_changed_at=MOMENT - timedelta(days=3),
    )


def test_state_changed_at_is_the_moment_of_the_transition(submitted, secretary):
    assert approve(submitted, secretary).state_changed_at == MOMENT


def test_step_due_at_defaults_to_the_default_limit(submitted, secretary):
    """Preparing may last 20 days unless the place says otherwise."""
    assert DEFAULT_STEP_LIMITS[State.PREPARING][0] == 20
    assert approve(submitted, secretary).step_due_at == MOMENT + timedelta(days=20)


def test_step_due_at_follows_the_villages_own_limit(submitted, secretary, village):
    StepLimit.objects.create(
        place=village, state=State.PREPARING, max_days=5, remind_before_days=1
    )
    assert approve(submitted, secretary).step_due_at == MOMENT + timedelta(days=5)


def test_village_inherits_the_townships_limit(submitted, secretary, village):
    StepLimit.objects.create(
        place=village.parent, state=State.PREPARING, max_days=9, remind_before_days=1
    )
    assert approve(submitted, secretary).step_due_at == MOMENT + timedelta(days=9)


def test_villages_own_limit_wins_over_the_townships(submitted, secretary, village):
    StepLimit.objects.create(
        place=village.parent, state=State.PREPARING, max_days=9, remind_before_days=1
    )
    StepLimit.objects.create(
        place=village, state=State.PREPARING, max_days=4, remind_before_days=1
    )
    assert approve(submitted, secretary).step_due_at == MOMENT + timedelta(days=4)


def test_limit_of_another_state_or_place_does_not_apply(submitted, secretary, village):
    StepLimit.objects.create(
        place=village, state=State.CONSULTING, max_days=2, remind_before_days=1
    )
    StepLimit.objects.create(
        place=VillageFactory(parent=village.parent),
        state=State.PREPARING,
        max_days=3,
        remind_before_days=1,
    )
    assert approve(submitted, secretary).step_due_at == MOMENT + timedelta(days=20)


def test_a_final_state_has_no_deadline(submitted, secretary):
    """Rejected, withdrawn and archived topics are not watched for time."""
    topic_transition(
        actor=secretary, topic_id=submitted.pk, action="reject", reason="不属于本级"
    )
    assert Topic.objects.get(pk=submitted.pk).step_due_at is None


def test_returning_for_revision_clears_the_deadline(submitted, secretary):
    """A draft has no time limit: the deadline of 待审批 does not linger."""
    with time_machine.travel(MOMENT, tick=False):
        topic_transition(
            actor=secretary,
            topic_id=submitted.pk,
            action="return_for_revision",
            reason="请补充资金来源",
        )
    saved = Topic.objects.get(pk=submitted.pk)
    assert (saved.state, saved.step_due_at) == (State.DRAFT, None)
    assert saved.state_changed_at == MOMENT


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("title", "第一行\r\nBcc: x@example.com", "此处只能填写一行文字"),
        ("proposer", "张三\n李四", "此处只能填写一行文字"),
        ("description", "内容\x00", "不可见的控制字符"),
        ("planned_start", datetime.date(1, 1, 1), "日期须在 2000-01-01 至"),
        ("planned_end", datetime.date(9999, 12, 31), "日期须在 2000-01-01 至"),
    ],
)
def test_the_service_refuses_bad_text_and_dates_from_any_caller(field, value, message):
    """Not only the form: a command or another app gets the same refusal."""
    village = VillageFactory()
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    body = BodyFactory(place=village)
    fields = {
        "title": "标题",
        "description": "内容",
        "category": "v2",
        "tag": "livelihood",
        "forms": ["v_meeting"],
        "source": "residents",
        "proposer": "村民",
        field: value,
    }
    with pytest.raises(ValidationError) as refused:
        topic_create(actor=clerk, place=village, body=body, **fields)
    assert message in refused.value.message_dict[field][0]
    assert not Topic.objects.exists()
