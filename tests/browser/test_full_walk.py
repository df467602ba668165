"""One village topic from 草稿 to 已归档 in Chromium, as its users would carry it.

Every record is made on the pages. Two things are not: the platform roster
(set up through the committees service, as an administrator would have done
long before), and the end of the 公示 period, which the scheduled job
``feedback.notice_sweep`` records; the test runs that one job in-process
after travelling past the end, in place of Celery beat. Time travels with
``time_machine`` (ticking, so the live server's clock moves on) twice: to the
meeting, planned four days ahead for the three-day notice lead time, and past
the five-day 公示 period.
"""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from committees.models import MemberCategory, Role
from committees.services import membership_add
from consult.models import Attendance, MaterialVersion, Opinion, Participant, Session
from feedback.models import (
    Bulletin,
    Decision,
    Disposition,
    NoticeStatus,
    PublicNotice,
    Task,
    TaskStatus,
    Vote,
)
from notifications.jobs import run_job
from tests.browser.conftest import PHONE, no_horizontal_scroll
from tests.factories import (
    BodyFactory,
    PersonFactory,
    PlatformFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)
from topics.models import Topic
from topics.states import State

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _pdf() -> bytes:
    """A small, well-formed one-page PDF (correct cross-reference offsets)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    return out + b"startxref\n%d\n%%%%EOF\n" % xref


def _local(moment: datetime, fmt: str = "%Y-%m-%dT%H:%M") -> str:
    return timezone.localtime(moment).strftime(fmt)


def test_a_village_topic_goes_from_draft_to_archived_in_the_browser(
    open_page, live_server, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    township = TownshipFactory()
    village = VillageFactory(parent=township)
    BodyFactory(place=village)
    clerk = user_with_role(Role.VILLAGE_CLERK, village, first_name="王文书")
    secretary = user_with_role(Role.VILLAGE_SECRETARY, village)
    admin = user_with_role(Role.ADMINISTRATOR, township)
    council = PlatformFactory(
        place=village, kind="village_council", name="村协商民主议事会"
    )
    roster = [
        ("张代表", MemberCategory.VILLAGER_REP, True),
        ("李商户", MemberCategory.MERCHANT, True),
        ("赵党代表", MemberCategory.PARTY_DEPUTY, True),
        # No account: the notices go out on paper and receipts are signed.
        ("钱大爷", MemberCategory.MASSES, False),
    ]
    for name, category, has_account in roster:
        membership_add(
            actor=admin,
            platform=council,
            person=PersonFactory(
                name=name,
                place=village,
                user=UserFactory(first_name=name) if has_account else None,
            ),
            category=category,
            term_start=timezone.localdate() - timedelta(days=100),
        )
    url = live_server.url
    shots = []

    def shot(page, name: str) -> None:
        path = tmp_path / f"{len(shots):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000, f"{name}: the screenshot is blank"
        shots.append(path)

    def check(page) -> None:
        """The page rendered, says nothing went wrong, and fits 360 px."""
        assert page.locator("h1").count(), page.content()[:500]
        errors = page.locator(".errorlist, .msg-error").all_inner_texts()
        assert not errors, errors
        if page.viewport_size["width"] == PHONE["width"]:
            assert no_horizontal_scroll(page), page.url

    def visit(page, path: str) -> None:
        response = page.goto(f"{url}{path}")
        assert response.status == 200, (path, response.status)
        check(page)

    def submit(page, button) -> None:
        """Click a submit button and wait for the page it leads to."""
        with page.expect_navigation():
            button.click()
        check(page)

    def follow(page, text: str) -> None:
        with page.expect_navigation():
            page.get_by_role("link", name=text).first.click()
        check(page)

    def state() -> str:
        return Topic.objects.get(pk=topic.pk).state

    # Step 1: the clerk drafts and submits on a phone; the secretary approves.
    phone = open_page(clerk, viewport=PHONE)
    visit(phone, "/topics/new/")
    phone.locator("select[name=body]").select_option(index=1)
    phone.fill("input[name=title]", "村东道路硬化")
    phone.fill("textarea[name=description]", "村东主路雨天泥泞，拟硬化 800 米。")
    # §四(二)4, a collective construction project: it needs a statutory vote.
    phone.locator("select[name=category]").select_option("v4")
    phone.locator("select[name=tag]").select_option(index=1)
    phone.locator("input[name=forms][value=v_meeting]").check()
    phone.locator("select[name=source]").select_option(index=1)
    phone.fill("input[name=proposer]", "三组村民")
    submit(phone, phone.locator("button.btn-primary:has-text('保存草稿')"))
    topic = Topic.objects.get(title="村东道路硬化")
    assert state() == State.DRAFT
    submit(phone, phone.locator("#action-submit button"))
    assert state() == State.SUBMITTED

    desk = open_page(secretary)
    visit(desk, f"/topics/{topic.pk}/")
    desk.once("dialog", lambda dialog: dialog.accept())
    submit(desk, desk.locator("#action-approve button"))
    assert state() == State.PREPARING

    # Step 2: plan, participants, notices and materials on the prepare page.
    visit(phone, f"/topics/{topic.pk}/")
    follow(phone, "协商准备：方案、名单、通知、资料")
    starts = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=4), time(9))
    )
    plan = phone.locator("form[action$='/sessions/add/']")
    plan.locator("select[name=form]").select_option("v_meeting")
    plan.locator("input[name=starts_at]").fill(_local(starts))
    plan.locator("input[name=ends_at]").fill(_local(starts + timedelta(hours=2)))
    plan.locator("input[name=location]").fill("村委会会议室")
    plan.locator("textarea[name=agenda]").fill(
        "一、方案说明；二、逐项协商；三、形成共识。"
    )
    plan.locator("input[name=host]").fill("李书记")
    submit(phone, plan.locator("button[type=submit]"))
    session = Session.objects.get(topic=topic)
    assert session.starts_at == starts

    phone.locator("summary:has-text('从平台名册选人')").click()
    pick = phone.locator("form[action$='/roster/']")
    pick.locator("select[name=platform]").select_option(str(council.pk))
    submit(phone, pick.locator("button[type=submit]"))
    assert Participant.objects.filter(topic=topic).count() == len(roster)
    # The list lacks §七 categories: the page asks why, in writing.
    phone.fill("#gap-reason", "本村无政协委员、统战人士和专业人士。")
    submit(phone, phone.locator("form[action$='/gap/'] button"))

    pdf_path = tmp_path / "道路硬化方案.pdf"
    pdf_path.write_bytes(_pdf())
    phone.locator("summary:has-text('上传资料')").click()
    upload = phone.locator("form.stacked[action$='/materials/']")
    upload.locator("input[name=title]").fill("道路硬化方案")
    upload.locator("input[name=file]").set_input_files(str(pdf_path))
    submit(phone, upload.locator("button[type=submit]"))
    version = MaterialVersion.objects.get(topic=topic)
    assert version.size == pdf_path.stat().st_size

    submit(phone, phone.locator("button:has-text('发送协商方案（参会通知）')"))
    # 钱大爷 has no account: his paper notice is signed for on the same page.
    receipt = phone.locator("form.receipt")
    assert receipt.count() == 1
    receipt.locator("input[name=signed_by]").fill("钱大爷")
    submit(phone, receipt.locator("button[type=submit]"))
    assert phone.locator("#evidence .ok").is_visible()
    shot(phone, "prepare-phone")

    visit(phone, f"/topics/{topic.pk}/")
    submit(phone, phone.locator("#action-start_consultation button"))
    assert state() == State.CONSULTING

    # Step 3: the meeting, four days later, recorded on the clerk's phone.
    with time_machine.travel(starts + timedelta(minutes=30), tick=True):
        visit(phone, f"/topics/{topic.pk}/")
        follow(phone, "协商活动记录")
        with phone.expect_navigation():
            phone.locator(f"a[href$='/consult/sessions/{session.pk}/']").click()
        check(phone)
        names = [name for name, _, _ in roster]
        for name in names:
            row = phone.locator("#attendance li", has_text=name)
            status = "请假" if name == "钱大爷" else "出席"
            submit(phone, row.locator(f"button.tap:has-text('{status}')"))
            assert row.locator("button.tap.on").inner_text() == status
        assert Attendance.objects.filter(session=session).count() == len(names)
        phone.fill("#minutes", "到会代表听取方案说明，逐项讨论了路线、宽度和资金。")
        phone.fill("#consensus", "同意硬化，先修排水沟。")
        phone.fill("#disputed", "资金分摊比例。")
        submit(phone, phone.locator("form[action$='/record/'] button"))
        for name, content in (
            ("张代表", "建议同步修排水沟。"),
            ("李商户", "建议路面加宽到 6 米。"),
        ):
            form = phone.locator("#add-opinion")
            form.locator("#op-participant").select_option(label=name)
            form.locator("textarea[name=content]").fill(content)
            submit(phone, form.locator("button[type=submit]"))
        assert Opinion.objects.filter(session=session).count() == 2
        shot(phone, "session-phone")

        visit(phone, f"/topics/{topic.pk}/")
        submit(phone, phone.locator("#action-start_adoption button"))
        assert state() == State.ADOPTING

        # Step 4: dispositions, the compilation, the decision and the vote.
        follow(phone, "意见采纳、决策与表决")
        for content, outcome in (
            ("建议同步修排水沟。", "adopted"),
            ("建议路面加宽到 6 米。", "partly"),
        ):
            item = phone.locator("li.fb-item", has_text=content)
            item.locator("summary:has-text('归类与采纳')").click()
            item.locator("input[name=theme]").fill("道路")
            item.locator("select[name=outcome]").select_option(outcome)
            item.locator("textarea[name=reason]").fill("符合村庄规划，资金允许。")
            submit(phone, item.locator("form[action$='/disposition/'] button"))
        assert Disposition.objects.filter(opinion__topic=topic).count() == 2
        # Partly adopted: the page asks for the explanation given to him.
        item = phone.locator("li.fb-item", has_text="建议路面加宽到 6 米。")
        item.locator("summary:has-text('登记沟通解释')").click()
        item.locator("input[name=explained_by]").fill("李书记")
        item.locator("textarea[name=note]").fill(
            "当面说明：加宽到 5 米，受宅基地所限。"
        )
        submit(phone, item.locator("form[action$='/explanation/'] button"))
        compile_form = phone.locator("form[action$='/compile/']")
        compile_form.locator("textarea[name=summary]").fill("意见集中在排水和路宽。")
        submit(phone, compile_form.locator("button"))
        decide = phone.locator("form[action$='/decision/']")
        decide.locator("input[name=meeting_date]").fill(
            _local(timezone.now(), "%Y-%m-%d")
        )
        decide.locator("textarea[name=attendees]").fill("书记、主任、两委委员")
        decide.locator("textarea[name=plan]").fill(
            "硬化 800 米，宽 5 米，同步修排水沟。"
        )
        decide.locator("input[name=files]").set_input_files(str(pdf_path))
        submit(phone, decide.locator("button[type=submit]"))
        assert Decision.objects.get(topic=topic).attachments.count() == 1
        vote = phone.locator("form[action$='/vote/']")
        vote.locator("select[name=kind]").select_option("villager_reps")
        vote.locator("input[name=held_on]").fill(_local(timezone.now(), "%Y-%m-%d"))
        for field, value in (
            ("entitled", 30),
            ("present", 25),
            ("in_favour", 21),
            ("against", 2),
            ("abstain", 2),
        ):
            vote.locator(f"input[name={field}]").fill(str(value))
        submit(phone, vote.locator("button[type=submit]"))
        assert Vote.objects.get(topic=topic).passed
        shot(phone, "adopt-phone")

        visit(desk, f"/topics/{topic.pk}/")
        submit(desk, desk.locator("#action-start_feedback button"))
        assert state() == State.FEEDBACK

        # Step 5: a task done, a 公示 published for its full period.
        visit(phone, f"/topics/{topic.pk}/")
        follow(phone, "落实、公示与通报")
        task_form = phone.locator("form[action$='/tasks/']")
        task_form.locator("textarea[name=description]").fill("招标施工，硬化村东主路")
        task_form.locator("select[name=responsible]").select_option(label="张代表")
        task_form.locator("input[name=deadline]").fill(
            _local(timezone.now() + timedelta(days=30), "%Y-%m-%d")
        )
        submit(phone, task_form.locator("button[type=submit]"))
        task = Task.objects.get(topic=topic)
        phone.locator("summary:has-text('报告进展')").click()
        report = phone.locator("form[action$='/progress/']")
        report.locator("input[name=percent]").fill("100")
        report.locator("textarea[name=note]").fill("已完工并验收。")
        submit(phone, report.locator("button[type=submit]"))
        task.refresh_from_db()
        assert task.status == TaskStatus.DONE

        now = timezone.now()
        ends = now + timedelta(days=5, hours=1)
        notice_form = phone.locator("form[action$='/notices/']")
        notice_form.locator("select[name=subject]").select_option("decision")
        notice_form.locator("input[name=title]").fill("村东道路硬化决策公示")
        notice_form.locator("textarea[name=body]").fill("硬化 800 米，宽 5 米。")
        notice_form.locator(f"input[name=places][value='{village.pk}']").check()
        notice_form.locator("input[name=posted_at]").fill("村委会公开栏")
        notice_form.locator("input[name=starts_at]").fill(_local(now))
        notice_form.locator("input[name=ends_at]").fill(_local(ends))
        submit(phone, notice_form.locator("button[type=submit]"))
        notice = PublicNotice.objects.get(topic=topic)
        assert notice.status == NoticeStatus.PUBLISHED
        # The task was reported done: the decision 公示 also shows the progress
        # (seed §六.5 公示通报实施进展情况).
        submit(phone, phone.locator("button:has-text('标记为同时公示实施进展')"))
        notice.refresh_from_db()
        assert notice.covers_progress
        shot(phone, "implement-phone")

        # Anyone may read the 公示 on a phone, without an account.
        public = open_page(viewport=PHONE)
        visit(public, f"/gongshi/{notice.public_id}/")
        assert public.locator("text=村东道路硬化决策公示").first.is_visible()
        shot(public, "public-notice-phone")

        # The period runs out; beat's job ends the 公示 (run here in-process).
        with time_machine.travel(ends + timedelta(minutes=10), tick=True):
            run_job("feedback.notice_sweep")
            notice.refresh_from_db()
            assert notice.status == NoticeStatus.ENDED

            visit(phone, f"/feedback/topics/{topic.pk}/implement/")
            submit(phone, phone.locator("button:has-text('发送通报')"))
            assert Bulletin.objects.filter(topic=topic).count() == len(roster)
            # 钱大爷's 通报 is on paper: the page links to where his signed
            # receipt is recorded.
            follow(phone, "通知送达情况")
            card = phone.locator("section.notice-card", has_text="协商结果通报").filter(
                has=phone.locator("form.receipt-form")
            )
            assert card.count() == 1
            card.locator("input[name=signed_by]").fill("钱大爷")
            submit(phone, card.locator("form.receipt-form button"))
            signed = phone.locator("section.notice-card", has_text="协商结果通报")
            assert signed.filter(has_text="已签收：钱大爷").count() == 1
            shot(phone, "deliveries-phone")

            visit(phone, f"/topics/{topic.pk}/")
            assert phone.locator("#evidence .ok").is_visible()
            submit(phone, phone.locator("#action-archive button"))
            assert state() == State.ARCHIVED
            assert phone.locator("h1 .state").inner_text() == "已归档"
            shot(phone, "archived-phone")
