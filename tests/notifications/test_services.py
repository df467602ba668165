"""The notice services: planning deliveries, sending each once, digest, receipts."""

from datetime import timedelta

import kombu.exceptions
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from committees.models import Person, Role
from core.errors import NotVisible
from core.models import AuditEvent
from notifications import delivery, services, tasks
from notifications.models import (
    REQUIRED_KINDS,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Kind,
    Notification,
    Preference,
)
from notifications.notify import notify
from tests.factories import (
    PersonFactory,
    TopicFactory,
    UserFactory,
    VillageFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

S = DeliveryStatus


def send(key="n1", kind=Kind.MEETING_NOTICE, **fields):
    fields.setdefault("subject", "关于村道修缮的协商会议通知")
    fields.setdefault("body", "请准时参加。")
    return notify(key=key, kind=kind, **fields)


def table(notification):
    return {
        (d.person_id, d.channel): (d.status, d.skip_reason)
        for d in notification.deliveries.all()
    }


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks of what happens inside, as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# -- which channels, with which status and why


def test_each_recipient_gets_a_row_per_channel_saying_what_happened(sms_sent):
    everything = PersonFactory(
        user=UserFactory(), email="a@example.cn", phone="13800000001"
    )
    email_only = PersonFactory(email="b@example.cn")
    sms_off = PersonFactory(phone="13800000002")
    Preference.objects.create(person=sms_off, sms=False)
    unreachable = PersonFactory()
    account_only = PersonFactory(user=UserFactory(), phone="13800000003")
    Preference.objects.create(person=account_only, sms=False)

    notification = send(
        recipients=[everything, email_only, sms_off, unreachable, account_only]
    )

    assert table(notification) == {
        (everything.pk, Channel.INBOX): (S.SENT, ""),
        (everything.pk, Channel.EMAIL): (S.QUEUED, ""),
        (everything.pk, Channel.SMS): (S.QUEUED, ""),
        (email_only.pk, Channel.INBOX): (S.SKIPPED, "无系统账号"),
        (email_only.pk, Channel.EMAIL): (S.QUEUED, ""),
        (email_only.pk, Channel.SMS): (S.SKIPPED, "无手机号"),
        (sms_off.pk, Channel.INBOX): (S.SKIPPED, "无系统账号"),
        (sms_off.pk, Channel.EMAIL): (S.SKIPPED, "无电子邮箱"),
        (sms_off.pk, Channel.SMS): (S.SKIPPED, "本人已关闭短信"),
        (sms_off.pk, Channel.PAPER): (S.QUEUED, ""),
        (unreachable.pk, Channel.INBOX): (S.SKIPPED, "无系统账号"),
        (unreachable.pk, Channel.EMAIL): (S.SKIPPED, "无电子邮箱"),
        (unreachable.pk, Channel.SMS): (S.SKIPPED, "无手机号"),
        (unreachable.pk, Channel.PAPER): (S.QUEUED, ""),
        (account_only.pk, Channel.INBOX): (S.SENT, ""),
        (account_only.pk, Channel.EMAIL): (S.SKIPPED, "无电子邮箱"),
        (account_only.pk, Channel.SMS): (S.SKIPPED, "本人已关闭短信"),
    }
    inbox = notification.deliveries.get(person=everything, channel=Channel.INBOX)
    assert inbox.sent_at is not None
    email = notification.deliveries.get(person=everything, channel=Channel.EMAIL)
    assert email.address == "a@example.cn"
    assert sms_sent == []  # nothing leaves before the commit


def test_users_are_mapped_to_their_person_records_created_on_first_need():
    known = PersonFactory(user=UserFactory(), email="known@example.cn")
    newcomer = UserFactory(first_name="伟", last_name="王", email="wang@example.cn")

    notification = send(recipients=[known.user, newcomer, known])

    created = Person.objects.get(user=newcomer)
    assert created.email == "wang@example.cn"
    assert created.name
    assert set(notification.deliveries.values_list("person_id", flat=True)) == {
        known.pk,
        created.pk,
    }
    assert notification.deliveries.filter(channel=Channel.EMAIL).count() == 2


def test_channels_argument_limits_the_channels():
    person = PersonFactory(user=UserFactory(), email="a@example.cn", phone="1380000")

    notification = send(recipients=[person], channels=[Channel.EMAIL])

    assert table(notification) == {(person.pk, Channel.EMAIL): (S.QUEUED, "")}


def test_unknown_kind_or_channel_is_a_programming_error():
    with pytest.raises(ValueError):
        send(kind="gossip", recipients=[])
    with pytest.raises(ValueError):
        send(recipients=[], channels=["pigeon"])


# -- idempotency and the transaction


def test_same_key_twice_adds_nothing_and_sends_nothing_again(commit, mailoutbox):
    person = PersonFactory(email="a@example.cn")
    with commit():
        first = send(recipients=[person])
    with commit() as callbacks:
        again = send(recipients=[person], subject="改过的标题")

    assert again.pk == first.pk
    assert again.subject == first.subject
    assert Notification.objects.count() == 1
    assert Delivery.objects.count() == 3  # inbox and SMS skipped, email sent
    assert len(mailoutbox) == 1
    assert callbacks == []


def test_same_key_with_a_new_recipient_covers_only_the_newcomer(commit, mailoutbox):
    old = PersonFactory(email="old@example.cn")
    new = PersonFactory(email="new@example.cn")
    with commit():
        send(recipients=[old])
    with commit():
        notification = send(recipients=[old, new])

    assert notification.deliveries.filter(channel=Channel.EMAIL).count() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["new@example.cn", "old@example.cn"]


def test_nothing_is_sent_before_the_commit(commit, mailoutbox):
    person = PersonFactory(email="a@example.cn")
    with commit():
        with transaction.atomic():
            notification = send(recipients=[person])
            assert mailoutbox == []
        # The enclosing (test) transaction has not committed yet either.
        assert mailoutbox == []
        email = notification.deliveries.get(channel=Channel.EMAIL)
        assert email.status == S.QUEUED

    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert email.status == S.SENT
    assert email.sent_at is not None
    assert list(email.attempt_log.values_list("number", "ok")) == [(1, True)]


def test_a_rolled_back_transaction_sends_nothing_and_leaves_no_rows(commit, mailoutbox):
    person = PersonFactory(email="a@example.cn", phone="13800000001")

    class Refused(Exception):
        pass

    with commit() as callbacks, pytest.raises(Refused), transaction.atomic():
        send(recipients=[person])
        raise Refused

    assert callbacks == []
    assert mailoutbox == []
    assert not Notification.objects.exists()
    assert not Delivery.objects.exists()


def test_delivering_twice_sends_once(commit, mailoutbox):
    person = PersonFactory(email="a@example.cn")
    with commit():
        send(recipients=[person])
    email = Delivery.objects.get(channel=Channel.EMAIL)

    assert delivery.delivery_attempt(email.pk) == S.SENT
    tasks.deliver_batch.delay([email.pk, email.pk])

    assert len(mailoutbox) == 1
    assert email.attempt_log.count() == 1


# -- failures, retries and the caller


def test_failing_sms_is_retried_then_failed_and_the_caller_is_not_broken(
    commit, failing_sms, fast_retries
):
    topic = TopicFactory()
    person = PersonFactory(phone="13800000001")

    with commit(), transaction.atomic():
        topic.title = "已改标题"
        topic.save(update_fields=["title"])
        send(recipients=[person], about=topic)

    topic.refresh_from_db()
    assert topic.title == "已改标题"
    sms = Delivery.objects.get(channel=Channel.SMS)
    assert sms.status == S.FAILED
    assert sms.attempts == 3
    assert "网关返回 503" in sms.last_error
    assert sms.next_attempt_at is None
    assert list(sms.attempt_log.values_list("number", "ok")) == [
        (1, False),
        (2, False),
        (3, False),
    ]


def test_a_failed_attempt_waits_with_exponential_backoff(commit, failing_sms, settings):
    settings.XST_DELIVERY_RETRY_BASE = 60
    settings.XST_DELIVERY_MAX_ATTEMPTS = 5
    person = PersonFactory(phone="13800000001")
    with commit():
        send(recipients=[person])
    sms = Delivery.objects.get(channel=Channel.SMS)

    def waits() -> list[float]:
        sms.refresh_from_db()
        last = sms.attempt_log.order_by("number").last()
        return [sms.attempts, (sms.next_attempt_at - last.at).total_seconds()]

    # The in-process retry came at once and was turned away, as is a
    # duplicate task arriving during the backoff.
    assert waits() == [1, 60]
    tasks.deliver.delay(sms.pk)
    assert waits() == [1, 60]

    for attempts, wait in [(2, 120), (3, 240)]:
        Delivery.objects.filter(pk=sms.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        tasks.deliver.delay(sms.pk)
        assert waits() == [attempts, wait]
    assert sms.status == S.QUEUED


def test_broker_down_at_commit_keeps_rows_queued_for_the_sweep(
    commit, mailoutbox, monkeypatch, caplog
):
    person = PersonFactory(email="a@example.cn")

    def broker_down(*args, **kwargs):
        raise kombu.exceptions.OperationalError("Error 111 connecting")

    with monkeypatch.context() as patch:
        patch.setattr(tasks.deliver_batch, "delay", broker_down)
        with commit(), transaction.atomic():
            notification = send(recipients=[person])

    assert "stay queued for the sweep" in caplog.text
    email = notification.deliveries.get(channel=Channel.EMAIL)
    assert email.status == S.QUEUED
    assert mailoutbox == []

    assert tasks.requeue_stale(now=timezone.now() + timedelta(minutes=6)) == 1
    email.refresh_from_db()
    assert email.status == S.SENT
    assert len(mailoutbox) == 1


def test_requeue_stale_picks_only_lost_email_and_sms_deliveries(monkeypatch):
    now = timezone.now()
    notification = Notification.objects.create(
        key="k", kind=Kind.REMINDER, subject="s", body="b"
    )

    def row(channel, status=S.QUEUED, age=10, next_in=None):
        return Delivery.objects.create(
            notification=notification,
            person=PersonFactory(),
            channel=channel,
            status=status,
            address="x",
            created_at=now - timedelta(minutes=age),
            next_attempt_at=None
            if next_in is None
            else now + timedelta(minutes=next_in),
        )

    lost_email = row(Channel.EMAIL)
    lost_retry = row(Channel.SMS, next_in=-6)
    row(Channel.EMAIL, age=1)  # just created: its task is on the way
    row(Channel.SMS, next_in=-1)  # its retry is just due
    row(Channel.SMS, next_in=30)  # backing off
    row(Channel.PAPER)  # printed by a clerk
    row(Channel.EMAIL, status=S.HELD)  # waits for the digest
    row(Channel.EMAIL, status=S.SENT)
    row(Channel.SMS, status=S.FAILED)

    published = []
    monkeypatch.setattr(tasks.deliver_batch, "delay", published.append)

    assert tasks.requeue_stale(now=now) == 2
    assert published == [[lost_email.pk, lost_retry.pk]]
    # Stamped as republished: the next sweep leaves them to the queue.
    assert tasks.requeue_stale(now=now) == 0
    # Six minutes on, all four not backing off count as lost.
    assert tasks.requeue_stale(now=timezone.now() + timedelta(minutes=6)) == 4


def test_requeue_stale_publishes_in_batches(monkeypatch):
    notification = Notification.objects.create(
        key="k", kind=Kind.REMINDER, subject="s", body="b"
    )
    old = timezone.now() - timedelta(hours=1)
    people = Person.objects.bulk_create(Person(name=f"p{i}") for i in range(450))
    Delivery.objects.bulk_create(
        Delivery(
            notification=notification,
            person=p,
            channel=Channel.EMAIL,
            address="a@example.cn",
            created_at=old,
        )
        for p in people
    )
    published = []
    monkeypatch.setattr(tasks.deliver_batch, "delay", published.append)

    assert tasks.requeue_stale() == 450
    assert [len(ids) for ids in published] == [200, 200, 50]


# -- the daily digest


def test_routine_notices_are_held_and_sent_once_as_one_combined_message(
    commit, mailoutbox, sms_sent
):
    person = PersonFactory(email="a@example.cn", phone="13800000001")
    Preference.objects.create(person=person, daily_digest=True)
    with commit():
        send("r1", Kind.REMINDER, recipients=[person], subject="提醒:资料待补充")
        send("r2", Kind.MATERIAL, recipients=[person], subject="协商资料已上传")

    held = Delivery.objects.filter(status=S.HELD)
    assert held.count() == 4
    assert mailoutbox == [] and sms_sent == []

    assert delivery.digest_send() == 2

    assert len(mailoutbox) == 1
    digest = mailoutbox[0]
    assert "2 条通知" in digest.subject
    assert "提醒:资料待补充" in digest.body and "协商资料已上传" in digest.body
    assert len(sms_sent) == 1
    assert "提醒:资料待补充" in sms_sent[0]["text"]
    assert not Delivery.objects.filter(status=S.HELD).exists()
    assert Delivery.objects.filter(status=S.SENT, channel=Channel.EMAIL).count() == 2
    assert DeliveryAttempt.objects.filter(ok=True).count() == 4

    assert delivery.digest_send() == 0
    assert len(mailoutbox) == 1


def test_a_failed_digest_stays_held_until_the_last_attempt(
    commit, failing_sms, settings
):
    settings.XST_DELIVERY_MAX_ATTEMPTS = 2
    person = PersonFactory(phone="13800000001")
    Preference.objects.create(person=person, daily_digest=True)
    with commit():
        send("r1", Kind.REMINDER, recipients=[person])
    sms = Delivery.objects.get(channel=Channel.SMS)

    assert delivery.digest_send() == 0
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (S.HELD, 1)
    assert "网关返回 503" in sms.last_error

    assert delivery.digest_send() == 0
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (S.FAILED, 2)
    assert delivery.digest_send() == 0
    assert sms.attempt_log.count() == 2


@pytest.mark.parametrize("kind", sorted(REQUIRED_KINDS))
def test_required_notices_are_never_held(kind, commit, mailoutbox):
    person = PersonFactory(email="a@example.cn")
    Preference.objects.create(person=person, daily_digest=True)
    with commit():
        send(kind=kind, recipients=[person])

    assert Delivery.objects.get(channel=Channel.EMAIL).status == S.SENT
    assert len(mailoutbox) == 1


# -- inbox


def test_mark_read_only_for_the_owner():
    owner = PersonFactory(user=UserFactory(), email="a@example.cn")
    other = UserFactory()
    notification = send(recipients=[owner])
    inbox = notification.deliveries.get(channel=Channel.INBOX)
    email = notification.deliveries.get(channel=Channel.EMAIL)

    for user, delivery_id in [
        (other, inbox.pk),
        (AnonymousUser(), inbox.pk),
        (owner.user, email.pk),
    ]:
        with pytest.raises(NotVisible):
            services.delivery_mark_read(user=user, delivery_id=delivery_id)

    read = services.delivery_mark_read(user=owner.user, delivery_id=inbox.pk)
    assert read.status == S.READ
    assert read.read_at is not None
    again = services.delivery_mark_read(user=owner.user, delivery_id=inbox.pk)
    assert again.read_at == read.read_at


# -- paper receipts


@pytest.fixture
def paper():
    """A printed notice for a villager of a topic's village."""
    topic = TopicFactory()
    notification = send(recipients=[PersonFactory()], about=topic)
    return notification.deliveries.get(channel=Channel.PAPER)


def _village_clerk(place):
    return user_with_role(Role.VILLAGE_CLERK, place)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("clerk_of_the_village", True),
        ("secretary_of_the_village", True),
        ("clerk_of_another_village", False),
        ("clerk_of_the_township", False),
        ("resident_of_the_village", False),
        ("member_of_the_village", False),
        ("anonymous", False),
        ("nobody", False),
    ],
)
def test_receipt_record_permission(who, allowed, paper):
    village = paper.notification.about.place
    actor = {
        "clerk_of_the_village": lambda: _village_clerk(village),
        "secretary_of_the_village": lambda: user_with_role(
            Role.VILLAGE_SECRETARY, village
        ),
        "clerk_of_another_village": lambda: _village_clerk(VillageFactory()),
        # Runs the township's own topics; the village's clerk runs the village's.
        "clerk_of_the_township": lambda: user_with_role(
            Role.TOWNSHIP_CLERK, village.parent
        ),
        "resident_of_the_village": lambda: user_with_role(Role.RESIDENT, village),
        "member_of_the_village": lambda: user_with_role(Role.MEMBER, village),
        "anonymous": AnonymousUser,
        "nobody": lambda: None,
    }[who]()

    if not allowed:
        with pytest.raises(PermissionDenied):
            services.receipt_record(actor=actor, delivery_id=paper.pk, signed_by="张三")
        paper.refresh_from_db()
        assert paper.status == S.QUEUED
        assert not AuditEvent.objects.filter(verb="receipt_record").exists()
        return

    recorded = services.receipt_record(
        actor=actor, delivery_id=paper.pk, signed_by=" 张三 "
    )
    assert recorded.status == S.SENT
    assert recorded.receipt_signed_by == "张三"
    assert recorded.receipt_recorded_by == actor
    assert recorded.sent_at is not None
    # A topic's notice is receipted on the topic's one chain, naming the delivery.
    event = AuditEvent.objects.for_subject(paper.notification.about).get()
    assert (event.verb, event.actor, event.to_state, event.record_id) == (
        "receipt_record",
        actor,
        "",
        recorded.pk,
    )
    assert event.data["after"]["status"] == S.SENT
    assert not AuditEvent.objects.for_subject(recorded).exists()


