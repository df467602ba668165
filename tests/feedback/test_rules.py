"""The 公示 window and the steps of steps 4-5 records, declared in feedback.rules."""

from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from feedback import rules
from feedback.models import NoticeStatus
from topics.states import Step


def test_a_public_notice_takes_responses_from_its_start_until_its_end():
    now = timezone.now()
    notice = SimpleNamespace(
        status=NoticeStatus.PUBLISHED, starts_at=now, ends_at=now + timedelta(days=5)
    )
    assert not rules.public_notice_open(notice, now - timedelta(seconds=1))
    assert rules.public_notice_open(notice, now)
    assert not rules.public_notice_open(notice, notice.ends_at)
    notice.status = NoticeStatus.WITHDRAWN
    assert not rules.public_notice_open(notice, now)


def test_tasks_are_written_in_steps_four_and_five_a_public_notice_in_five():
    adopt, feedback = (
        SimpleNamespace(step=Step.ADOPT),
        SimpleNamespace(step=Step.FEEDBACK),
    )
    assert rules.writable(adopt) == {
        "adoption": True,
        "implementation": True,
        "public_notice": False,
    }
    assert rules.writable(feedback) == {
        "adoption": False,
        "implementation": True,
        "public_notice": True,
    }
