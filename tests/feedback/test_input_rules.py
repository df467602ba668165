"""Bad text and dates in steps 4 and 5 are refused and nothing is stored (issue 7:
items 4, 5 and 7).

One-line fields (themes, names, titles, one-line reasons, the posting place)
refuse line breaks; text areas refuse other control characters; deadlines and
the 公示's start and end lie in the window of ``core.validators``, and dates
that have happened (meetings, votes, reports) are not before it. Each rule
holds in the form (a 400 naming the field) and in the service.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from feedback import forms, services
from feedback.models import (
    Compilation,
    Decision,
    Disposition,
    Explanation,
    Note,
    NoticeResponse,
    Outcome,
    ProgressReport,
    PublicNotice,
    SupervisionNote,
    Task,
    Vote,
    VoteMark,
)
from tests.factories import PersonFactory

from .helpers import run_notice, to_feedback, today

pytestmark = pytest.mark.django_db

LINE = "此处只能填写一行文字"
CONTROL = "控制字符"
WINDOW = "日期须在"

YEAR_ONE = date(1, 1, 1)
LAST_DAY = date(9999, 12, 31)


def stored() -> tuple:
    """Everything the refused calls could have written."""
    return (
        list(Disposition.objects.values_list("theme", "outcome", "reason")),
        list(Compilation.objects.values_list("summary", flat=True)),
        Explanation.objects.count(),
        Decision.objects.count(),
        VoteMark.objects.count(),
        Vote.objects.count(),
        list(Task.objects.values_list("description", "status", "close_reason")),
        ProgressReport.objects.count(),
        SupervisionNote.objects.count(),
        list(PublicNotice.objects.values_list("title", "status", "withdraw_reason")),
        list(NoticeResponse.objects.values_list("content", "answer")),
        Note.objects.count(),
        AuditEvent.objects.count(),
    )


def refused(call, field: str, message: str) -> None:
    before = stored()
    with pytest.raises(ValidationError) as refusal:
        call()
    assert message in " ".join(refusal.value.message_dict[field])
    assert stored() == before


# -- step 4, through the services ------------------------------------------------


@pytest.fixture
def step_four(adopting, clerk, opinions):
    """The topic in step 4 with one opinion not adopted (owed an explanation)."""
    disposition = services.disposition_set(
        actor=clerk,
        topic_id=adopting.pk,
        opinion_id=opinions[0].pk,
        theme="道路",
        outcome=Outcome.NOT_ADOPTED,
        reason="超出预算。",
    )
    return {"topic": adopting, "opinion": opinions[1], "disposition": disposition}


def _explain(c, s, **extra):
    values = {
        "explained_by": "李主任",
        "explained_on": today(),
        "method": "phone",
        "note": "已电话说明。",
        **extra,
    }
    return services.explanation_add(
        actor=c, topic_id=s["topic"].pk, disposition_id=s["disposition"].pk, **values
    )


def _decide(c, s, **extra):
    values = {
        "meeting_date": today(),
        "attendees": "书记、主任",
        "plan": "加宽至 5 米。",
        **extra,
    }
    return services.decision_record(actor=c, topic_id=s["topic"].pk, **values)


ADOPT_CASES = {
    "theme on two lines": (
        lambda c, s: services.disposition_set(
            actor=c,
            topic_id=s["topic"].pk,
            opinion_id=s["opinion"].pk,
            theme="道路\r\n交通",
        ),
        "theme",
        LINE,
    ),
    "disposition reason with ESC": (
        lambda c, s: services.disposition_set(
            actor=c,
            topic_id=s["topic"].pk,
            opinion_id=s["opinion"].pk,
            theme="道路",
            outcome=Outcome.ADOPTED,
            reason="符合\x1b[31m规划",
        ),
        "reason",
        CONTROL,
    ),
    "summary with NUL": (
        lambda c, s: services.compilation_save(
            actor=c, topic_id=s["topic"].pk, summary="汇总\x00"
        ),
        "summary",
        CONTROL,
    ),
    "explainer on two lines": (
        lambda c, s: _explain(c, s, explained_by="李\n主任"),
        "explained_by",
        LINE,
    ),
    "explanation note with BEL": (
        lambda c, s: _explain(c, s, note="已说明\x07"),
        "note",
        CONTROL,
    ),
    "explained in year 1": (
        lambda c, s: _explain(c, s, explained_on=YEAR_ONE),
        "explained_on",
        WINDOW,
    ),
    "meeting in year 1": (
        lambda c, s: _decide(c, s, meeting_date=YEAR_ONE),
        "meeting_date",
        WINDOW,
    ),
    "attendees with ESC": (
        lambda c, s: _decide(c, s, attendees="书记\x1b[2J"),
        "attendees",
        CONTROL,
    ),
    "plan with NUL": (
        lambda c, s: _decide(c, s, plan="方案\x00"),
        "plan",
        CONTROL,
    ),
    "vote reason on two lines": (
        lambda c, s: services.vote_mark(
            actor=c, topic_id=s["topic"].pk, reason="涉及\r\n集体资产"
        ),
        "reason",
        LINE,
    ),
    "vote held in year 1": (
        lambda c, s: services.vote_record(
            actor=c,
            topic_id=s["topic"].pk,
            kind="villager_reps",
            held_on=YEAR_ONE,
            entitled=10,
            present=8,
            in_favour=6,
            against=1,
            abstain=1,
        ),
        "held_on",
        WINDOW,
    ),
}


@pytest.mark.parametrize(
    ("call", "field", "message"), ADOPT_CASES.values(), ids=ADOPT_CASES.keys()
)
def test_step_four_refuses_bad_text_and_dates(clerk, step_four, call, field, message):
    refused(lambda: call(clerk, step_four), field, message)


def test_step_four_text_areas_keep_their_line_breaks(clerk, step_four):
    decision = _decide(
        clerk, step_four, attendees="书记\n主任", plan="一、加宽\r\n二、硬化"
    )
    assert (decision.attendees, decision.plan) == ("书记\n主任", "一、加宽\r\n二、硬化")


# -- step 5, through the services ------------------------------------------------


@pytest.fixture
def step_five(adopting, clerk, secretary, resident, village):
    """The topic in step 5 with an open task, a running 公示 and a response."""
    to_feedback(adopting, clerk, secretary)
    person = PersonFactory(place=village)
    task = services.task_create(
        actor=clerk,
        topic_id=adopting.pk,
        description="道路加宽施工",
        responsible_id=person.pk,
        deadline=today() + timedelta(days=30),
    )
    notice = run_notice(adopting, clerk)
    response = services.response_submit(
        actor=resident, public_id=notice.public_id, kind="opinion", content="支持"
    )
    return {
        "topic": adopting,
        "person": person,
        "task": task,
        "notice": notice,
        "response": response,
    }


def _task(c, s, **extra):
    values = {
        "description": "路灯安装",
        "responsible_id": s["person"].pk,
        "deadline": today() + timedelta(days=10),
        **extra,
    }
    return services.task_create(actor=c, topic_id=s["topic"].pk, **values)


def _report(c, s, **extra):
    values = {"percent": 50, "reported_on": today(), "note": "已完成一半。", **extra}
    return services.progress_report(actor=c, task_id=s["task"].pk, **values)


def _notice(c, s, **extra):
    now = timezone.now()
    values = {
        "subject": "decision",
        "title": "关于路灯安装的公示",
        "body": "方案如下。",
        "place_ids": [s["topic"].place_id],
        "starts_at": now + timedelta(days=1),
        "ends_at": now + timedelta(days=8),
        "posted_at": "村务公开栏",
        **extra,
    }
    return services.public_notice_create(actor=c, topic_id=s["topic"].pk, **values)


FEEDBACK_CASES = {
    "task with NUL": (
        lambda c, s: _task(c, s, description="施工\x00"),
        "description",
        CONTROL,
    ),
    "deadline on 9999-12-31": (
        lambda c, s: _task(c, s, deadline=LAST_DAY),
        "deadline",
        WINDOW,
    ),
    "closing reason on two lines": (
        lambda c, s: services.task_close(
            actor=c, task_id=s["task"].pk, reason="不再\r\n实施"
        ),
        "reason",
        LINE,
    ),
    "progress note with ESC": (
        lambda c, s: _report(c, s, note="进展\x1b[31m"),
        "note",
        CONTROL,
    ),
    "progress in year 1": (
        lambda c, s: _report(c, s, reported_on=YEAR_ONE),
        "reported_on",
        WINDOW,
    ),
    "notice title with a header injection": (
        lambda c, s: _notice(c, s, title="公示\r\nBcc: x@y"),
        "title",
        LINE,
    ),
    "notice body with NUL": (
        lambda c, s: _notice(c, s, body="正文\x00"),
        "body",
        CONTROL,
    ),
    "posting place on two lines": (
        lambda c, s: _notice(c, s, posted_at="村口\n公开栏"),
        "posted_at",
        LINE,
    ),
    "notice ending on 9999-12-31": (
        lambda c, s: _notice(
            c, s, ends_at=timezone.make_aware(datetime(9999, 12, 31, 12))
        ),
        "ends_at",
        WINDOW,
    ),
    "notice ending 9999-12-31 23:00 UTC (year 10000 here)": (
        lambda c, s: _notice(c, s, ends_at=datetime(9999, 12, 31, 23, tzinfo=UTC)),
        "ends_at",
        WINDOW,
    ),
    "notice starting in year 1": (
        lambda c, s: _notice(c, s, starts_at=timezone.make_aware(datetime(1, 1, 2))),
        "starts_at",
        WINDOW,
    ),
    "withdrawal reason on two lines": (
        lambda c, s: services.public_notice_withdraw(
            actor=c, notice_id=s["notice"].pk, reason="有\r\n误"
        ),
        "reason",
        LINE,
    ),
    "answer with BEL": (
        lambda c, s: services.response_answer(
            actor=c, response_id=s["response"].pk, answer="已核实\x07"
        ),
        "answer",
        CONTROL,
    ),
    "appended note with NUL": (
        lambda c, s: services.topic_note_append(
            actor=c, topic_id=s["topic"].pk, text="说明\x00"
        ),
        "text",
        CONTROL,
    ),
}


@pytest.mark.parametrize(
    ("call", "field", "message"), FEEDBACK_CASES.values(), ids=FEEDBACK_CASES.keys()
)
def test_step_five_refuses_bad_text_and_dates(clerk, step_five, call, field, message):
    refused(lambda: call(clerk, step_five), field, message)


@pytest.mark.parametrize(
    ("who", "call", "field"),
    [
        (
            "town_clerk",
            lambda u, s: services.supervision_note_add(
                actor=u, task_id=s["task"].pk, note="督办\x1b[31m"
            ),
            "note",
        ),
        (
            "resident",
            lambda u, s: services.response_submit(
                actor=u, public_id=s["notice"].public_id, kind="opinion", content="\0"
            ),
            "content",
        ),
    ],
)
def test_others_text_is_checked_too(request, step_five, who, call, field):
    user = request.getfixturevalue(who)
    refused(lambda: call(user, step_five), field, CONTROL)


def test_a_deadline_and_a_notice_within_the_window_are_accepted(clerk, step_five):
    task = _task(clerk, step_five, deadline=today() + timedelta(days=3 * 365))
    notice = _notice(clerk, step_five, posted_at="  村务公开栏  ")
    assert task.deadline == today() + timedelta(days=3 * 365)
    assert notice.posted_at == "村务公开栏"


def test_a_too_long_posting_place_is_refused_not_cut(clerk, step_five):
    refused(lambda: _notice(clerk, step_five, posted_at="栏" * 201), "posted_at", "200")


# -- the forms name the field ------------------------------------------------------


FORM_CASES = {
    "disposition theme": (forms.DispositionForm, {"theme": "道\r\n路"}, "theme", LINE),
    "disposition reason": (
        forms.DispositionForm,
        {"reason": "理由\x1b"},
        "reason",
        CONTROL,
    ),
    "summary": (forms.CompilationForm, {"summary": "\x00汇总"}, "summary", CONTROL),
    "explainer": (
        forms.ExplanationForm,
        {"explained_by": "李\r\n主任"},
        "explained_by",
        LINE,
    ),
    "explained on": (
        forms.ExplanationForm,
        {"explained_on": "0001-01-01"},
        "explained_on",
        WINDOW,
    ),
    "explanation note": (forms.ExplanationForm, {"note": "说明\x07"}, "note", CONTROL),
    "meeting date": (
        forms.DecisionForm,
        {"meeting_date": "0001-01-01"},
        "meeting_date",
        WINDOW,
    ),
    "attendees": (forms.DecisionForm, {"attendees": "\x1b书记"}, "attendees", CONTROL),
    "decision plan": (forms.DecisionForm, {"plan": "方\x00案"}, "plan", CONTROL),
    "vote reason": (forms.VoteMarkForm, {"reason": "涉及\n资产"}, "reason", LINE),
    "vote date": (forms.VoteForm, {"held_on": "9999-12-31"}, "held_on", WINDOW),
    "task description": (
        forms.TaskForm,
        {"description": "施工\x00"},
        "description",
        CONTROL,
    ),
    "task deadline": (forms.TaskForm, {"deadline": "9999-12-31"}, "deadline", WINDOW),
    "progress date": (
        forms.ProgressForm,
        {"reported_on": "0001-01-01"},
        "reported_on",
        WINDOW,
    ),
    "progress note": (forms.ProgressForm, {"note": "进展\x1b"}, "note", CONTROL),
    "closing reason": (forms.ReasonForm, {"reason": "有\r\n误"}, "reason", LINE),
    "supervision": (forms.SupervisionForm, {"note": "督办\x00"}, "note", CONTROL),
    "notice title": (
        forms.NoticeForm,
        {"title": "公示\r\nBcc: x"},
        "title",
        LINE,
    ),
    "notice body": (forms.NoticeForm, {"body": "正文\x1b"}, "body", CONTROL),
    "posting place": (forms.NoticeForm, {"posted_at": "村\n口"}, "posted_at", LINE),
    "notice start": (
        forms.NoticeForm,
        {"starts_at": "0001-01-01T09:00"},
        "starts_at",
        WINDOW,
    ),
    "notice end": (
        forms.NoticeForm,
        {"ends_at": "9999-12-31T09:00"},
        "ends_at",
        WINDOW,
    ),
    "answer": (forms.AnswerForm, {"answer": "答复\x00"}, "answer", CONTROL),
    "response": (forms.ResponseForm, {"content": "意见\x1b"}, "content", CONTROL),
    "note": (forms.NoteForm, {"text": "说明\x07"}, "text", CONTROL),
}


@pytest.mark.parametrize(
    ("form_class", "data", "field", "message"),
    FORM_CASES.values(),
    ids=FORM_CASES.keys(),
)
def test_the_forms_refuse_bad_text_and_dates(
    adopting, form_class, data, field, message
):
    kwargs = (
        {"topic": adopting}
        if form_class in (forms.TaskForm, forms.NoticeForm, forms.VoteForm)
        else {}
    )
    form = form_class(data, **kwargs)

    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


# -- through the pages: a 400 naming the problem, never a 500 ----------------------


def test_a_task_with_a_nul_byte_is_a_400_and_nothing_is_stored(clerk, step_five):
    client = Client()
    client.force_login(clerk)
    before = stored()

    response = client.post(
        reverse("feedback:task_create", args=[step_five["topic"].pk]),
        {
            "description": "施工\x00",
            "responsible": step_five["person"].pk,
            "deadline": (today() + timedelta(days=5)).isoformat(),
        },
    )

    assert response.status_code == 400
    assert CONTROL in response.content.decode()
    assert stored() == before


def test_a_notice_title_with_a_line_break_is_a_400(clerk, step_five):
    client = Client()
    client.force_login(clerk)
    before = stored()
    now = timezone.localtime()

    response = client.post(
        reverse("feedback:public_notice_create", args=[step_five["topic"].pk]),
        {
            "subject": "decision",
            "title": "公示\r\nBcc: x@y",
            "body": "正文",
            "places": [step_five["topic"].place_id],
            "starts_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": "9999-12-31T09:00",
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert LINE in page and WINDOW in page
    assert stored() == before


def test_a_public_response_with_a_control_character_is_a_400(resident, step_five):
    client = Client()
    client.force_login(resident)
    before = stored()

    response = client.post(
        reverse("public_notice_respond", args=[step_five["notice"].public_id]),
        {"kind": "objection", "content": "反对\x1b[31m"},
    )

    assert response.status_code == 400
    assert CONTROL in response.content.decode()
    assert stored() == before