def test_receipt_without_topic_needs_staff():
    notification = send(key="general", recipients=[PersonFactory()])
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    paper = notification.deliveries.get(channel=Channel.PAPER)
    clerk = _village_clerk(VillageFactory())

    with pytest.raises(PermissionDenied):
        services.receipt_record(actor=clerk, delivery_id=paper.pk, signed_by="张三")
    staff = UserFactory(is_staff=True)
    signed_at = timezone.now() - timedelta(days=1)
    recorded = services.receipt_record(
        actor=staff, delivery_id=paper.pk, signed_by="张三", signed_at=signed_at
    )
    assert recorded.sent_at == signed_at
    # No subject, no owner's chain: the delivery keeps its own.
    event = AuditEvent.objects.for_subject(recorded).get()
    assert (event.verb, event.record_id, event.to_state) == (
        "receipt_record",
        None,
        S.SENT,
    )
    assert event.data["after"]["signed_by"] == "张三"


@pytest.mark.parametrize(
    ("signed_by", "signed_at", "message"),
    [
        ("", None, "请填写签收人"),
        ("   ", None, "请填写签收人"),
        ("张" * 65, None, "不能超过 64 个字"),
        ("张三", timedelta(days=1), "不能晚于当前时间"),
    ],
    ids=["empty", "blank", "too_long", "in_the_future"],
)
def test_receipt_validation(signed_by, signed_at, message, paper):
    clerk = _village_clerk(paper.notification.about.place)
    with pytest.raises(ValidationError, match=message):
        services.receipt_record(
            actor=clerk,
            delivery_id=paper.pk,
            signed_by=signed_by,
            signed_at=signed_at and timezone.now() + signed_at,
        )
    paper.refresh_from_db()
    assert paper.status == S.QUEUED


