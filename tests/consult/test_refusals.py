"""One receipt rule through both pages, and refused step forms kept as typed
(issue 14 items 5 and 6)."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from consult import services
from consult.models import Opinion, Participant, Session
from core.models import AuditEvent
from notifications.models import Channel, Delivery, DeliveryStatus, Notification
from tests.factories import ParticipantFactory
from topics.states import State

from .conftest import in_days, move, plan

pytestmark = pytest.mark.django_db


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def field_error(name: str, message: str) -> str:
    """How a message stands beside its field in Django's form rendering."""
    return f'id="id_{name}_error"><li>{message}'


# -- one receipt path ------------------------------------------------------------


@pytest.fixture
def paper(clerk, topic):
    """A paper meeting notice of the topic, not yet signed for."""
    offline = ParticipantFactory(topic=topic)
    plan(clerk, topic, days=10)
    notice = services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    return Delivery.objects.get(
        notification=notice.notification, person=offline.person, channel=Channel.PAPER
    )


def post_on_prepare_page(client, topic, paper, **data):
    return client.post(
        reverse("consult:meeting_notice_receipt", kwargs={"topic_id": topic.pk}),
        {"delivery": paper.pk, **data},
    )


def post_on_delivery_page(client, topic, paper, **data):
    return client.post(reverse("notifications:receipt", args=[paper.pk]), data)


PAGES = {
    "prepare": (post_on_prepare_page, "consult:prepare"),
    "deliveries": (post_on_delivery_page, "notifications:topic_deliveries"),
}


def page_url(page: str, topic) -> str:
    name = PAGES[page][1]
    if name == "consult:prepare":
        return reverse(name, kwargs={"topic_id": topic.pk})
    return reverse(name, args=[topic.pk])


@pytest.mark.parametrize("page", PAGES)
def test_a_receipt_entered_after_the_meeting_is_accepted_and_marked_late(
    client, clerk, topic, paper, page
):
    """Once the topic has left step 2-3 (the meeting held), a receipt is still
    a fact about the past: taken on either page, marked 补登."""
    Notification.objects.filter(pk=paper.notification_id).update(
        event_start=in_days(-1)
    )
    move(topic, State.ADOPTING)
    client.force_login(clerk)
    post, _name = PAGES[page]

    response = post(client, topic, paper, signed_by="本人")

    assert response.status_code == 302
    paper.refresh_from_db()
    assert (paper.status, paper.receipt_late) == (DeliveryStatus.SENT, True)
    event = AuditEvent.objects.for_subject(topic).get(verb="receipt_record")
    assert event.data["after"]["late"] is True
    for shown_on in PAGES:
        assert "补登" in client.get(page_url(shown_on, topic)).text


@pytest.mark.parametrize("page", PAGES)
def test_a_receipt_before_the_meeting_is_not_marked_late(
    client, clerk, topic, paper, page
):
    client.force_login(clerk)
    post, _name = PAGES[page]

    assert post(client, topic, paper, signed_by="本人").status_code == 302

    paper.refresh_from_db()
    assert (paper.status, paper.receipt_late) == (DeliveryStatus.SENT, False)
    assert "补登" not in client.get(page_url(page, topic)).text


@pytest.mark.parametrize("page", PAGES)
def test_a_receipt_on_an_archived_topic_is_refused_on_either_page(
    client, clerk, topic, paper, page
):
    move(topic, State.ARCHIVED)
    client.force_login(clerk)
    post, _name = PAGES[page]

    response = post(client, topic, paper, signed_by="本人")

    assert response.status_code == 409
    assert "议题已归档" in response.text
    paper.refresh_from_db()
    assert (paper.status, paper.receipt_signed_by) == (DeliveryStatus.QUEUED, "")
    assert not AuditEvent.objects.filter(verb="receipt_record").exists()


@pytest.mark.parametrize("page", PAGES)
def test_a_receipt_dated_tomorrow_is_refused_at_its_field_on_either_page(
    client, clerk, topic, paper, page
):
    client.force_login(clerk)
    post, _name = PAGES[page]
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = post(client, topic, paper, signed_by="王五家属", signed_on=tomorrow)

    assert response.status_code == 400
    assert field_error("signed_on", "签收日期不能晚于今天。") in response.text
    assert 'value="王五家属"' in response.text
    paper.refresh_from_db()
    assert paper.status == DeliveryStatus.QUEUED


@pytest.mark.parametrize("page", PAGES)
def test_a_receipt_dated_before_the_notice_is_refused_at_the_date_field(
    client, clerk, topic, paper, page
):
    """The service's ``signed_at`` message stands at the form's date box."""
    client.force_login(clerk)
    post, _name = PAGES[page]
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    response = post(client, topic, paper, signed_by="王五家属", signed_on=yesterday)

    assert response.status_code == 400
    assert field_error("signed_on", "签收日期不能早于通知发出的日期") in response.text
    assert f'value="{yesterday}"' in response.text
    paper.refresh_from_db()
    assert paper.status == DeliveryStatus.QUEUED


# -- refused step forms keep what was typed ---------------------------------------


