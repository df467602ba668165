"""Bad text and dates in steps 2 and 3 are refused and nothing is stored (issue 7:
items 4, 5 and 7).

One-line fields (places, names, titles, one-line reasons) refuse line breaks;
text areas (agendas, minutes, opinions) refuse other control characters; session
times lie in the window of ``core.validators``. Each rule holds in the form
(the page names the field) and in the service (commands and tasks).
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from committees.models import Person, Role
from consult import services
from consult.forms import MaterialForm, OpinionForm, PersonForm, SessionForm
from consult.models import (
    Attendance,
    Material,
    Opinion,
    Participant,
    Plan,
    Session,
)
from core.models import AuditEvent
from tests.factories import user_with_role
from topics.states import State

from .conftest import in_days, move, notified_meeting, pdf, plan

pytestmark = pytest.mark.django_db

LINE = "此处只能填写一行文字"
CONTROL = "控制字符"
WINDOW = "日期须在"

INJECTION = "A\r\nBcc: x@y\x1b[31m"


def far_future() -> datetime:
    return timezone.make_aware(datetime(9999, 12, 30, 9))


def far_past() -> datetime:
    return timezone.make_aware(datetime(1, 1, 2, 9))


def stored() -> tuple:
    """Everything the refused calls could have written."""
    return (
        list(
            Session.objects.order_by("pk").values_list(
                "location",
                "host",
                "agenda",
                "starts_at",
                "ends_at",
                "minutes",
                "consensus",
                "disputed",
            )
        ),
        list(Plan.objects.values_list("gap_reason", flat=True)),
        list(Participant.objects.order_by("pk").values_list("pk", flat=True)),
        list(Person.objects.order_by("pk").values_list("name", "organisation")),
        list(Material.objects.values_list("title", flat=True)),
        list(Opinion.objects.order_by("pk").values_list("content", "is_hidden")),
        list(Attendance.objects.values_list("status", "represented_by")),
        AuditEvent.objects.count(),
    )


def refused(call, field: str, message: str) -> None:
    before = stored()
    with pytest.raises(ValidationError) as refusal:
        call()
    assert message in " ".join(refusal.value.message_dict[field])
    assert stored() == before


# -- step 2, through the services ------------------------------------------------


@pytest.fixture
def session(clerk, topic):
    return plan(clerk, topic, days=5)


PLAN_CASES = {
    "location with a header injection": ({"location": INJECTION}, "location", LINE),
    "host on two lines": ({"host": "李\n书记"}, "host", LINE),
    "location with ESC": ({"location": "会议室\x1b[31m"}, "location", CONTROL),
    "agenda with ESC": ({"agenda": "一、说明\x1b[31m"}, "agenda", CONTROL),
    "agenda with NUL": ({"agenda": "一、说明\x00"}, "agenda", CONTROL),
    "start on 9999-12-30": (
        {"starts_at": far_future(), "ends_at": far_future() + timedelta(hours=2)},
        "starts_at",
        WINDOW,
    ),
    "end on 9999-12-31 in UTC (year 10000 here)": (
        {"ends_at": datetime(9999, 12, 31, 23, tzinfo=UTC)},
        "ends_at",
        WINDOW,
    ),
    "start in year 1": ({"starts_at": far_past()}, "starts_at", WINDOW),
}


@pytest.mark.parametrize(
    ("extra", "field", "message"), PLAN_CASES.values(), ids=PLAN_CASES.keys()
)
def test_planning_a_session_refuses_bad_text_and_dates(
    clerk, topic, extra, field, message
):
    refused(lambda: plan(clerk, topic, **extra), field, message)


@pytest.mark.parametrize(
    ("extra", "field", "message"), PLAN_CASES.values(), ids=PLAN_CASES.keys()
)
def test_rescheduling_refuses_the_same(clerk, session, extra, field, message):
    data = {
        "form": session.form,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "location": session.location,
        "agenda": session.agenda,
        "host": session.host,
        **extra,
    }

    def call():
        services.session_reschedule(actor=clerk, session_id=session.pk, **data)

    refused(call, field, message)


PREPARE_CASES = {
    "name on two lines": (
        lambda c, t, p: services.participant_add_person(
            actor=c, topic_id=t.pk, name="张\r\n三", category="masses"
        ),
        "name",
        LINE,
    ),
    "organisation with NUL": (
        lambda c, t, p: services.participant_add_person(
            actor=c, topic_id=t.pk, name="张三", category="masses", organisation="a\0"
        ),
        "organisation",
        CONTROL,
    ),
    "phone on two lines": (
        lambda c, t, p: services.participant_add_person(
            actor=c, topic_id=t.pk, name="张三", category="masses", phone="138\n0000"
        ),
        "phone",
        "手机号",
    ),
    "material title on two lines": (
        lambda c, t, p: services.material_upload(
            actor=c, topic_id=t.pk, upload=pdf(), title="方案\r\nBcc: x"
        ),
        "title",
        LINE,
    ),
    "gap reason with ESC": (
        lambda c, t, p: services.participants_gap_explain(
            actor=c, topic_id=t.pk, reason="缺少\x1b[31m界别"
        ),
        "reason",
        CONTROL,
    ),
    "pre-session opinion with NUL": (
        lambda c, t, p: services.opinion_pre_collect(
            actor=c, topic_id=t.pk, participant_id=p.pk, content="先修\x00主路"
        ),
        "content",
        CONTROL,
    ),
}


@pytest.mark.parametrize(
    ("call", "field", "message"), PREPARE_CASES.values(), ids=PREPARE_CASES.keys()
)
def test_preparing_refuses_bad_text(clerk, topic, participant, call, field, message):
    refused(lambda: call(clerk, topic, participant), field, message)


def test_a_gap_reason_may_span_lines(clerk, topic, participant):
    plan_row = services.participants_gap_explain(
        actor=clerk, topic_id=topic.pk, reason="本村没有商户。\n已征求镇里意见。"
    )
    assert plan_row.gap_reason == "本村没有商户。\n已征求镇里意见。"


# -- step 3, through the services ------------------------------------------------


@pytest.fixture
def under_way(clerk, topic, participant, village):
    """A meeting, a written and an online consultation, all open now."""
    written = plan(
        clerk, topic, days=4, form="v_written", location="", ends_at=in_days(6)
    )
    online = plan(
        clerk, topic, days=4, form="v_online", location="", ends_at=in_days(6)
    )
    meeting = notified_meeting(clerk, topic)
    move(topic, State.CONSULTING)
    resident = user_with_role(Role.RESIDENT, village)
    with time_machine.travel(in_days(4.01), tick=False):
        comment = services.online_comment(
            actor=resident, session_id=online.pk, content="路灯也要修"
        )
        yield {
            "meeting": meeting,
            "written": written,
            "online": online,
            "resident": resident,
            "comment": comment,
        }


CONSULT_CASES = {
    "represented by a name on two lines": (
        lambda c, m, p, s: services.attendance_mark(
            actor=c,
            session_id=s["meeting"].pk,
            participant_id=p.pk,
            status="represented",
            represented_by="王\r\n某",
        ),
        "represented_by",
        LINE,
    ),
    "correction on two lines": (
        lambda c, m, p, s: services.attendance_mark(
            actor=c,
            session_id=s["meeting"].pk,
            participant_id=p.pk,
            status="present",
            correction="更正\n理由",
        ),
        "correction",
        LINE,
    ),
    "minutes with ESC": (
        lambda c, m, p, s: services.session_record(
            actor=c, session_id=s["meeting"].pk, minutes="记录\x1b[31m"
        ),
        "minutes",
        CONTROL,
    ),
    "consensus with NUL": (
        lambda c, m, p, s: services.session_record(
            actor=c, session_id=s["meeting"].pk, minutes="记录", consensus="同\x00意"
        ),
        "consensus",
        CONTROL,
    ),
    "speaker on two lines": (
        lambda c, m, p, s: services.opinion_record(
            actor=c, session_id=s["meeting"].pk, content="意见", author_name="张\r三"
        ),
        "author_name",
        LINE,
    ),
    "opinion with NUL": (
        lambda c, m, p, s: services.opinion_record(
            actor=c,
            session_id=s["meeting"].pk,
            content="意见\x00",
            participant_id=p.pk,
        ),
        "content",
        CONTROL,
    ),
    "written answer with BEL": (
        lambda c, m, p, s: services.written_answer(
            actor=m, session_id=s["written"].pk, content="答复\x07"
        ),
        "content",
        CONTROL,
    ),
    "late reason on two lines": (
        lambda c, m, p, s: services.written_answer(
            actor=c,
            session_id=s["written"].pk,
            participant_id=p.pk,
            content="纸质答复",
            late_reason="晚\n了",
        ),
        "late_reason",
        LINE,
    ),
    "online comment with ESC": (
        lambda c, m, p, s: services.online_comment(
            actor=s["resident"], session_id=s["online"].pk, content="评论\x1b[2J"
        ),
        "content",
        CONTROL,
    ),
    "hiding reason on two lines": (
        lambda c, m, p, s: services.opinion_hide(
            actor=c,
            session_id=s["online"].pk,
            opinion_id=s["comment"].pk,
            reason="与议题\r\n无关",
        ),
        "reason",
        LINE,
    ),
}


@pytest.mark.parametrize(
    ("call", "field", "message"), CONSULT_CASES.values(), ids=CONSULT_CASES.keys()
)
def test_consulting_refuses_bad_text(
    clerk, member, participant, under_way, call, field, message
):
    refused(lambda: call(clerk, member, participant, under_way), field, message)


def test_minutes_and_opinions_keep_their_line_breaks(clerk, participant, under_way):
    meeting = under_way["meeting"]
    services.session_record(
        actor=clerk, session_id=meeting.pk, minutes="一、到会\r\n二、讨论\t通过"
    )
    opinion = services.opinion_record(
        actor=clerk,
        session_id=meeting.pk,
        content="先修主路\n再修支路",
        participant_id=participant.pk,
    )
    meeting.refresh_from_db()
    assert meeting.minutes == "一、到会\r\n二、讨论\t通过"
    assert opinion.content == "先修主路\n再修支路"


def test_a_session_a_year_ahead_is_within_the_window(clerk, topic):
    session = plan(clerk, topic, days=365)
    assert session.starts_at > timezone.now()


# -- the forms name the field ------------------------------------------------------


def local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def session_data(**extra) -> dict:
    return {
        "form": "v_meeting",
        "starts_at": local(in_days(5)),
        "ends_at": local(in_days(5) + timedelta(hours=2)),
        "location": "村委会会议室",
        "agenda": "议程",
        "host": "李书记",
        **extra,
    }


FORM_CASES = {
    "session location CR/LF": (
        SessionForm,
        session_data(location=INJECTION),
        "location",
        LINE,
    ),
    "session host LF": (SessionForm, session_data(host="李\n书记"), "host", LINE),
    "session agenda ESC": (
        SessionForm,
        session_data(agenda="议程\x1b[31m"),
        "agenda",
        CONTROL,
    ),
    "session start 9999-12-30": (
        SessionForm,
        session_data(starts_at="9999-12-30T09:00"),
        "starts_at",
        WINDOW,
    ),
    "session end 0001-01-01": (
        SessionForm,
        session_data(ends_at="0001-01-01T09:00"),
        "ends_at",
        WINDOW,
    ),
    "person name CR/LF": (
        PersonForm,
        {"name": "张\r\n三", "category": "masses"},
        "name",
        LINE,
    ),
    "person organisation ESC": (
        PersonForm,
        {"name": "张三", "category": "masses", "organisation": "村\x1b委"},
        "organisation",
        CONTROL,
    ),
    "material title CR/LF": (MaterialForm, {"title": "方案\r\nX"}, "title", LINE),
    "opinion NUL": (
        OpinionForm,
        {"content": "意见\x00", "kind": "suggestion"},
        "content",
        CONTROL,
    ),
}


@pytest.mark.parametrize(
    ("form_class", "data", "field", "message"),
    FORM_CASES.values(),
    ids=FORM_CASES.keys(),
)
def test_the_forms_refuse_bad_text_and_dates(topic, form_class, data, field, message):
    kwargs = {"topic": topic} if form_class is SessionForm else {}
    files = {"file": pdf()} if form_class is MaterialForm else None
    form = form_class(data, files, **kwargs)

    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


# -- through the pages: a message, never a 500 ---------------------------------------


def test_a_session_location_with_a_line_break_is_refused_on_the_page(
    client, clerk, topic
):
    client.force_login(clerk)

    response = client.post(
        reverse("consult:session_add", kwargs={"topic_id": topic.pk}),
        session_data(location=INJECTION),
        follow=True,
    )

    assert response.status_code == 400
    assert LINE in response.text
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("url_name", "data", "message"),
    [
        ("consult:gap_explain", {"reason": "bad\x00reason"}, CONTROL),
        ("consult:pre_opinion", {"content": "bad\x00", "kind": "suggestion"}, CONTROL),
    ],
)
def test_a_nul_byte_posted_raw_gets_a_message_not_a_500(
    client, clerk, topic, participant, url_name, data, message
):
    client.force_login(clerk)
    data = {**data, "participant": participant.pk}
    before = stored()

    response = client.post(
        reverse(url_name, kwargs={"topic_id": topic.pk}), data, follow=True
    )

    assert response.status_code == 400
    assert message in response.text
    assert stored() == before


def test_a_representative_with_a_line_break_is_refused_on_the_session_page(
    client, clerk, participant, under_way
):
    client.force_login(clerk)
    meeting = under_way["meeting"]

    response = client.post(
        reverse("consult:attendance", kwargs={"session_id": meeting.pk}),
        {
            "participant": participant.pk,
            "status": "represented",
            "represented_by": "王\r\nBcc: x",
        },
        follow=True,
    )

    assert response.status_code == 400
    assert LINE in response.text
    assert not Attendance.objects.exists()