def test_a_receipt_is_recorded_once(paper):
    clerk = _village_clerk(paper.notification.about.place)
    services.receipt_record(actor=clerk, delivery_id=paper.pk, signed_by="张三")
    with pytest.raises(ValidationError, match="已登记签收"):
        services.receipt_record(actor=clerk, delivery_id=paper.pk, signed_by="李四")


def test_receipt_only_for_paper_deliveries(paper):
    clerk = _village_clerk(paper.notification.about.place)
    inbox = paper.notification.deliveries.get(channel=Channel.INBOX)
    with pytest.raises(NotVisible):
        services.receipt_record(actor=clerk, delivery_id=inbox.pk, signed_by="张三")


# -- scale


def _crowd(size, tag):
    """Recipients of every sort: persons with and without accounts, users
    without a person record yet, some with preferences."""
    quarter = size // 4
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{tag}{i}", email=f"{tag}{i}@example.cn")
        for i in range(2 * quarter)
    )
    with_person = Person.objects.bulk_create(
        Person(name=u.username, user=u, email=u.email) for u in users[:quarter]
    )
    plain = Person.objects.bulk_create(
        Person(name=f"{tag}-{i}", phone="13800000000")
        for i in range(size - 2 * quarter)
    )
    Preference.objects.bulk_create(
        Preference(person=p, sms=False) for p in (with_person + plain)[::3]
    )
    return [*with_person, *users[quarter:], *plain]


def _queries(people, key):
    with CaptureQueriesContext(connection) as context:
        send(key=key, recipients=people)
    sqls = [q["sql"] for q in context.captured_queries]
    return len(sqls), [s for s in sqls if not s.startswith("INSERT")]


def test_query_count_does_not_grow_with_recipients():
    small_total, small = _queries(_crowd(50, "s"), "small")
    large_total, large = _queries(_crowd(500, "l"), "large")

    assert large_total < 50
    # Only the bulk INSERTs grow, by the database's rows-per-statement limit.
    assert len(large) == len(small)
    assert Delivery.objects.filter(notification__key="large").count() >= 500 * 3
