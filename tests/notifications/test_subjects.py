"""A notice is about any record; the delivery page follows the subject registry."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from committees.models import Place, Role
from notifications import subjects
from notifications.models import Channel, Kind, Notification
from notifications.notify import notify
from tests.factories import (
    PersonFactory,
    TopicFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(subjects, "_BY_LABEL", dict(subjects._BY_LABEL))


def send(about, key="about", recipients=None, **fields):
    return notify(
        key=key,
        kind=Kind.MATERIAL,
        recipients=recipients or [PersonFactory()],
        subject="资料",
        body="请查阅",
        about=about,
        **fields,
    )


def test_a_notice_names_its_subject_by_content_type_and_id():
    topic = TopicFactory()
    notification = send(topic)

    notification = Notification.objects.get(pk=notification.pk)
    assert notification.about == topic
    assert notification.about_type.model_class() is type(topic)
    assert notification.about_id == topic.pk


def test_a_notice_about_an_unsaved_record_is_a_programming_error():
    with pytest.raises(ValueError):
        send(Place(name="未保存"))


def test_the_topic_delivery_page_keeps_its_url_name_and_address():
    assert reverse("notifications:topic_deliveries", args=[7]) == "/notices/topic/7/"
    topic_subject = subjects.subject_by_label("topic")
    topic = TopicFactory()
    assert topic_subject.deliveries_url(topic) == f"/notices/topic/{topic.pk}/"


def test_a_notice_about_another_kind_of_record_has_its_own_delivery_page(
    client, registry
):
    village = VillageFactory()
    subjects.register_subject(
        "place",
        Place,
        place_of=lambda place: place.pk,
        page_url=lambda place: "/",
    )
    notification = send(village, recipients=[PersonFactory(name="孙八")])
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    outsider = user_with_role(Role.VILLAGE_CLERK, VillageFactory())
    url = reverse("notifications:subject_deliveries", args=["place", village.pk])

    client.force_login(clerk)
    html = client.get(url).content.decode()
    printed = client.get(reverse("notifications:print", args=[notification.pk]))
    client.force_login(outsider)
    refused = client.get(url)

    assert notification.subject in html
    assert "孙八" in html
    assert url in printed.content.decode()
    assert refused.status_code == 404


def test_an_unregistered_label_is_not_found(client):
    client.force_login(UserFactory(is_staff=True))

    response = client.get(
        reverse("notifications:subject_deliveries", args=["nothing", 1])
    )

    assert response.status_code == 404


def test_registering_a_label_twice_for_another_model_is_refused(registry):
    with pytest.raises(ValueError):
        subjects.register_subject(
            "topic", Place, place_of=lambda p: p.pk, page_url=lambda p: "/"
        )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("village_clerk", 200),
        ("village_secretary", 200),
        ("other_village_clerk", 404),
        ("township_clerk", 404),
        ("member", 404),
        ("resident", 404),
        ("no_role", 404),
        ("staff_without_role", 404),
    ],
)
def test_who_sees_a_topics_delivery_page(client, who, status):
    topic = TopicFactory()
    send(topic)
    village = topic.place
    users = {
        "village_clerk": lambda: user_with_role(Role.VILLAGE_CLERK, village),
        "village_secretary": lambda: user_with_role(Role.VILLAGE_SECRETARY, village),
        "other_village_clerk": lambda: user_with_role(
            Role.VILLAGE_CLERK, VillageFactory(parent=village.parent)
        ),
        "township_clerk": lambda: user_with_role(Role.TOWNSHIP_CLERK, village.parent),
        "member": lambda: user_with_role(Role.MEMBER, village),
        "resident": lambda: user_with_role(Role.RESIDENT, village),
        "no_role": UserFactory,
        "staff_without_role": lambda: UserFactory(is_staff=True),
    }
    client.force_login(users[who]())

    response = client.get(reverse("notifications:topic_deliveries", args=[topic.pk]))

    assert response.status_code == status


def test_the_delivery_page_costs_the_same_queries_for_2_and_20_notices(client):
    topic = TopicFactory()
    clerk = user_with_role(Role.VILLAGE_CLERK, topic.place)
    client.force_login(clerk)
    url = reverse("notifications:topic_deliveries", args=[topic.pk])

    def queries(count: int) -> int:
        Notification.objects.all().delete()
        for n in range(count):
            send(
                topic,
                key=f"n{n}",
                recipients=[PersonFactory(), PersonFactory(email="x@example.cn")],
                channels=[Channel.INBOX, Channel.EMAIL, Channel.PAPER],
            )
        client.get(url)  # warm the session and permission caches alike
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries(2) == queries(20)


def test_the_inbox_names_the_subject_in_a_constant_number_of_queries(client):
    user = UserFactory()
    client.force_login(user)

    def queries(count: int) -> int:
        for n in range(count):
            send(TopicFactory(title=f"议题{n}"), key=f"i{count}-{n}", recipients=[user])
        with CaptureQueriesContext(connection) as captured:
            html = client.get(reverse("notifications:inbox")).content.decode()
        assert "关于：议题0" in html
        return len(captured)

    assert queries(2) == queries(8)
