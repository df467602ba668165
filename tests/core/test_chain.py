"""One keyed chain per topic over all its records; heads and a signed digest.

Tampering is simulated as someone with write access to the database but not
the audit key would do it: raw SQL behind the append-only manager.
"""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from core.chain import latest_digest, verify, verify_chain
from core.chain_keys import AuditKeyError, parse_keys
from core.models import AuditEvent, ChainHead
from tests.factories import BodyFactory, PersonFactory, TopicFactory, VillageFactory
from topics.records import snapshot, topic_event, topic_write

pytestmark = pytest.mark.django_db


def write_case(topic, people) -> list[AuditEvent]:
    """Events on the topic itself and on two of its records, through the helpers."""
    events = []
    with topic_write(topic.pk) as locked:
        events.append(
            topic_event(
                locked,
                actor=None,
                verb="edit",
                before={"title": "旧标题"},
                after=snapshot(locked, ["title"]),
                reason="更正标题",
            )
        )
    for person in people:
        with topic_write(topic.pk) as locked:
            events.append(
                topic_event(
                    locked,
                    actor=None,
                    verb="participant_add",
                    record=person,
                    after=snapshot(person, ["name"]),
                )
            )
    with topic_write(topic.pk) as locked:
        events.append(
            topic_event(
                locked,
                actor=None,
                verb="participant_remove",
                record=people[0],
                before={"name": people[0].name},
                reason="本人申请退出",
            )
        )
    return events


@pytest.fixture
def topic():
    village = VillageFactory()
    return TopicFactory(place=village, body=BodyFactory(place=village))


@pytest.fixture
def events(topic):
    return write_case(topic, [PersonFactory(), PersonFactory()])


