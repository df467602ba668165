"""A paper receipt of a topic's notice is a record of the topic (issue 8 part 3).

Through either page (the generic ``notifications:receipt`` or consult's
step-2 page) it is appended once to the topic's one chain, under the topic's
lock, naming the delivery; an archived topic refuses it.
"""

from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse

from committees.models import Role
from core.chain import verify_chain
from core.errors import Sealed
from core.models import AuditEvent
from notifications import services
from notifications.models import Channel, Delivery, DeliveryStatus, Kind, Notification
from tests.factories import PersonFactory, TopicFactory, VillageFactory, user_with_role
from topics.states import State

pytestmark = pytest.mark.django_db

ISSUED = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def village():
    return VillageFactory()


@pytest.fixture
def clerk(village):
    return user_with_role(Role.VILLAGE_CLERK, village)


def paper_notice(topic) -> Delivery:
    notification = Notification.objects.create(
        key=f"test:receipt:{topic.pk}",
        kind=Kind.MEETING_NOTICE,
        subject="关于召开村民议事会的通知",
        body="请准时参加。",
        about=topic,
        created_at=ISSUED,
    )
    return Delivery.objects.create(
        notification=notification,
        person=PersonFactory(name="王五"),
        channel=Channel.PAPER,
        status=DeliveryStatus.QUEUED,
    )


def receipts_on_chains() -> list[tuple]:
    """Every receipt event: (subject model, subject id, verb, record id)."""
    return [
        (e.subject_type.model, e.subject_id, e.verb, e.record_id)
        for e in AuditEvent.objects.filter(
            verb__in=["receipt_record", "notice_receipt"]
        ).select_related("subject_type")
    ]


def post_receipt(client, paper, signed_by="王五家属"):
    return client.post(
        reverse("notifications:receipt", args=[paper.pk]),
        {"signed_by": signed_by, "signed_on": "2026-04-06"},
        follow=True,
    )


def test_a_receipt_on_the_generic_page_is_appended_to_the_topics_chain(
    client, clerk, village
):
    topic = TopicFactory(place=village, state=State.PREPARING)
    paper = paper_notice(topic)
    client.force_login(clerk)

    response = post_receipt(client, paper)

    assert "回执已登记" in response.content.decode()
    [event] = AuditEvent.objects.for_subject(topic).filter(verb="receipt_record")
    assert event.record_type == ContentType.objects.get_for_model(Delivery)
    assert event.record_id == paper.pk
    # The state columns of a topic's chain are the topic's own transitions.
    assert (event.actor, event.from_state, event.to_state) == (clerk, "", "")
    assert event.data["before"] == {"status": DeliveryStatus.QUEUED}
    assert event.data["after"]["status"] == DeliveryStatus.SENT
    assert event.data["after"]["signed_by"] == "王五家属"
    assert event.data["after"]["person"] == paper.person_id
    # Once, and on the topic's chain only: the delivery has no chain of its own.
    assert receipts_on_chains() == [("topic", topic.pk, "receipt_record", paper.pk)]
    assert verify_chain(topic) == []


def test_tampering_with_the_receipt_breaks_the_topics_chain(client, clerk, village):
    topic = TopicFactory(place=village, state=State.PREPARING)
    paper = paper_notice(topic)
    client.force_login(clerk)
    post_receipt(client, paper)
    event = AuditEvent.objects.for_subject(topic).get(verb="receipt_record")

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET data = %s WHERE id = %s",
            ['{"after": {"signed_by": "别人"}}', event.pk],
        )

    [broken] = verify_chain(topic)
    assert (broken.event_id, broken.verb, broken.problem) == (
        event.pk,
        "receipt_record",
        "hash",
    )
    assert broken.record == f"notifications.delivery:{paper.pk}"


def test_an_archived_topic_refuses_a_receipt_with_a_clear_message(
    client, clerk, village
):
    topic = TopicFactory(place=village, state=State.ARCHIVED)
    paper = paper_notice(topic)
    client.force_login(clerk)

    response = post_receipt(client, paper)

    html = response.content.decode()
    assert response.status_code == 409
    assert 'role="alert"><ul class="errorlist"><li>议题已归档，记录不能再修改' in html
    assert "回执已登记" not in html
    paper.refresh_from_db()
    assert paper.status == DeliveryStatus.QUEUED
    assert (paper.receipt_signed_by, paper.receipt_recorded_by) == ("", None)
    assert receipts_on_chains() == []


def test_the_service_refuses_a_receipt_of_an_archived_topic(clerk, village):
    topic = TopicFactory(place=village, state=State.ARCHIVED)
    paper = paper_notice(topic)

    with pytest.raises(Sealed):
        services.receipt_record(actor=clerk, delivery_id=paper.pk, signed_by="王五")

    paper.refresh_from_db()
    assert paper.status == DeliveryStatus.QUEUED
    assert receipts_on_chains() == []


def test_the_step_two_page_audits_a_receipt_once(client, clerk, village):
    """consult's step-2 page calls receipt_record: one event, the one verb."""
    topic = TopicFactory(place=village, state=State.PREPARING)
    paper = paper_notice(topic)
    client.force_login(clerk)

    response = client.post(
        reverse("consult:meeting_notice_receipt", kwargs={"topic_id": topic.pk}),
        {"delivery": paper.pk, "signed_by": "本人"},
    )

    assert response.status_code == 302
    assert receipts_on_chains() == [("topic", topic.pk, "receipt_record", paper.pk)]
    assert verify_chain(topic) == []


def test_receipts_of_two_notices_extend_one_chain(clerk, village):
    """Each receipt follows the topic's earlier events: one head per topic."""
    topic = TopicFactory(place=village, state=State.PREPARING)
    first = paper_notice(topic)
    second = Delivery.objects.create(
        notification=first.notification,
        person=PersonFactory(),
        channel=Channel.PAPER,
        status=DeliveryStatus.QUEUED,
    )

    services.receipt_record(actor=clerk, delivery_id=first.pk, signed_by="甲")
    services.receipt_record(actor=clerk, delivery_id=second.pk, signed_by="乙")

    events = list(AuditEvent.objects.for_subject(topic).order_by("seq"))
    assert [(e.seq, e.record_id) for e in events] == [(1, first.pk), (2, second.pk)]
    assert events[1].prev_hash == events[0].hash
    assert verify_chain(topic) == []
