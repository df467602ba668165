"""Who may write and see what in steps 2 and 3 (issue 16): participants see
what concerns them, online comments from the place only and limited, hiding is
for online comments, a closed written consultation says so."""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from committees.models import Role
from consult import services
from consult.models import Opinion, OpinionSource, Session
from core.errors import NotVisible
from tests.factories import (
    ParticipantFactory,
    TownshipFactory,
    VillageFactory,
    user_with_role,
)
from topics.states import State

from .conftest import in_days, move, plan, png

pytestmark = pytest.mark.django_db


@pytest.fixture
def online(clerk, topic, participant):
    session = plan(clerk, topic, days=1, form="v_online", location="")
    move(topic, State.CONSULTING)
    return session


def _comment(user, session, content="支持修路。"):
    return services.online_comment(actor=user, session_id=session.pk, content=content)


# -- online comments: the place's people, limited, no duplicates ----------------


def test_a_resident_of_another_village_cannot_comment(online, township):
    neighbour = user_with_role(Role.RESIDENT, VillageFactory(parent=township))
    far = user_with_role(Role.RESIDENT, VillageFactory(parent=TownshipFactory()))
    with time_machine.travel(in_days(1.01), tick=False):
        for user in (neighbour, far):
            with pytest.raises((NotVisible, PermissionDenied)):
                _comment(user, online)
    assert not Opinion.objects.filter(session=online).exists()


def test_residents_of_a_township_topics_villages_comment(clerk, township):
    from consult.permissions import can_comment
    from tests.factories import TopicFactory

    topic = TopicFactory(place=township, state=State.CONSULTING)
    session = Session.objects.create(
        topic=topic,
        form="v_online",
        starts_at=in_days(-1),
        ends_at=in_days(1),
    )
    resident = user_with_role(Role.RESIDENT, VillageFactory(parent=township))
    assert can_comment(resident, session)
    assert not can_comment(user_with_role(Role.RESIDENT, VillageFactory()), session)


def test_the_same_comment_twice_is_refused(online, village):
    resident = user_with_role(Role.RESIDENT, village)
    with time_machine.travel(in_days(1.01), tick=False):
        _comment(resident, online, "支持修路。")
        with pytest.raises(ValidationError, match="重复"):
            _comment(resident, online, "支持修路。")
        _comment(resident, online, "建议夜间施工。")
    assert Opinion.objects.filter(session=online).count() == 2


def test_a_comment_flood_stops_at_the_limit(online, village, settings):
    settings.XST_RATE_LIMITS = {**settings.XST_RATE_LIMITS, "comment": (5, 100, 60)}
    resident = user_with_role(Role.RESIDENT, village)
    client = Client()
    client.force_login(resident)
    url = reverse("consult:comment", args=[online.pk])
    with time_machine.travel(in_days(1.01), tick=False):
        statuses = [
            client.post(url, {"content": f"意见{i}"}).status_code for i in range(30)
        ]
    assert statuses[:5] == [302] * 5
    assert set(statuses[5:]) == {429}
    assert Opinion.objects.filter(session=online).count() == 5


# -- hiding is for online comments only ------------------------------------------


@pytest.mark.parametrize("source", [OpinionSource.WRITTEN, OpinionSource.SESSION])
def test_only_online_comments_can_be_hidden(clerk, topic, online, participant, source):
    opinion = Opinion.objects.create(
        topic=topic,
        source=source,
        session=online,
        participant=participant,
        author_name="王委员",
        content="建议增加路灯。",
    )
    with pytest.raises(ValidationError, match="只能屏蔽网上协商的发言"):
        services.opinion_hide(
            actor=clerk, session_id=online.pk, opinion_id=opinion.pk, reason="无关"
        )
    opinion.refresh_from_db()
    assert not opinion.is_hidden


# -- participants see their own notice; photos are staff's ----------------------


