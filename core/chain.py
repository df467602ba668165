"""Verifying every audit chain against its verified heads and the signed digest.

A run reads the chains (all of them, or with ``incremental`` only the events
from each chain's last verified head on), checks each event's hash, link and
key, and checks that each chain still reaches two anchors:

- its ``ChainHead`` row (count and last hash when it last verified), and
- its entry in the latest signed digest: a JSON file of every chain's head,
  signed with the audit key and kept outside the database
  (``XST_AUDIT_HEADS_DIR``), so deleting a chain's tail or rewriting a chain
  together with its ``ChainHead`` still shows.

A recording run then moves the heads of the intact chains forward and writes a
new digest; a broken chain keeps its old anchors, so it is reported again until
someone deals with it.
"""

import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .audit import ChainBreak, chain_problems, event_break, verb_label
from .chain_keys import UnknownAuditKey, audit_key, current_key_id
from .chain_records import verify_records
from .models import AuditEvent, ChainHead

DIGEST_VERSION = 1
Key = tuple[int, int]  # (content type id, subject id)


class DigestError(ValueError):
    """The latest digest cannot be read or its signature does not verify."""


@dataclass(frozen=True)
class Digest:
    path: Path
    created_at: datetime
    key_id: str
    heads: dict[str, tuple[int, str]]


@dataclass
class Report:
    incremental: bool
    chains: int = 0
    events: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)
    digest: Digest | None = None
    digest_problem: str = ""
    written: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.breaks and not self.digest_problem


# -- names and files -------------------------------------------------------------


def subject_name(content_type_id: int, subject_id: int) -> str:
    model = ContentType.objects.get_for_id(content_type_id)
    return f"{model.app_label}.{model.model}:{subject_id}"


def _subject_key(name: str) -> Key | None:
    label, _sep, pk = name.rpartition(":")
    app_label, _dot, model = label.partition(".")
    try:
        content_type = ContentType.objects.get_by_natural_key(app_label, model)
        return content_type.pk, int(pk)
    except (ContentType.DoesNotExist, ValueError):
        return None


def heads_dir() -> Path:
    return Path(settings.XST_AUDIT_HEADS_DIR)


def _database_tag() -> str:
    """Digests of different databases (a developer's, the tests') never mix."""
    name = f"{connection.vendor}:{connection.settings_dict['NAME']}"
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")


def _signature(payload: dict, key_id: str) -> str:
    return hmac.new(audit_key(key_id), _canonical(payload), hashlib.sha256).hexdigest()


def latest_digest() -> Digest | None:
    """The newest digest of this database, its signature checked; None if none yet."""
    paths = sorted(heads_dir().glob(f"heads-{_database_tag()}-*.json"))
    if not paths:
        return None
    path = paths[-1]
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        signature = document.pop("signature")
        key_id = document["key_id"]
        if not hmac.compare_digest(signature, _signature(document, key_id)):
            raise DigestError(f"{path.name}: signature does not verify")
        heads = {
            name: (int(count), str(last))
            for name, (count, last) in document["heads"].items()
        }
        created_at = parse_datetime(document["created_at"])
    except UnknownAuditKey as error:
        raise DigestError(f"{path.name}: key {error} is not configured") from error
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise DigestError(f"{path.name}: unreadable ({error})") from error
    return Digest(path=path, created_at=created_at, key_id=key_id, heads=heads)


def write_digest(heads: dict[str, tuple[int, str]], *, now: datetime) -> Path:
    """Sign the chain heads with the current key and write them as a new file."""
    key_id = current_key_id()
    document = {
        "version": DIGEST_VERSION,
        "database": _database_tag(),
        "created_at": now.isoformat(),
        "key_id": key_id,
        "heads": {name: [count, last] for name, (count, last) in sorted(heads.items())},
    }
    document["signature"] = _signature(document, key_id)
    directory = heads_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"heads-{_database_tag()}-{stamp}.json"
    # Written aside and renamed, so a reader never sees half a digest.
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))
    os.replace(temporary, path)
    return path


# -- one chain -------------------------------------------------------------------


def _missing(name: str, count: int, expected: int) -> ChainBreak:
    """The events after ``count`` up to ``expected`` are gone."""
    facts = {"first": count + 1, "last": expected}
    return ChainBreak(
        subject=name,
        seq=count + 1,
        event_id=None,
        verb="",
        record="",
        problem="truncated",
        detail=(
            _("第 %(first)s 条记录缺失") % facts
            if count + 1 == expected
            else _("第 %(first)s 至 %(last)s 条记录缺失") % facts
        ),
    )