def sql(statement: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def named(breaks) -> list[tuple]:
    return [(b.seq, b.event_id, b.verb, b.record, b.problem) for b in breaks]


def record_name(event: AuditEvent) -> str:
    return f"committees.person:{event.record_id}" if event.record_id else ""


def plain_sha(event: AuditEvent) -> str:
    event.key_id = ""
    return event.compute_hash()


def test_a_topic_with_events_on_several_records_is_one_chain_that_verifies(
    topic, events
):
    stored = list(AuditEvent.objects.for_subject(topic).order_by("seq"))
    assert [e.seq for e in stored] == [1, 2, 3, 4]
    assert [record_name(e) for e in stored] == [
        "",
        f"committees.person:{events[1].record_id}",
        f"committees.person:{events[2].record_id}",
        f"committees.person:{events[1].record_id}",
    ]
    assert stored[3].data == {"before": {"name": stored[3].data["before"]["name"]}}
    assert verify_chain(topic) == []
    report = verify()
    assert report.ok
    assert (report.chains, report.events) == (1, 4)


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_tampering_with_any_one_event_is_detected_and_named(topic, events, index):
    """An UPDATE behind the manager names the event, its verb and its record."""
    target = events[index]
    sql("UPDATE core_auditevent SET reason = %s WHERE id = %s", ["改过", target.pk])

    expected = [(index + 1, target.pk, target.verb, record_name(target), "hash")]
    assert named(verify_chain(topic)) == expected
    report = verify()
    assert not report.ok
    assert named(report.breaks) == expected
    assert report.breaks[0].subject == f"topics.topic:{topic.pk}"


def test_recomputing_the_chain_with_plain_sha256_is_detected(topic, events):
    """Without the key, a rewrite recomputed as SHA-256 fails at the first change."""
    stored = list(AuditEvent.objects.for_subject(topic).order_by("seq"))
    previous = stored[0].hash
    for event in stored[1:]:
        if event.seq == 2:
            event.reason = "改写"
        event.prev_hash = previous
        # Keyed events now claimed to be plain SHA-256: a downgrade.
        previous = plain_sha(event)
        sql(
            "UPDATE core_auditevent SET reason = %s, prev_hash = %s, hash = %s, "
            "key_id = '' WHERE id = %s",
            [event.reason, event.prev_hash, previous, event.pk],
        )

    assert named(verify_chain(topic)) == [
        (2, events[1].pk, events[1].verb, record_name(events[1]), "legacy"),
        (3, events[2].pk, events[2].verb, record_name(events[2]), "legacy"),
        (4, events[3].pk, events[3].verb, record_name(events[3]), "legacy"),
    ]


def test_recomputing_keyed_events_without_the_key_is_detected(topic, events):
    """Keeping the key id but hashing with SHA-256 breaks that event's seal."""
    event = AuditEvent.objects.get(pk=events[1].pk)
    event.reason = "改写"
    sql(
        "UPDATE core_auditevent SET reason = %s, hash = %s WHERE id = %s",
        [event.reason, plain_sha(event), event.pk],
    )
    breaks = verify_chain(topic)
    assert named(breaks)[0] == (
        2,
        events[1].pk,
        events[1].verb,
        record_name(events[1]),
        "hash",
    )


def test_a_whole_chain_rewritten_as_legacy_is_caught_by_the_signed_digest(
    topic, events
):
    """Rewriting every event (and the ChainHead row) still misses the digest file."""
    assert verify().written is not None
    previous = ""
    for event in AuditEvent.objects.for_subject(topic).order_by("seq"):
        event.reason = "全部改写"
        event.prev_hash = previous
        previous = plain_sha(event)
        sql(
            "UPDATE core_auditevent SET reason = %s, prev_hash = %s, hash = %s, "
            "key_id = '' WHERE id = %s",
            [event.reason, event.prev_hash, previous, event.pk],
        )
    sql("UPDATE core_chainhead SET last_hash = %s", [previous])

    breaks = verify_chain(topic)
    assert named(breaks) == [
        (4, events[3].pk, events[3].verb, record_name(events[3]), "digest")
    ]
    assert not verify(incremental=True).ok


def test_deleting_the_last_event_is_detected_against_the_heads(topic, events):
    assert verify().ok
    sql("DELETE FROM core_auditevent WHERE id = %s", [events[3].pk])

    [broken] = verify_chain(topic)
    assert (broken.seq, broken.event_id, broken.problem) == (4, None, "truncated")
    assert broken.subject == f"topics.topic:{topic.pk}"
    assert not verify(incremental=True).ok


def test_deleting_the_tail_and_its_chain_head_is_caught_by_the_digest(topic, events):
    assert verify().ok
    sql(
        "DELETE FROM core_auditevent WHERE id IN (%s, %s)", [events[2].pk, events[3].pk]
    )
    sql("DELETE FROM core_chainhead", [])

    [broken] = verify_chain(topic)
    assert (broken.seq, broken.problem) == (3, "truncated")
    assert broken.detail == "第 3 至 4 条记录缺失"


def test_deleting_a_whole_chain_is_detected(topic, events):
    assert verify().ok
    sql(
        "DELETE FROM core_auditevent WHERE id IN (%s, %s, %s, %s)",
        [e.pk for e in events],
    )
    report = verify(incremental=True)
    # The topic is now also a record with no event at all (chain_records).
    assert [(b.subject, b.seq, b.problem) for b in report.breaks] == [
        (f"topics.topic:{topic.pk}", 1, "truncated"),
        (f"topics.topic:{topic.pk}", 0, "unlogged"),
    ]


# -- heads, digest, incremental ------------------------------------------------


def test_a_recording_run_keeps_each_chains_head_and_signs_a_digest(topic, events):
    report = verify()
    head = ChainHead.objects.get()
    assert (head.subject_id, head.count, head.last_hash) == (
        topic.pk,
        4,
        events[3].hash,
    )
    document = json.loads(report.written.read_text(encoding="utf-8"))
    assert document["heads"] == {f"topics.topic:{topic.pk}": [4, events[3].hash]}
    assert document["key_id"] == "dev"
    assert latest_digest().heads == {f"topics.topic:{topic.pk}": (4, events[3].hash)}


def test_an_incremental_run_reads_only_from_the_verified_head(topic, events):
    verify()
    other = TopicFactory()
    write_case(other, [PersonFactory()])
    with topic_write(topic.pk) as locked:
        topic_event(locked, actor=None, verb="edit", reason="新")

    report = verify(incremental=True)
    assert report.ok
    # The anchor and the new event of the first topic, all three of the other.
    assert (report.chains, report.events) == (2, 2 + 3)
    assert ChainHead.objects.get(subject_id=topic.pk).count == 5
    assert verify(incremental=True).events == 2


def test_an_incremental_run_names_a_tampered_new_event(topic, events):
    verify()
    with topic_write(topic.pk) as locked:
        new = topic_event(locked, actor=None, verb="edit", reason="新")
    sql("UPDATE core_auditevent SET reason = %s WHERE id = %s", ["改过", new.pk])

    report = verify(incremental=True)
    assert named(report.breaks) == [(5, new.pk, "edit", "", "hash")]
    # The broken chain keeps its old anchors, so the next run reports it again.
    assert ChainHead.objects.get(subject_id=topic.pk).count == 4
    assert latest_digest().heads[f"topics.topic:{topic.pk}"][0] == 4
    assert named(verify(incremental=True).breaks) == [(5, new.pk, "edit", "", "hash")]


def test_a_forged_digest_is_reported_and_never_re_signed(topic, events):
    path = verify().written
    document = json.loads(path.read_text(encoding="utf-8"))
    document["heads"][f"topics.topic:{topic.pk}"] = [3, events[2].hash]
    path.write_text(json.dumps(document), encoding="utf-8")

    report = verify()
    assert not report.ok
    assert "signature" in report.digest_problem
    assert report.written is None


def test_only_this_databases_digests_are_read(topic, events):
    """A developer's digests in the same directory never anchor the tests' chains."""
    verify()
    assert latest_digest() is not None
    name = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = "another-database"
    try:
        assert latest_digest() is None
    finally:
        connection.settings_dict["NAME"] = name


# -- keys ---------------------------------------------------------------------


def test_key_rotation_keeps_old_events_and_digests_verifying(settings, topic):
    settings.XST_AUDIT_KEYS = "k1:first-secret-0123456789"
    write_case(topic, [PersonFactory()])
    assert verify().ok

    settings.XST_AUDIT_KEYS = "k2:c2Vjb25kLXNlY3JldA==,k1:first-secret-0123456789"
    with topic_write(topic.pk) as locked:
        newer = topic_event(locked, actor=None, verb="edit", reason="新")
    assert newer.key_id == "k2"
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {"k1", "k2"}
    assert verify_chain(topic) == []
    report = verify(incremental=True)
    assert report.ok
    assert latest_digest().key_id == "k2"

    # Once the old key is gone, its events can no longer be vouched for.
    settings.XST_AUDIT_KEYS = "k2:c2Vjb25kLXNlY3JldA=="
    assert {b.problem for b in verify_chain(topic)} == {"key"}


def test_a_different_key_does_not_verify(settings, topic, events):
    settings.XST_AUDIT_KEYS = "dev:someone-elses-key"
    assert [b.problem for b in verify_chain(topic)] == ["hash"] * 4


@pytest.mark.parametrize(
    "raw", ["nokey", ":secret", "k1:", "k1:a,k1:b", ",", "x" * 33 + ":secret"]
)
def test_malformed_keys_are_refused(raw):
    with pytest.raises(AuditKeyError):
        parse_keys(raw)


def test_keys_parse_in_order_current_first():
    assert parse_keys(" k2:abc= , k1:old ") == [("k2", b"abc="), ("k1", b"old")]


# -- events from before the chain was keyed ------------------------------------


def legacy_events(topic, n: int) -> list[AuditEvent]:
    """Events as the migration leaves them: key_id "" and a plain SHA-256 hash."""
    from django.contrib.contenttypes.models import ContentType

    made, previous = [], ""
    with transaction.atomic():
        for seq in range(1, n + 1):
            event = AuditEvent(
                subject_type=ContentType.objects.get_for_model(topic),
                subject_id=topic.pk,
                seq=seq,
                verb="submit",
                reason=f"旧记录{seq}",
                prev_hash=previous,
                key_id="",
            )
            event.hash = previous = event.compute_hash()
            event.save()
            made.append(event)
    return made


def test_legacy_events_keep_verifying_and_keyed_ones_follow(topic):
    legacy_events(topic, 2)
    assert verify_chain(topic) == []
    assert verify().ok
    with topic_write(topic.pk) as locked:
        keyed = topic_event(locked, actor=None, verb="edit")
    assert keyed.key_id == "dev"
    assert verify_chain(topic) == []
    assert verify(incremental=True).ok


def test_a_legacy_event_after_a_keyed_one_is_a_downgrade(topic):
    with topic_write(topic.pk) as locked:
        topic_event(locked, actor=None, verb="edit")
    event = AuditEvent.objects.for_subject(topic).get()
    event.pk, event.seq, event.prev_hash, event.key_id = None, 2, event.hash, ""
    event.hash = event.compute_hash()
    with transaction.atomic():
        event.save()
    assert named(verify_chain(topic)) == [(2, event.pk, "edit", "", "legacy")]


def test_legacy_events_beyond_the_signed_digest_are_refused(topic):
    """Once a digest vouches for a chain, a new legacy event cannot be added."""
    legacy_events(topic, 1)
    assert verify().ok
    sql("DELETE FROM core_auditevent", [])
    sql("DELETE FROM core_chainhead", [])
    legacy_events(topic, 2)
    problems = {(b.seq, b.problem) for b in verify_chain(topic)}
    assert (2, "legacy") in problems


# -- the command ----------------------------------------------------------------


def test_verify_audit_exits_zero_on_intact_chains(topic, events, capsys):
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "全量校验：1 条审计链，读取 4 条记录。" in out
    assert "审计链完好。" in out
    call_command("verify_audit", "--incremental")
    assert "对照签名摘要" in capsys.readouterr().out


def test_verify_audit_exits_non_zero_and_names_the_break(topic, events, capsys):
    call_command("verify_audit")
    sql("UPDATE core_auditevent SET reason = %s WHERE id = %s", ["改过", events[2].pk])
    with pytest.raises(CommandError) as refused:
        call_command("verify_audit")
    assert refused.value.returncode == 1
    assert "1 处断裂" in str(refused.value)
    err = capsys.readouterr().err
    assert f"“{topic.title}”（topics.topic:{topic.pk}）第 3 条" in err
    assert f"记录编号 {events[2].pk}" in err
    assert f"committees.person:{events[2].record_id}" in err
    assert "哈希不符" in err


def test_verify_audit_no_record_writes_nothing(topic, events):
    call_command("verify_audit", "--no-record")
    assert not ChainHead.objects.exists()
    assert latest_digest() is None


def test_older_events_are_reread_by_the_full_run_not_the_incremental_one(topic, events):
    """Why the weekly full run exists: an in-place edit below the head."""
    verify()
    sql("UPDATE core_auditevent SET reason = %s WHERE id = %s", ["改过", events[0].pk])
    assert verify(incremental=True).ok
    assert named(verify().breaks) == [(1, events[0].pk, "edit", "", "hash")]


# -- system checks ----------------------------------------------------------------


def test_malformed_keys_fail_the_system_check(settings):
    from core.chain_checks import audit_keys_parse

    settings.XST_AUDIT_KEYS = "k1:secret,k1:again"
    assert [e.id for e in audit_keys_parse(None)] == ["core.E001"]
    settings.XST_AUDIT_KEYS = "k1:secret"
    assert audit_keys_parse(None) == []


def test_the_deploy_check_warns_without_audit_keys(settings):
    from core.chain_checks import audit_keys_set

    settings.XST_AUDIT_KEYS = ""
    assert [w.id for w in audit_keys_set(None)] == ["core.W001"]
    settings.XST_AUDIT_KEYS = "k1:secret"
    assert audit_keys_set(None) == []