def test_a_participant_sees_only_their_own_notice_delivery(clerk, topic, member):
    ParticipantFactory(topic=topic, person__name="纸质张")
    plan(clerk, topic, days=10)
    notice = services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    client = Client()
    client.force_login(member)
    page = client.get(reverse("consult:prepare", args=[topic.pk])).content.decode()
    table = page.split('id="notice-table"')[1].split("</table>")[0]
    assert "王委员" in table
    assert "纸质张" not in table
    print_url = reverse("notifications:print", args=[notice.notification_id])
    assert print_url not in page
    client.force_login(clerk)
    staff_page = client.get(reverse("consult:prepare", args=[topic.pk])).text
    assert "纸质张" in staff_page.split('id="notice-table"')[1]
    assert print_url in staff_page


def test_sign_in_photos_are_hidden_from_participants_on_page_and_download(
    clerk, topic, member, participant
):
    session = plan(clerk, topic, days=10)
    move(topic, State.CONSULTING)
    photo = services.photo_upload(actor=clerk, session_id=session.pk, upload=png())
    url = reverse("consult:photo_download", args=[photo.pk])
    client = Client()
    client.force_login(member)
    page = client.get(reverse("consult:session", args=[session.pk]))
    assert page.status_code == 200
    assert url not in page.content.decode()
    assert client.get(url).status_code == 404
    client.force_login(clerk)
    assert url in client.get(reverse("consult:session", args=[session.pk])).text
    assert client.get(url).status_code == 200


# -- a closed written consultation says so --------------------------------------


def test_after_the_deadline_a_member_is_told_and_offered_no_form(
    written, member, participant
):
    client = Client()
    client.force_login(member)
    url = reverse("consult:session", args=[written.pk])
    answer_url = reverse("consult:written_answer", args=[written.pk])
    with time_machine.travel(in_days(1.5), tick=False):
        assert answer_url in client.get(url).content.decode()
    with time_machine.travel(in_days(4), tick=False):
        page = client.get(url).content.decode()
        assert "已截止" in page
        assert answer_url not in page
        assert "提交答复" not in page
        with pytest.raises(ValidationError) as refused:
            services.written_answer(
                actor=member, session_id=written.pk, content="迟到的答复"
            )
    assert "工作人员" not in " ".join(refused.value.messages)
    assert "已截止" in " ".join(refused.value.messages)


def test_a_participants_pre_opinion_flood_stops_at_the_limit(
    topic, member, participant, settings
):
    settings.XST_RATE_LIMITS = {**settings.XST_RATE_LIMITS, "answer": (3, 100, 60)}
    client = Client()
    client.force_login(member)
    url = reverse("consult:pre_opinion", args=[topic.pk])
    statuses = [
        client.post(url, {"content": f"意见{i}", "kind": "suggestion"}).status_code
        for i in range(6)
    ]
    assert statuses == [302, 302, 302, 429, 429, 429]
    assert Opinion.objects.filter(topic=topic).count() == 3


def test_the_clerk_entering_paper_opinions_is_not_limited(
    clerk, topic, participant, settings
):
    settings.XST_RATE_LIMITS = {**settings.XST_RATE_LIMITS, "answer": (3, 3, 60)}
    client = Client()
    client.force_login(clerk)
    url = reverse("consult:pre_opinion", args=[topic.pk])
    for i in range(6):
        response = client.post(
            url,
            {
                "content": f"意见{i}",
                "kind": "suggestion",
                "participant": participant.pk,
            },
        )
        assert response.status_code == 302
    assert Opinion.objects.filter(topic=topic).count() == 6


def test_the_same_pre_opinion_twice_is_refused(topic, member, participant):
    services.opinion_pre_collect(actor=member, topic_id=topic.pk, content="加路灯。")
    with pytest.raises(ValidationError, match="重复"):
        services.opinion_pre_collect(
            actor=member, topic_id=topic.pk, content="加路灯。"
        )
    assert Opinion.objects.filter(topic=topic).count() == 1