def _event_at(key: Key, seq: int) -> AuditEvent | None:
    return AuditEvent.objects.filter(
        subject_type_id=key[0], subject_id=key[1], seq=seq
    ).first()


def _check_chain(
    key: Key,
    events: list[AuditEvent],
    *,
    count: int,
    head: ChainHead | None,
    signed: tuple[int, str] | None,
    digest_exists: bool,
    resume: bool,
) -> tuple[list[ChainBreak], str]:
    """The breaks of one chain and its last hash.

    ``events`` are the whole chain, or with ``resume`` those from the head's
    position on; ``count`` is the highest seq stored for the chain.
    """
    name = subject_name(*key)
    by_seq = {event.seq: event for event in events}
    legacy_until = (signed[0] if signed else 0) if digest_exists else None
    breaks: list[ChainBreak] = []
    if resume and head is not None:
        anchor = by_seq.get(head.count)
        if anchor is not None:
            # The anchor is read anyway: check its own seal too.
            breaks += chain_problems(
                [anchor],
                seq=anchor.seq - 1,
                prev_hash=anchor.prev_hash,
                legacy_until=legacy_until,
            )
        rest = [event for event in events if event.seq > head.count]
        breaks += chain_problems(
            rest,
            seq=head.count,
            prev_hash=head.last_hash,
            keyed=bool(anchor and anchor.key_id),
            legacy_until=legacy_until,
        )
    else:
        breaks += chain_problems(events, legacy_until=legacy_until)
    anchors = [("head", (head.count, head.last_hash))] if head is not None else []
    if signed is not None:
        anchors.append(("digest", signed))
    for problem, (expected, last_hash) in anchors:
        if count < expected:
            breaks.append(_missing(name, count, expected))
            continue
        event = by_seq.get(expected) or _event_at(key, expected)
        if event is None or event.hash != last_hash:
            breaks.append(
                event_break(event, problem)
                if event is not None
                else _missing(name, expected - 1, expected)
            )
    unique = list({(b.problem, b.seq): b for b in breaks}.values())
    last = events[-1].hash if events and events[-1].seq == count else ""
    return sorted(unique, key=lambda b: b.seq), last


# -- all chains ------------------------------------------------------------------


def _events(incremental: bool, only: Q | None = None) -> Iterable[AuditEvent]:
    events = AuditEvent.objects.all()
    if only is not None:
        events = events.filter(only)
    if incremental:
        verified = ChainHead.objects.filter(
            subject_type=OuterRef("subject_type"), subject_id=OuterRef("subject_id")
        ).values("count")[:1]
        events = events.annotate(verified=Coalesce(Subquery(verified), 0)).filter(
            seq__gte=models.F("verified")
        )
    return events.order_by("subject_type_id", "subject_id", "seq").iterator(
        chunk_size=2000
    )


def _counts(keys: Iterable[Key]) -> dict[Key, int]:
    counts: dict[Key, int] = {}
    for content_type_id, subject_id in keys:
        top = AuditEvent.objects.filter(
            subject_type_id=content_type_id, subject_id=subject_id
        ).aggregate(top=Max("seq"))["top"]
        counts[(content_type_id, subject_id)] = top or 0
    return counts


def verify(
    *,
    incremental: bool = False,
    record: bool = True,
    only: models.Model | None = None,
    now: datetime | None = None,
    records: bool = True,
) -> Report:
    """Verify the chains (or the one of ``only``); with ``record``, seal the result.

    Recording moves the ``ChainHead`` of every intact chain to its current end
    and writes a new signed digest: intact chains at their current head, broken
    ones at the head of the previous digest. With ``records``, the live
    records are also compared with what their chains last say of them
    (core/chain_records.py), reported beside the breaks.
    """
    now = now or timezone.now()
    report = Report(incremental=incremental)
    try:
        report.digest = latest_digest()
    except DigestError as error:
        report.digest_problem = str(error)
    signed_heads = report.digest.heads if report.digest else {}
    signed: dict[Key, tuple[int, str]] = {}
    for name, entry in signed_heads.items():
        key = _subject_key(name)
        if key is not None:
            signed[key] = entry

    only_q = only_key = None
    heads_qs = ChainHead.objects.all()
    if only is not None:
        only_key = (ContentType.objects.get_for_model(only).pk, only.pk)
        only_q = Q(subject_type_id=only_key[0], subject_id=only_key[1])
        heads_qs = heads_qs.filter(only_q)
        signed = {only_key: signed[only_key]} if only_key in signed else {}
    heads = {(h.subject_type_id, h.subject_id): h for h in heads_qs}

    intact: dict[Key, tuple[int, str]] = {}
    broken: set[Key] = set()

    def check(key: Key, events: list[AuditEvent], count: int) -> None:
        breaks, last = _check_chain(
            key,
            events,
            count=count,
            head=heads.get(key),
            signed=signed.get(key),
            digest_exists=report.digest is not None,
            resume=incremental,
        )
        report.chains += 1
        report.events += len(events)
        if breaks:
            report.breaks += breaks
            broken.add(key)
        elif count:
            intact[key] = (count, last)

    seen: set[Key] = set()
    rows = _events(incremental, only_q)
    for key, group in groupby(rows, key=lambda e: (e.subject_type_id, e.subject_id)):
        events = list(group)
        seen.add(key)
        check(key, events, events[-1].seq)
    # Anchored chains with nothing read: gone, or cut below their head.
    unseen = (set(heads) | set(signed)) - seen
    for key, count in sorted(_counts(unseen).items()):
        check(key, [], count)

    # The records are compared in full on every run: a record changed behind
    # the services' back leaves no trace in the chain's newest events.
    if records:
        report.breaks += verify_records(only)
    if record and only is None:
        _record(report, intact, broken, heads, signed_heads, now)
    return report