def test_a_refused_session_plan_keeps_the_input_with_the_error_at_its_field(
    client, clerk, topic
):
    client.force_login(clerk)
    response = client.post(
        reverse("consult:session_add", kwargs={"topic_id": topic.pk}),
        {
            "form": "v_meeting",
            "starts_at": local(in_days(10)),
            "ends_at": local(in_days(9)),
            "location": "村委会二楼",
            "agenda": "讨论修路方案",
        },
    )
    assert response.status_code == 400
    assert field_error("ends_at", "结束时间必须晚于开始时间。") in response.text
    assert 'value="村委会二楼"' in response.text
    assert "讨论修路方案</textarea>" in response.text
    assert not Session.objects.exists()


def test_a_refused_person_keeps_the_input_with_the_error_at_its_field(
    client, clerk, topic
):
    client.force_login(clerk)
    response = client.post(
        reverse("consult:person_add", kwargs={"topic_id": topic.pk}),
        {"name": "赵大爷", "category": "stakeholder", "phone": "打电话"},
    )
    assert response.status_code == 400
    assert field_error("phone", "手机号格式不正确。") in response.text
    assert 'value="赵大爷"' in response.text
    assert not Participant.objects.exists()


def test_a_person_added_after_the_step_is_a_409_with_the_reason_on_top(
    client, clerk, topic
):
    """The list is settled: the page no longer offers the form, and says why."""
    move(topic, State.CONSULTING)
    client.force_login(clerk)
    response = client.post(
        reverse("consult:person_add", kwargs={"topic_id": topic.pk}),
        {"name": "赵大爷", "category": "stakeholder"},
    )
    assert response.status_code == 409
    assert 'role="alert"><ul class="errorlist"><li>议题已不在该步骤' in response.text
    assert not Participant.objects.exists()


def test_a_refused_pre_opinion_keeps_the_input_with_the_error_at_its_field(
    client, clerk, topic, participant
):
    client.force_login(clerk)
    response = client.post(
        reverse("consult:pre_opinion", kwargs={"topic_id": topic.pk}),
        {"content": "希望先修路", "kind": "suggestion"},
    )
    assert response.status_code == 400
    assert field_error("participant", "请选择提出意见的参与对象。") in response.text
    assert "希望先修路</textarea>" in response.text
    assert not Opinion.objects.exists()


@pytest.fixture
def meeting(clerk, topic, participant):
    session = plan(clerk, topic, days=1)
    move(topic, State.CONSULTING)
    with time_machine.travel(in_days(1.01), tick=False):
        yield session


def test_a_refused_opinion_keeps_the_input_with_the_error_at_its_field(
    client, clerk, meeting
):
    client.force_login(clerk)
    response = client.post(
        reverse("consult:opinion_add", kwargs={"session_id": meeting.pk}),
        {"content": "建议同步修排水沟", "kind": "suggestion"},
    )
    assert response.status_code == 400
    assert field_error("author_name", "请选择或填写提出人。") in response.text
    assert "建议同步修排水沟</textarea>" in response.text
    assert not Opinion.objects.exists()


def test_refused_minutes_keep_the_input_with_the_error_at_its_field(
    client, clerk, meeting
):
    client.force_login(clerk)
    response = client.post(
        reverse("consult:record", kwargs={"session_id": meeting.pk}),
        {"minutes": "", "consensus": "同意硬化", "disputed": "资金分摊"},
    )
    assert response.status_code == 400
    assert field_error("minutes", "请填写会议记录。") in response.text
    assert "同意硬化</textarea>" in response.text
    assert "资金分摊</textarea>" in response.text
    meeting.refresh_from_db()
    assert meeting.consensus == ""


def test_a_refused_paper_answer_keeps_the_input_with_the_error_at_its_field(
    client, clerk, written, participant
):
    """After the deadline a paper answer needs the reason, asked at its box."""
    client.force_login(clerk)
    with time_machine.travel(in_days(4), tick=False):
        response = client.post(
            reverse("consult:written_answer", kwargs={"session_id": written.pk}),
            {
                "participant": participant.pk,
                "content": "同意方案",
                "kind": "objection",
            },
        )
    assert response.status_code == 400
    assert field_error("late_reason", "已过答复截止时间") in response.text
    assert "同意方案</textarea>" in response.text
    assert f'<option value="{participant.pk}" selected>' in response.text
    assert '<option value="objection" selected>' in response.text
    assert not Opinion.objects.exists()


# -- the rules the pages read ---------------------------------------------------


def test_the_online_window_is_one_rule_for_the_page_and_the_service(
    clerk, topic, village
):
    from committees.models import Role
    from consult import rules
    from tests.factories import user_with_role

    online = plan(clerk, topic, days=1, form="v_online", location="")
    move(topic, State.CONSULTING)
    resident = user_with_role(Role.RESIDENT, village)
    assert not rules.online_open(online, timezone.now())
    with pytest.raises(ValidationError, match="不在开放期间"):
        services.online_comment(actor=resident, session_id=online.pk, content="早")
    during = online.starts_at + timedelta(minutes=1)
    assert rules.online_open(online, during)
    with time_machine.travel(during, tick=False):
        services.online_comment(actor=resident, session_id=online.pk, content="好")


def test_the_steps_a_record_is_written_in_are_declared_once(topic):
    from consult import rules

    assert rules.writable(topic) == {
        "plan": True,
        "participants": True,
        "session": False,
    }
    move(topic, State.CONSULTING)
    assert rules.writable(topic) == {
        "plan": True,
        "participants": False,
        "session": True,
    }
    assert not rules.correctable(topic, "session")
    move(topic, State.ADOPTING)
    assert rules.correctable(topic, "session")
