"""factory_boy factories shared by the test suite."""

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from committees.models import Body, BodyKind, Person, Place, PlaceKind, Platform
from committees.services import place_create, role_grant
from topics.catalogue import Category, Form, Source, Tag
from topics.models import Topic
from topics.states import State

PASSWORD = "test-pass-123"


class _PlaceFactory(DjangoModelFactory):
    """Places are created by the service that sets their township."""

    class Meta:
        model = Place
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return place_create(actor=None, **kwargs)


class TownshipFactory(_PlaceFactory):
    class Meta:
        model = Place

    kind = PlaceKind.TOWNSHIP
    name = factory.Sequence(lambda n: f"测试镇{n}")
    code = factory.Sequence(lambda n: f"town{n}")


class VillageFactory(_PlaceFactory):
    class Meta:
        model = Place

    kind = PlaceKind.VILLAGE
    parent = factory.SubFactory(TownshipFactory)
    name = factory.Sequence(lambda n: f"测试村{n}")
    code = factory.Sequence(lambda n: f"village{n}")


class BodyFactory(DjangoModelFactory):
    class Meta:
        model = Body
        django_get_or_create = ("place", "kind")

    place = factory.SubFactory(VillageFactory)
    kind = factory.LazyAttribute(
        lambda o: (
            BodyKind.VILLAGE_COMMITTEE
            if o.place.kind == PlaceKind.VILLAGE
            else BodyKind.TOWN_GOVERNMENT
        )
    )
    name = factory.LazyAttribute(lambda o: f"{o.place.name}{BodyKind(o.kind).label}")


class PlatformFactory(DjangoModelFactory):
    class Meta:
        model = Platform

    place = factory.SubFactory(TownshipFactory)
    kind = "town_committee"
    name = factory.Sequence(lambda n: f"协商平台{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"人员{n}")


def user_with_role(role: str, place: Place, **user_fields):
    """A fresh user holding one role on one place (through the service)."""
    user = UserFactory(**user_fields)
    role_grant(actor=None, user=user, place=place, role=role)
    return get_user_model().objects.get(pk=user.pk)


def _is_village(o) -> bool:
    return o.place.kind == PlaceKind.VILLAGE


class TopicFactory(DjangoModelFactory):
    """A complete topic; pass ``state=`` to start it anywhere in the procedure."""

    class Meta:
        model = Topic

    place = factory.SubFactory(VillageFactory)
    body = factory.LazyAttribute(lambda o: BodyFactory(place=o.place))
    title = factory.Sequence(lambda n: f"议题{n}")
    description = "议题的背景、内容和拟协商的问题。"
    category = factory.LazyAttribute(
        lambda o: Category.V2 if _is_village(o) else Category.T2
    )
    tag = Tag.LIVELIHOOD
    forms = factory.LazyAttribute(
        lambda o: [Form.V_MEETING] if _is_village(o) else [Form.T_MEETING]
    )
    source = Source.RESIDENTS
    proposer = "村民张三"
    state = State.DRAFT


def per_topic(check):
    """An evidence provider from a one-topic check, for tests that fake evidence."""
    from topics.evidence import Provider

    return Provider(check_many=lambda topics: {t.pk for t in topics if check(t)})


# -- consult (steps 2 and 3)


def _in_days(days: int):
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(days=days)


def _two_hours_after(o):
    from datetime import timedelta

    return o.starts_at + timedelta(hours=2)


class ParticipantFactory(DjangoModelFactory):
    class Meta:
        model = "consult.Participant"

    topic = factory.SubFactory(TopicFactory, state=State.PREPARING)
    person = factory.SubFactory(PersonFactory)
    category = "masses"


class SessionFactory(DjangoModelFactory):
    class Meta:
        model = "consult.Session"

    topic = factory.SubFactory(TopicFactory, state=State.PREPARING)
    form = factory.LazyAttribute(lambda o: o.topic.forms[0])
    starts_at = factory.LazyFunction(lambda: _in_days(10))
    ends_at = factory.LazyAttribute(_two_hours_after)
    location = "村委会会议室"
    agenda = "听取方案说明，逐项协商。"
    host = "主持人"


class OpinionFactory(DjangoModelFactory):
    class Meta:
        model = "consult.Opinion"

    topic = factory.SubFactory(TopicFactory, state=State.CONSULTING)
    source = "session"
    author_name = factory.Sequence(lambda n: f"发言人{n}")
    content = "建议增加路灯。"
    kind = "suggestion"


class AttendanceFactory(DjangoModelFactory):
    class Meta:
        model = "consult.Attendance"

    session = factory.SubFactory(SessionFactory)
    participant = factory.SubFactory(
        ParticipantFactory, topic=factory.SelfAttribute("..session.topic")
    )
    status = "present"


# -- feedback (steps 4 and 5) ---------------------------------------------------


def _today():
    from django.utils import timezone

    return timezone.localdate()


class FeedbackTaskFactory(DjangoModelFactory):
    """A 落实 task written directly, for tests of reads and evidence."""

    class Meta:
        model = "feedback.Task"

    topic = factory.SubFactory(TopicFactory, state=State.FEEDBACK)
    description = factory.Sequence(lambda n: f"落实任务{n}")
    responsible = factory.SubFactory(PersonFactory)
    deadline = factory.LazyFunction(lambda: _today())


class FeedbackProgressFactory(DjangoModelFactory):
    class Meta:
        model = "feedback.ProgressReport"

    task = factory.SubFactory(FeedbackTaskFactory)
    percent = 50
    reported_on = factory.LazyAttribute(lambda o: o.task.deadline)
    note = "按计划推进。"
