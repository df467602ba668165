"""The evidence registry: what each step must show before the topic leaves it."""

import pytest

from tests.factories import per_topic
from topics import evidence
from topics.models import Topic
from topics.states import State, Step

# The requirements of DOMAIN.md §4, by hand: a step losing one of them (or
# gaining an undeclared one) must be a deliberate change of this list.
DECLARED = {
    Step.DETERMINE: [
        "topic.title",
        "topic.description",
        "topic.category",
        "topic.tag",
        "topic.forms",
    ],
    Step.PREPARE: [
        "prepare.plan",
        "prepare.participants",
        "prepare.notices",
        "prepare.materials",
    ],
    Step.CONSULT: ["consult.session"],
    Step.ADOPT: [
        "adopt.compiled",
        "adopt.dispositions",
        "adopt.decision",
        "adopt.vote",
        "adopt.explanations",
    ],
    Step.FEEDBACK: [
        "feedback.tasks",
        "feedback.progress",
        "feedback.public_notice",
        "feedback.progress_notice",
        "feedback.informed",
    ],
}


@pytest.fixture
def registry(monkeypatch):
    """Private copies of the registry, so a test's registrations never leak."""
    monkeypatch.setattr(evidence, "_REQUIREMENTS", dict(evidence._REQUIREMENTS))
    monkeypatch.setattr(evidence, "_PROVIDERS", dict(evidence._PROVIDERS))
    return evidence


def test_every_step_declares_the_requirements_of_the_source():
    """No step is without requirements, so none can be skipped."""
    for step in Step:
        assert [r.code for r in evidence.requirements(step)] == DECLARED[step]


def test_every_requirement_has_a_chinese_label():
    for step in Step:
        for requirement in evidence.requirements(step):
            label = str(requirement.label)
            assert label
            assert any("\u4e00" <= ch <= "\u9fff" for ch in label), label


def test_step_one_checks_are_provided_by_the_topics_app():
    """Only step 1 is checked by topics itself; steps 2-5 wait for their apps."""
    for code in DECLARED[Step.DETERMINE]:
        assert code in evidence._PROVIDERS


def test_a_requirement_without_a_check_is_missing(registry):
    topic = Topic(state=State.PREPARING)
    registry._PROVIDERS.pop("prepare.plan", None)
    assert "prepare.plan" in [r.code for r in registry.missing(topic, Step.PREPARE)]


def test_a_failing_check_is_missing_and_a_passing_one_is_not(registry):
    topic = Topic(state=State.PREPARING)
    for code in DECLARED[Step.PREPARE]:
        registry._PROVIDERS[code] = per_topic(lambda t: True)
    registry._PROVIDERS["prepare.notices"] = per_topic(lambda t: False)

    assert [r.code for r in registry.missing(topic, Step.PREPARE)] == [
        "prepare.notices"
    ]
    assert registry.step_complete(Step.PREPARE)(topic) is False

    registry._PROVIDERS["prepare.notices"] = per_topic(lambda t: True)
    assert registry.missing(topic, Step.PREPARE) == []
    assert registry.step_complete(Step.PREPARE)(topic) is True


def test_checks_receive_the_topic(registry):
    seen = []
    topic = Topic(state=State.CONSULTING)
    registry._PROVIDERS["consult.session"] = per_topic(lambda t: seen.append(t) or True)
    assert registry.missing(topic, Step.CONSULT) == []
    assert seen == [topic]


def test_requiring_a_code_twice_is_an_error(registry):
    with pytest.raises(ValueError):
        registry.require(Step.PREPARE, "prepare.plan", "协商方案")


def test_providing_an_undeclared_code_is_an_error(registry):
    with pytest.raises(KeyError):
        registry.provide("prepare.unknown", lambda t: True)


def test_a_second_different_check_for_one_code_is_an_error(registry):
    """Two apps cannot both decide one requirement; re-providing the same is fine."""

    def check(topic):
        return True

    registry._PROVIDERS.pop("consult.session", None)
    registry.provide("consult.session", check)
    registry.provide("consult.session", check)
    with pytest.raises(ValueError):
        registry.provide("consult.session", lambda t: True)


def test_a_new_requirement_is_one_require_and_one_provide(registry):
    """Adding evidence to a step needs no change to the state machine."""
    topic = Topic(state=State.CONSULTING)
    registry._PROVIDERS["consult.session"] = per_topic(lambda t: True)
    registry.require(Step.CONSULT, "consult.photos", "现场照片")
    assert [r.code for r in registry.missing(topic, Step.CONSULT)] == ["consult.photos"]
    registry.provide("consult.photos", lambda t: True)
    assert registry.missing(topic, Step.CONSULT) == []


def test_the_transitions_out_of_each_step_ask_for_that_step():
    """Each transition leaving a step carries that step's condition."""
    gates = {
        "submit": Step.DETERMINE,
        "approve": Step.DETERMINE,
        "start_consultation": Step.PREPARE,
        "start_adoption": Step.CONSULT,
        "start_feedback": Step.ADOPT,
        "archive": Step.FEEDBACK,
    }
    for name, step in gates.items():
        meta = getattr(Topic, name)._django_fsm
        [transition] = meta.transitions.values()
        assert [c.step for c in transition.conditions] == [step], name
    for name in ("reject", "return_for_revision", "withdraw"):
        meta = getattr(Topic, name)._django_fsm
        for transition in meta.transitions.values():
            assert not transition.conditions, name


def test_notice_label_follows_the_configured_days(settings):
    """The notice rule reads the setting when shown, not at import time."""
    label = next(
        r.label
        for r in evidence.requirements(Step.PREPARE)
        if r.code == "prepare.notices"
    )
    settings.XST_NOTICE_MIN_DAYS = 3
    assert str(label) == "参会通知已至少提前 3 天发给全部参与对象"
    settings.XST_NOTICE_MIN_DAYS = 5
    assert str(label) == "参会通知已至少提前 5 天发给全部参与对象"


def complete_topic(**overrides) -> Topic:
    fields = {
        "title": "村道硬化",
        "description": "线路与资金安排。",
        "category": "v4",
        "tag": "public_welfare",
        "forms": ["v_meeting"],
        **overrides,
    }
    return Topic(**fields)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("title", "   ", "topic.title"),
        ("description", "\n\t", "topic.description"),
        ("category", "", "topic.category"),
        ("tag", "", "topic.tag"),
        ("forms", [], "topic.forms"),
    ],
)
def test_step_one_is_incomplete_without_each_field(field, value, code):
    topic = complete_topic(**{field: value})
    assert [r.code for r in evidence.missing(topic, Step.DETERMINE)] == [code]


def test_a_complete_topic_meets_step_one():
    assert evidence.missing(complete_topic(), Step.DETERMINE) == []