def _record(
    report: Report,
    intact: dict[Key, tuple[int, str]],
    broken: set[Key],
    heads: dict[Key, ChainHead],
    signed_heads: dict[str, tuple[int, str]],
    now: datetime,
) -> None:
    ChainHead.objects.bulk_create(
        [
            ChainHead(
                subject_type_id=key[0],
                subject_id=key[1],
                count=count,
                last_hash=last,
                verified_at=now,
            )
            for key, (count, last) in intact.items()
        ],
        update_conflicts=True,
        unique_fields=["subject_type", "subject_id"],
        update_fields=["count", "last_hash", "verified_at"],
        batch_size=500,
    )
    digest_heads = {subject_name(*key): entry for key, entry in intact.items()}
    broken_names = {subject_name(*key) for key in broken}
    for name, entry in signed_heads.items():
        if name in broken_names or name not in digest_heads:
            # A broken chain keeps the anchor it broke against; an untouched
            # one (not read in an incremental run) keeps its signed head.
            digest_heads.setdefault(name, entry)
    if report.digest_problem:
        # Never re-sign over a digest that does not verify: someone must look.
        return
    report.written = write_digest(digest_heads, now=now)


def verify_chain(subject: models.Model) -> list[ChainBreak]:
    """Every break of the subject's chain, read in full; records nothing.

    Besides the events themselves, the chain must still reach the head last
    verified (``ChainHead``) and the head in the latest signed digest, so a
    deleted tail or a chain rewritten from scratch is reported too.
    """
    return verify(only=subject, record=False, records=False).breaks


def verify_subject(subject: models.Model, *, records: bool = True) -> list[ChainBreak]:
    """Every break of one subject's chain, read in full, and with ``records``
    every record of it that differs from the chain; records nothing."""
    return verify(only=subject, record=False, records=records).breaks


# -- words -----------------------------------------------------------------------


def subjects_of(breaks: Iterable[ChainBreak]) -> dict[str, models.Model]:
    """The objects whose chains broke, by subject name, a query per model."""
    wanted: dict[int, set[int]] = {}
    for item in breaks:
        key = _subject_key(item.subject)
        if key is not None:
            wanted.setdefault(key[0], set()).add(key[1])
    found: dict[str, models.Model] = {}
    for content_type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        for obj in model._base_manager.filter(pk__in=ids):
            found[subject_name(content_type_id, obj.pk)] = obj
    return found


def describe(item: ChainBreak, subject: models.Model | None = None) -> str:
    """One break in words: which chain, which event, what is wrong."""
    facts = {
        "subject": str(subject) if subject is not None else item.subject,
        "name": item.subject,
        "seq": item.seq,
        "problem": item.problem_label,
        "detail": item.detail,
    }
    if item.event_id is None:
        text = _("“%(subject)s”（%(name)s）第 %(seq)s 条：%(problem)s") % facts
    else:
        facts.update(id=item.event_id, verb=verb_label(item.verb), record=item.record)
        text = (
            _(
                "“%(subject)s”（%(name)s）第 %(seq)s 条（记录编号 %(id)s，"
                "操作“%(verb)s”，涉及 %(record)s）：%(problem)s"
            )
            if item.record
            else _(
                "“%(subject)s”（%(name)s）第 %(seq)s 条（记录编号 %(id)s，"
                "操作“%(verb)s”）：%(problem)s"
            )
        ) % facts
    if item.detail:
        text += _("（%(detail)s）") % facts
    return text
