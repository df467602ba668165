"""A send is claimed before it happens; a dead worker's claim is settled (issue 11).

The claim ("sending") is committed in its own transaction before the channel
is called, so a worker killed between the send and the record leaves a trace.
Once the claim is older than XST_DELIVERY_CLAIM_TIMEOUT, the sweep resends it
with the same message id on channels whose gateway de-duplicates (SMS by
default) and marks it "unknown, check" on the others (email), for the clerk.
"""

from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from committees.models import Role
from notifications import delivery, tasks
from notifications.models import Channel, Delivery, DeliveryStatus, Kind
from notifications.notify import notify
from tests.factories import PersonFactory, TopicFactory, user_with_role

from .conftest import MemorySmsBackend

pytestmark = pytest.mark.django_db
S = DeliveryStatus


@pytest.fixture
def rows(settings):
    """One queued email and one queued SMS of a village topic's notice."""
    settings.SMS_BACKEND = "tests.notifications.conftest.MemorySmsBackend"
    MemorySmsBackend.sent = []
    person = PersonFactory(email="a@example.cn", phone="13800000001")
    topic = TopicFactory()
    # No commit: nothing is published, the test drives each attempt.
    notification = notify(
        key="claims",
        kind=Kind.MEETING_NOTICE,
        recipients=[person],
        subject="会议通知",
        body="请参会",
        about=topic,
        channels=[Channel.EMAIL, Channel.SMS],
    )
    by_channel = {d.channel: d for d in notification.deliveries.all()}
    return topic, by_channel[Channel.EMAIL], by_channel[Channel.SMS]


def status_in_db(row: Delivery) -> str:
    return Delivery.objects.values_list("status", flat=True).get(pk=row.pk)


def test_the_claim_is_committed_before_the_channel_is_called(rows, mailoutbox):
    _topic, email, _sms = rows
    seen = {}
    real_send = delivery.Outbox.send

    def spy(outbox, row):
        seen["status"] = status_in_db(row)
        seen["in_atomic"] = transaction.get_connection().in_atomic_block
        seen["attempts"] = Delivery.objects.get(pk=row.pk).attempts
        return real_send(outbox, row)

    with mock.patch.object(delivery.Outbox, "send", spy):
        assert delivery.delivery_attempt(email.pk) == S.SENT

    # pytest-django wraps the test in one transaction, so "in an atomic block"
    # is True here; what matters is that the row already says "sending".
    assert seen["status"] == S.SENDING
    assert seen["attempts"] == 1
    email.refresh_from_db()
    assert (email.status, email.claimed_at, email.attempts) == (S.SENT, None, 1)
    assert list(email.attempt_log.values_list("number", "ok")) == [(1, True)]
    assert len(mailoutbox) == 1


def test_a_claimed_row_is_not_sent_by_a_second_task(rows, mailoutbox):
    _topic, email, _sms = rows
    Delivery.objects.filter(pk=email.pk).update(
        status=S.SENDING, claimed_at=timezone.now(), attempts=1
    )

    assert delivery.delivery_attempt(email.pk) == S.SENDING
    assert mailoutbox == []


def _killed_after_send(row: Delivery, minutes_ago: int = 10) -> None:
    """What a worker killed between send and record leaves behind."""
    Delivery.objects.filter(pk=row.pk).update(
        status=S.SENDING,
        claimed_at=timezone.now() - timedelta(minutes=minutes_ago),
        attempts=1,
    )


def test_a_dead_workers_sms_is_resent_with_the_same_message_id(rows, monkeypatch):
    _topic, _email, sms = rows
    _killed_after_send(sms)
    published = []
    monkeypatch.setattr(tasks.deliver_batch, "delay", published.append)

    assert tasks.requeue_stale() == 1

    assert published == [[sms.pk]]
    sms.refresh_from_db()
    assert (sms.status, sms.claimed_at) == (S.QUEUED, None)
    assert "同一消息编号" in sms.last_error
    assert delivery.delivery_attempt(sms.pk) == S.SENT
    [sent] = MemorySmsBackend.sent
    assert sent["message_id"] == str(sms.uuid)
    assert list(sms.attempt_log.values_list("number", "ok")) == [(1, False), (2, True)]


def test_a_dead_workers_email_is_marked_unknown_and_never_resent(
    rows, monkeypatch, mailoutbox
):
    _topic, email, _sms = rows
    _killed_after_send(email)
    published = []
    monkeypatch.setattr(tasks.deliver_batch, "delay", published.append)

    assert tasks.requeue_stale() == 0
    tasks.requeue_stale(now=timezone.now() + timedelta(days=1))

    assert all(email.pk not in ids for ids in published)
    email.refresh_from_db()
    assert (email.status, email.claimed_at) == (S.UNKNOWN, None)
    assert "请与接收人核实" in email.last_error
    assert delivery.delivery_attempt(email.pk) == S.UNKNOWN
    assert mailoutbox == []


