"""Flows through the pages: what a clerk, a participant and a resident see and do."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from committees.models import Role
from consult import services
from consult.models import (
    Attendance,
    Correction,
    Material,
    Opinion,
    Participant,
    SignInPhoto,
)
from tests.factories import (
    ParticipantFactory,
    TopicFactory,
    VillageFactory,
    user_with_role,
)
from topics.states import State

from .conftest import PDF, PNG, in_days, notified_meeting, pdf, plan

pytestmark = pytest.mark.django_db


def move(topic, state):
    type(topic).objects.filter(pk=topic.pk).update(state=state)
    topic.refresh_from_db()


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_step_pages_are_registered_for_the_topic_page(topic):
    """The topic page links to each registered step page (topics.pages)."""
    from topics.pages import step_links

    urls = [url for _page, url in step_links(topic)]
    assert reverse("consult:prepare", kwargs={"topic_id": topic.pk}) in urls
    assert reverse("consult:sessions", kwargs={"topic_id": topic.pk}) in urls


def test_clerk_prepares_through_the_page(client, clerk, topic, council):
    client.force_login(clerk)
    prepare = reverse("consult:prepare", kwargs={"topic_id": topic.pk})
    response = client.post(
        reverse("consult:session_add", kwargs={"topic_id": topic.pk}),
        {
            "form": "v_meeting",
            "starts_at": local(in_days(10)),
            "ends_at": local(in_days(10) + timedelta(hours=2)),
            "location": "村委会会议室",
            "agenda": "议程",
            "host": "李书记",
        },
        follow=True,
    )
    assert "协商活动已安排" in response.text
    client.post(
        reverse("consult:roster_add", kwargs={"topic_id": topic.pk}),
        {"platform": council.pk},
    )
    client.post(
        reverse("consult:person_add", kwargs={"topic_id": topic.pk}),
        {"name": "赵大爷", "category": "stakeholder"},
    )
    assert Participant.objects.filter(topic=topic).count() == 5
    page = client.get(prepare)
    assert "缺少的界别" in page.text
    assert "村民代表 2" in page.text
    response = client.post(
        reverse("consult:meeting_notice_send", kwargs={"topic_id": topic.pk}),
        follow=True,
    )
    assert "参会通知已发送" in response.text
    assert "纸质通知书" in response.text  # the people nothing else reaches
    assert "登记签收" in response.text
    client.post(
        reverse("consult:material_upload", kwargs={"topic_id": topic.pk}),
        {"title": "实施方案", "file": pdf()},
    )
    page = client.get(prepare)
    assert "实施方案" in page.text and "SHA-256" in page.text


def test_bad_session_input_shows_a_message_and_saves_nothing(client, clerk, topic):
    client.force_login(clerk)
    response = client.post(
        reverse("consult:session_add", kwargs={"topic_id": topic.pk}),
        {
            "form": "v_meeting",
            "starts_at": local(in_days(10)),
            "ends_at": local(in_days(9)),
            "location": "x",
            "agenda": "y",
        },
    )
    assert response.status_code == 400
    assert "结束时间必须晚于开始时间" in response.text
    response = client.post(
        reverse("consult:session_add", kwargs={"topic_id": topic.pk}),
        {"form": "v_meeting", "starts_at": "昨天"},
    )
    assert response.status_code == 400
    assert 'value="昨天"' in response.text
    assert not topic.sessions.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.exe", b"MZ\x90\x00", "不允许上传"),
        ("x.pdf", b"<html><script>alert(1)</script></html>", "内容与扩展名不符"),
        ("../../x.pdf", b"<html></html>", "内容与扩展名不符"),
    ],
)
def test_bad_upload_through_the_page(client, clerk, topic, name, content, message):
    client.force_login(clerk)
    response = client.post(
        reverse("consult:material_upload", kwargs={"topic_id": topic.pk}),
        {"file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 400
    assert message in response.text
    assert not Material.objects.exists()


def test_upload_over_the_limit_through_the_page(client, clerk, topic, settings):
    settings.XST_UPLOAD_MAX_BYTES = 1024 * 1024
    client.force_login(clerk)
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024))
    response = client.post(
        reverse("consult:material_upload", kwargs={"topic_id": topic.pk}),
        {"file": big},
        follow=True,
    )
    assert "文件过大" in response.text
    assert not Material.objects.exists()


def test_download_is_an_attachment_with_nosniff(client, clerk, topic, member):
    version = services.material_upload(
        actor=clerk,
        topic_id=topic.pk,
        upload=pdf('方案"; x=.pdf'.replace('"', "")),
    )
    client.force_login(member)
    response = client.get(
        reverse("consult:material_download", kwargs={"version_id": version.pk})
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


def test_participant_sees_own_topics_and_what_waits(client, clerk, topic, member):
    plan(clerk, topic, days=1)
    written = plan(
        clerk, topic, days=1, form="v_written", location="", ends_at=in_days(3)
    )
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    services.material_upload(
        actor=clerk, topic_id=topic.pk, upload=pdf(), title="实施方案"
    )
    move(topic, State.CONSULTING)
    client.force_login(member)
    with time_machine.travel(in_days(1.5), tick=False):
        page = client.get(reverse("consult:mine"))
        assert topic.title in page.text
        assert "实施方案" in page.text
        assert "参会通知" in page.text
        assert reverse("consult:session", kwargs={"session_id": written.pk}) in (
            page.text
        )
        assert "等待您答复的书面征询" in page.text
        response = client.post(
            reverse("consult:written_answer", kwargs={"session_id": written.pk}),
            {"content": "同意方案", "kind": "suggestion"},
            follow=True,
        )
        assert "答复已保存" in response.text
        page = client.get(reverse("consult:mine"))
        assert "等待您答复的书面征询" not in page.text


def test_the_inbox_link_of_a_notice_opens_for_the_participant(
    client, clerk, topic, member
):
    plan(clerk, topic)
    notice = services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    client.force_login(member)
    assert client.get(notice.notification.link).status_code == 200


@pytest.fixture
def meeting(clerk, topic, participant):
    session = notified_meeting(clerk, topic)
    move(topic, State.CONSULTING)
    with time_machine.travel(in_days(4.01), tick=False):
        yield session


def test_recording_a_meeting_from_the_paper_sheet(client, clerk, meeting, participant):
    client.force_login(clerk)
    url = reverse("consult:session", kwargs={"session_id": meeting.pk})
    page = client.get(url)
    assert 'value="present"' in page.text
    client.post(
        reverse("consult:attendance", kwargs={"session_id": meeting.pk}),
        {"participant": participant.pk, "status": "present"},
    )
    client.post(
        reverse("consult:photo_add", kwargs={"session_id": meeting.pk}),
        {"file": SimpleUploadedFile("sheet.png", PNG)},
    )
    client.post(
        reverse("consult:record", kwargs={"session_id": meeting.pk}),
        {"minutes": "会议记录", "consensus": "同意", "disputed": "资金"},
    )
    client.post(
        reverse("consult:opinion_add", kwargs={"session_id": meeting.pk}),
        {"participant": participant.pk, "content": "先修主路", "kind": "suggestion"},
    )
    assert Attendance.objects.get().status == "present"
    assert SignInPhoto.objects.count() == 1
    page = client.get(url)
    assert "先修主路" in page.text and "出席" in page.text
    photo = SignInPhoto.objects.get()
    download = client.get(
        reverse("consult:photo_download", kwargs={"photo_id": photo.pk})
    )
    assert download["X-Content-Type-Options"] == "nosniff"


def test_attendance_for_someone_not_on_the_list_is_refused(
    client, clerk, topic, meeting
):

    stranger = ParticipantFactory(topic=TopicFactory(place=topic.place))
    client.force_login(clerk)
    response = client.post(
        reverse("consult:attendance", kwargs={"session_id": meeting.pk}),
        {"participant": stranger.pk, "status": "present"},
        follow=True,
    )
    assert "不在本议题的参与对象名单中" in response.text
    assert not Attendance.objects.exists()


def test_opinion_without_content_is_refused_on_the_page(
    client, clerk, meeting, participant
):
    client.force_login(clerk)
    response = client.post(
        reverse("consult:opinion_add", kwargs={"session_id": meeting.pk}),
        {"participant": participant.pk, "content": "  ", "kind": "suggestion"},
        follow=True,
    )
    assert "请填写意见内容" in response.text
    assert not Opinion.objects.exists()


def test_resident_comment_is_escaped_and_moderated(client, clerk, topic, village):
    online = plan(clerk, topic, days=1, form="v_online", location="")
    move(topic, State.CONSULTING)
    resident = user_with_role(Role.RESIDENT, village)
    url = reverse("consult:session", kwargs={"session_id": online.pk})
    with time_machine.travel(in_days(1.01), tick=False):
        client.force_login(resident)
        client.post(
            reverse("consult:comment", kwargs={"session_id": online.pk}),
            {"content": "<script>alert('x')</script>"},
        )
        page = client.get(url)
        assert "<script>alert" not in page.text
        assert "&lt;script&gt;alert" in page.text
        comment = Opinion.objects.get()
        client.force_login(clerk)
        client.post(
            reverse("consult:hide", kwargs={"session_id": online.pk}),
            {"opinion": comment.pk, "reason": "无关内容"},
        )
        clerk_page = client.get(url)
        assert "已屏蔽：无关内容" in clerk_page.text
        client.force_login(resident)
        assert "&lt;script&gt;" not in client.get(url).text
        history = client.get(reverse("topics:detail", kwargs={"pk": topic.pk}))
        assert history.status_code == 404  # residents do not see the case file
        client.force_login(clerk)
        history = client.get(reverse("topics:detail", kwargs={"pk": topic.pk}))
        assert "<script>alert" not in history.text


def test_participant_answers_pre_opinion_on_the_prepare_page(client, member, topic):
    client.force_login(member)
    url = reverse("consult:prepare", kwargs={"topic_id": topic.pk})
    assert "记录会前意见" in client.get(url).text
    client.post(
        reverse("consult:pre_opinion", kwargs={"topic_id": topic.pk}),
        {"content": "组里希望先修路", "kind": "suggestion"},
    )
    assert Opinion.objects.get().source == "pre"


def test_paper_receipt_through_the_page(client, clerk, topic):
    offline = ParticipantFactory(topic=topic)
    plan(clerk, topic, days=10)
    notice = services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    paper = notice.notification.deliveries.get(person=offline.person, channel="paper")
    client.force_login(clerk)
    # A receipt cannot predate its notice, which was issued today.
    today = timezone.localdate().isoformat()
    response = client.post(
        reverse("consult:meeting_notice_receipt", kwargs={"topic_id": topic.pk}),
        {"delivery": paper.pk, "signed_by": "本人", "signed_on": today},
        follow=True,
    )
    assert "纸质通知签收已登记" in response.text
    paper.refresh_from_db()
    assert timezone.localdate(paper.sent_at).isoformat() == today
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    second = ParticipantFactory(topic=topic)
    services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    paper2 = notice.notification.deliveries.get(person=second.person, channel="paper")
    response = client.post(
        reverse("consult:meeting_notice_receipt", kwargs={"topic_id": topic.pk}),
        {"delivery": paper2.pk, "signed_by": "本人", "signed_on": tomorrow},
    )
    assert response.status_code == 400
    assert "签收日期不能晚于今天" in response.text
    assert 'value="本人"' in response.text


def test_a_receipt_of_another_topic_is_404_on_this_topics_page(
    client, clerk, topic, village
):
    other = TopicFactory(place=village, state=State.PREPARING)
    offline = ParticipantFactory(topic=other)
    plan(clerk, other)
    notice = services.meeting_notice_send(actor=clerk, topic_id=other.pk)
    paper = notice.notification.deliveries.get(person=offline.person, channel="paper")
    client.force_login(clerk)
    response = client.post(
        reverse("consult:meeting_notice_receipt", kwargs={"topic_id": topic.pk}),
        {"delivery": paper.pk, "signed_by": "本人"},
    )
    assert response.status_code == 404
    paper.refresh_from_db()
    assert paper.receipt_signed_by == ""


def test_clerk_corrects_minutes_after_the_step_with_a_reason(
    client, clerk, topic, meeting, participant
):
    services.session_record(actor=clerk, session_id=meeting.pk, minutes="初稿")
    move(topic, State.ADOPTING)
    client.force_login(clerk)
    url = reverse("consult:session", kwargs={"session_id": meeting.pk})
    assert "更正会议记录" in client.get(url).text
    record = reverse("consult:record", kwargs={"session_id": meeting.pk})
    response = client.post(record, {"minutes": "改稿"})
    assert response.status_code == 409
    assert "不能再修改" in response.text
    assert "\n改稿</textarea>" in response.text
    client.post(
        record,
        {"minutes": "改稿", "consensus": "同意", "correction": "据录音补正"},
    )
    # Appended, never overwritten: the original minutes stay as recorded.
    meeting.refresh_from_db()
    assert (meeting.minutes, meeting.consensus) == ("初稿", "")
    correction = Correction.objects.get()
    assert correction.before == {"minutes": "初稿", "consensus": ""}
    assert correction.after == {"minutes": "改稿", "consensus": "同意"}
    assert (correction.reason, correction.created_by) == ("据录音补正", clerk)
    # The page shows the current value and the correction history.
    page = client.get(url).text
    assert "\n改稿</textarea>" in page
    history = page.split('id="corrections"')[1]
    assert "更正记录" in page and "据录音补正" in history
    assert "初稿" in history and "改稿" in history and "同意" in history


def test_before_the_step_has_passed_the_minutes_are_edited_in_place(
    client, clerk, topic, meeting, participant
):
    services.session_record(actor=clerk, session_id=meeting.pk, minutes="初稿")
    client.force_login(clerk)
    client.post(
        reverse("consult:record", kwargs={"session_id": meeting.pk}),
        {"minutes": "改稿"},
    )
    meeting.refresh_from_db()
    assert meeting.minutes == "改稿"
    assert not Correction.objects.exists()
    page = client.get(reverse("consult:session", kwargs={"session_id": meeting.pk}))
    assert 'id="corrections"' not in page.text


def test_resident_who_may_comment_gets_403_not_404_when_hiding(
    client, clerk, topic, village
):
    online = plan(clerk, topic, days=1, form="v_online", location="")
    move(topic, State.CONSULTING)
    comment = Opinion.objects.create(
        topic=topic, source="online", session=online, author_name="x", content="y"
    )
    hide = reverse("consult:hide", kwargs={"session_id": online.pk})
    client.force_login(user_with_role(Role.RESIDENT, village))
    assert client.post(hide, {"opinion": comment.pk, "reason": "z"}).status_code == 403
    client.force_login(user_with_role(Role.RESIDENT, VillageFactory()))
    assert client.post(hide, {"opinion": comment.pk, "reason": "z"}).status_code == 404
    comment.refresh_from_db()
    assert not comment.is_hidden


def test_hiding_a_comment_through_another_sessions_url_is_404(client, clerk, topic):
    online = plan(clerk, topic, days=1, form="v_online", location="")
    other = plan(clerk, topic, days=2, form="v_online", location="")
    move(topic, State.CONSULTING)
    comment = Opinion.objects.create(
        topic=topic, source="online", session=other, author_name="x", content="y"
    )
    client.force_login(clerk)
    response = client.post(
        reverse("consult:hide", kwargs={"session_id": online.pk}),
        {"opinion": comment.pk, "reason": "z"},
    )
    assert response.status_code == 404
    comment.refresh_from_db()
    assert not comment.is_hidden


def test_removing_a_participant_through_another_topics_url_is_404(client, clerk, topic):

    other = TopicFactory(place=topic.place, state=State.PREPARING)
    elsewhere = ParticipantFactory(topic=other)
    client.force_login(clerk)
    response = client.post(
        reverse("consult:participant_remove", kwargs={"topic_id": topic.pk}),
        {"participant": elsewhere.pk},
    )
    assert response.status_code == 404
    assert Participant.objects.filter(pk=elsewhere.pk).exists()


def test_anonymous_download_public_or_log_in(client, clerk, topic):
    private = services.material_upload(actor=clerk, topic_id=topic.pk, upload=pdf())
    public = services.material_upload(
        actor=clerk, topic_id=topic.pk, upload=pdf("公开.pdf"), is_public=True
    )

    def url(version):
        return reverse("consult:material_download", kwargs={"version_id": version.pk})

    assert client.get(url(public)).status_code == 200
    response = client.get(url(private))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(user_with_role(Role.RESIDENT, topic.place))
    assert client.get(url(private)).status_code == 404


def test_participants_find_their_page_from_the_dashboard_and_the_menu(
    client, clerk, member
):
    mine = reverse("consult:mine")
    client.force_login(member)
    page = client.get(reverse("dashboard")).text
    assert page.count(f'href="{mine}"') == 2  # the menu and the dashboard card
    assert 'id="mine"' in page
    client.force_login(clerk)
    page = client.get(reverse("dashboard")).text
    assert f'href="{mine}"' not in page


def test_clerk_corrects_attendance_and_adds_an_opinion_after_the_step(
    client, clerk, topic, meeting, participant
):
    from core.models import AuditEvent

    services.attendance_mark(
        actor=clerk,
        session_id=meeting.pk,
        participant_id=participant.pk,
        status="absent",
    )
    move(topic, State.ADOPTING)
    client.force_login(clerk)
    page = client.get(reverse("consult:session", kwargs={"session_id": meeting.pk}))
    assert 'id="correct-attendance"' in page.text
    assert "补录一条意见" in page.text
    client.post(
        reverse("consult:attendance", kwargs={"session_id": meeting.pk}),
        {
            "participant": participant.pk,
            "status": "leave",
            "correction": "本人会前已书面请假",
        },
    )
    client.post(
        reverse("consult:opinion_add", kwargs={"session_id": meeting.pk}),
        {
            "participant": participant.pk,
            "content": "路灯要装在路口",
            "kind": "suggestion",
            "correction": "据会议录音补录",
        },
    )
    # The attendance row keeps what was recorded; the correction is its own row.
    assert Attendance.objects.get().status == "absent"
    correction = Correction.objects.get(kind="attendance")
    assert correction.participant == participant
    assert correction.before == {"status": "absent", "represented_by": ""}
    assert correction.after == {"status": "leave", "represented_by": ""}
    assert Opinion.objects.get().content == "路灯要装在路口"
    page = client.get(reverse("consult:session", kwargs={"session_id": meeting.pk}))
    attendance = page.text.split('id="attendance"')[1].split("</ul>")[0]
    assert "请假" in attendance and "缺席" not in attendance
    assert "（已更正）" in attendance
    history = page.text.split('id="corrections"')[1]
    assert "本人会前已书面请假" in history and "缺席" in history
    events = AuditEvent.objects.for_subject(topic)
    assert events.get(verb="attendance_mark", reason="本人会前已书面请假")
    assert events.get(verb="opinion_add").reason == "据会议录音补录"


def _rows(page: str, table_id: str) -> list[str]:
    table = page.split(f'id="{table_id}"')[1].split("</table>")[0]
    return table.split("<tbody>")[1].split("</tr>")[:-1]


def test_prepare_page_shows_each_participants_notice_channel_time_and_read(
    client, clerk, topic, member
):
    offline = ParticipantFactory(topic=topic, person__name="纸质张")
    plan(clerk, topic, days=10)
    notice = services.meeting_notice_send(actor=clerk, topic_id=topic.pk)
    sent = timezone.now() - timedelta(hours=2)
    notice.notification.deliveries.filter(person__user=member).update(
        status="read", sent_at=sent, read_at=timezone.now()
    )
    client.force_login(clerk)
    page = client.get(reverse("consult:prepare", kwargs={"topic_id": topic.pk})).text
    header = page.split('id="notice-table"')[1].split("</thead>")[0]
    assert "渠道与送达" in header and "已读" in header
    rows = {
        ("王委员" if "王委员" in row else "纸质张"): row
        for row in _rows(page, "notice-table")
    }
    assert set(rows) == {"王委员", offline.person.name}
    read_cell = 'data-label="已读">'
    mine = rows["王委员"]
    assert "站内信" in mine
    assert timezone.localtime(sent).strftime("%m-%d %H:%M") in mine
    assert f"{read_cell}已读</td>" in mine
    paper = rows["纸质张"]
    assert "纸质通知书" in paper
    assert f"{read_cell}—</td>" in paper


def test_prepare_page_shows_an_organisation_equal_to_the_name_once(
    client, clerk, topic
):
    name = "县自然资源和规划局规划股"
    ParticipantFactory(topic=topic, person__name=name, person__organisation=name)
    # An organisation the name already spells out is not repeated either.
    ParticipantFactory(
        topic=topic, person__name="县水利局农水股", person__organisation="县水利局"
    )
    ParticipantFactory(
        topic=topic, person__name="李四", person__organisation="镇农业服务中心"
    )
    client.force_login(clerk)
    page = client.get(reverse("consult:prepare", kwargs={"topic_id": topic.pk})).text
    rows = _rows(page, "participant-list")
    office = next(row for row in rows if name in row)
    assert office.count(name) == 1
    bureau = next(row for row in rows if "县水利局农水股" in row)
    assert bureau.count("县水利局") == 1
    other = next(row for row in rows if "李四" in row)
    assert "镇农业服务中心" in other


def test_mine_lists_topics_waiting_for_an_answer_first(client, clerk, topic, member):

    written = plan(
        clerk, topic, days=1, form="v_written", location="", ends_at=in_days(3)
    )
    move(topic, State.CONSULTING)
    # Newer topics the member is on, with nothing waiting for them.
    newer = [
        TopicFactory(place=topic.place, state=State.PREPARING, title=f"新议题{i}")
        for i in range(3)
    ]
    for other in newer:
        ParticipantFactory(topic=other, person=member.person)
    client.force_login(member)
    with time_machine.travel(in_days(1.5), tick=False):
        page = client.get(reverse("consult:mine")).text
    session_link = reverse("consult:session", kwargs={"session_id": written.pk})
    first_card = page.split('<section class="card"')[1]
    assert topic.title in first_card and session_link in first_card
    assert all(other.title in page for other in newer)
    # Without anything waiting, the newest topic comes first.
    page = client.get(reverse("consult:mine")).text
    assert newer[-1].title in page.split('<section class="card"')[1]


def test_written_consultation_participants_see_only_their_own_answer(
    client, clerk, topic, member, participant
):
    other = ParticipantFactory(topic=topic, person__name="赵委员")
    written = plan(
        clerk, topic, days=1, form="v_written", location="", ends_at=in_days(3)
    )
    move(topic, State.CONSULTING)
    url = reverse("consult:session", kwargs={"session_id": written.pk})
    with time_machine.travel(in_days(1.5), tick=False):
        services.written_answer(
            actor=clerk,
            session_id=written.pk,
            participant_id=other.pk,
            content="别人的答复内容",
        )
        client.force_login(member)
        page = client.get(url).text
        # Their own answer form comes first, nobody else's answer shows.
        assert 'id="my-answer"' in page
        assert page.index('id="my-answer"') < page.index("</section>")
        assert "别人的答复内容" not in page and "赵委员" not in page
        assert 'id="answers"' not in page and "尚未答复" not in page
        services.written_answer(
            actor=member, session_id=written.pk, content="我的答复内容"
        )
        page = client.get(url).text
        mine = page.split('id="my-answer"')[1]
        assert "我的答复内容" in mine
        assert "别人的答复内容" not in page
        # The clerk sees who has answered and every answer.
        client.force_login(clerk)
        page = client.get(url).text
        table = page.split('id="answers"')[1].split("</table>")[0]
        assert "赵委员" in table and "别人的答复内容" in table
        assert "王委员" in table and "我的答复内容" in table
        assert 'id="my-answer"' not in page