def test_the_deduplicating_channels_are_a_setting(rows, settings, monkeypatch):
    _topic, email, sms = rows
    settings.XST_DEDUPLICATING_CHANNELS = ["email", "sms"]
    _killed_after_send(email)
    monkeypatch.setattr(tasks.deliver_batch, "delay", lambda ids: None)

    tasks.requeue_stale()

    email.refresh_from_db()
    assert email.status == S.QUEUED
    settings.XST_DEDUPLICATING_CHANNELS = []
    _killed_after_send(sms)
    tasks.requeue_stale()
    sms.refresh_from_db()
    assert sms.status == S.UNKNOWN


def test_a_young_claim_belongs_to_a_live_worker_and_is_left_alone(
    rows, settings, monkeypatch
):
    _topic, email, sms = rows
    settings.XST_DELIVERY_CLAIM_TIMEOUT = 120
    _killed_after_send(email, minutes_ago=1)
    _killed_after_send(sms, minutes_ago=1)
    monkeypatch.setattr(tasks.deliver_batch, "delay", lambda ids: None)

    tasks.requeue_stale(now=timezone.now())

    assert status_in_db(email) == status_in_db(sms) == S.SENDING
    tasks.requeue_stale(now=timezone.now() + timedelta(minutes=2))
    assert status_in_db(email) == S.UNKNOWN
    assert status_in_db(sms) == S.QUEUED


def test_a_dedup_channel_out_of_attempts_is_marked_unknown(rows, settings, monkeypatch):
    _topic, _email, sms = rows
    settings.XST_DELIVERY_MAX_ATTEMPTS = 1
    _killed_after_send(sms)
    monkeypatch.setattr(tasks.deliver_batch, "delay", lambda ids: None)

    tasks.requeue_stale()

    assert status_in_db(sms) == S.UNKNOWN


def test_a_slow_send_that_finishes_after_the_sweep_is_still_recorded_sent(rows):
    _topic, email, _sms = rows

    def slow(outbox, row):
        # The sweep gave the claim up while the message was on its way.
        Delivery.objects.filter(pk=row.pk).update(status=S.UNKNOWN, claimed_at=None)

    with mock.patch.object(delivery.Outbox, "send", slow):
        delivery.delivery_attempt(email.pk)

    assert status_in_db(email) == S.SENT


def test_a_failure_after_the_sweep_settled_the_claim_keeps_the_sweeps_verdict(rows):
    _topic, _email, sms = rows

    def fail(outbox, row):
        Delivery.objects.filter(pk=row.pk).update(status=S.QUEUED, claimed_at=None)
        raise OSError("gateway timeout")

    with mock.patch.object(delivery.Outbox, "send", fail):
        assert delivery.delivery_attempt(sms.pk) == S.QUEUED

    sms.refresh_from_db()
    assert sms.status == S.QUEUED
    assert sms.next_attempt_at is None
    assert sms.attempt_log.get().ok is False


def test_running_out_of_time_mid_send_leaves_the_claim_for_the_sweep(rows):
    _topic, email, _sms = rows

    with (
        mock.patch.object(delivery.Outbox, "send", side_effect=SoftTimeLimitExceeded),
        pytest.raises(SoftTimeLimitExceeded),
    ):
        delivery.delivery_attempt(email.pk)

    assert status_in_db(email) == S.SENDING


def test_the_sweep_delay_is_a_setting(rows, settings, monkeypatch):
    _topic, email, sms = rows
    settings.XST_DELIVERY_SWEEP_DELAY = 30
    published = []
    monkeypatch.setattr(tasks.deliver_batch, "delay", published.append)

    assert tasks.requeue_stale(now=timezone.now() + timedelta(seconds=20)) == 0
    assert tasks.requeue_stale(now=timezone.now() + timedelta(seconds=40)) == 2
    assert published == [sorted([email.pk, sms.pk])]


def test_a_starting_worker_queues_the_short_sweep(rows, monkeypatch, settings):
    _topic, email, sms = rows
    settings.XST_DELIVERY_CLAIM_TIMEOUT = 60
    _killed_after_send(sms, minutes_ago=2)
    Delivery.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )
    published = []
    monkeypatch.setattr(tasks.deliver_batch, "delay", published.append)

    # Eager here: the signal handler's task runs at once.
    tasks.sweep_on_worker_ready(sender=None)

    # Both are younger than the five-minute sweep delay, older than the claim
    # timeout: the restarted worker picks them up now.
    assert published == [sorted([email.pk, sms.pk])]


def test_the_worker_ready_signal_is_connected():
    from celery.signals import worker_ready

    receivers = [ref() for _key, ref in worker_ready.receivers]
    assert tasks.sweep_on_worker_ready in receivers


def test_the_clerk_sees_an_unknown_delivery_on_the_topic_page(rows, client):
    topic, email, _sms = rows
    _killed_after_send(email)
    tasks.requeue_stale()
    clerk = user_with_role(Role.VILLAGE_CLERK, topic.place)
    client.force_login(clerk)

    html = client.get(
        reverse("notifications:topic_deliveries", args=[topic.pk])
    ).content.decode()

    assert "结果不明，请核实" in html
    assert "有 1 条发送中断、结果不明，请与接收人核实是否收到。" in html
    assert "status-unknown" in html
