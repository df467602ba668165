"""Checking the live records against what their chain says they are.

The hash chain (core/chain.py) proves the audit events were not changed; this
proves the records they describe were not changed behind the services' back.
Every event names the record it touched and carries its before/after
snapshot: replaying a subject's chain gives each record's last recorded
values, its last recorded state and whether it was sealed. A record that
differs from that, exists without any event, or is gone without an event
saying so, is a finding, reported beside the chain breaks.

core/ sits below the apps, so the apps say what their records are: each
registers, in ``AppConfig.ready()``, the subject whose chain it writes to
(``register_subject``: the topic, its state column, its seal) and each kind of
record kept on that chain (``register_record``: model, the path to its
subject, which snapshot keys to compare). One query reads the chain's events
and one query per registered model reads the rows, however many there are.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from .audit import ChainBreak
from .models import AuditEvent


@dataclass(frozen=True)
class SubjectSpec:
    """The subject whose chain holds the records: its own columns and its seal."""

    model: type[models.Model]
    state_field: str
    fields: frozenset[str]
    seal_verb: str
    after_seal: frozenset[str]
    # Verbs of imported history (the demo's seed): records of a chain holding
    # one came in with the import, not one event each.
    history_verbs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RecordSpec:
    """One kind of record kept on a subject's chain."""

    model: type[models.Model]
    subject_path: str
    # Snapshot keys compared; None compares every key that names a column.
    fields: frozenset[str] | None = None
    # Snapshot key -> column when the service names it otherwise.
    aliases: dict[str, str] = field(default_factory=dict)
    # A JSON column whose keys hold what the snapshot lists beyond the columns
    # (a correction keeps its corrected values there).
    json_field: str = ""
    deleted_by: frozenset[str] = frozenset()
    # Whether a row with no event naming it is a finding (a record some
    # service creates as a side effect of another, unaudited, is not).
    needs_event: bool = True


_SUBJECTS: dict[type[models.Model], SubjectSpec] = {}
_RECORDS: dict[type[models.Model], RecordSpec] = {}


def register_subject(
    model: type[models.Model],
    *,
    state_field: str,
    fields: Iterable[str],
    seal_verb: str,
    after_seal: Iterable[str],
    history_verbs: Iterable[str] = (),
) -> None:
    _SUBJECTS[model] = SubjectSpec(
        model=model,
        state_field=state_field,
        fields=frozenset(fields),
        seal_verb=seal_verb,
        after_seal=frozenset(after_seal),
        history_verbs=frozenset(history_verbs),
    )


def register_record(
    model: type[models.Model],
    *,
    subject: str,
    fields: Iterable[str] | None = None,
    aliases: dict[str, str] | None = None,
    json_field: str = "",
    deleted_by: Iterable[str] = (),
    needs_event: bool = True,
) -> None:
    """Register a kind of record; ``subject`` is the lookup of its subject's id."""
    _RECORDS[model] = RecordSpec(
        model=model,
        subject_path=subject,
        fields=frozenset(fields) if fields is not None else None,
        aliases=dict(aliases or {}),
        json_field=json_field,
        deleted_by=frozenset(deleted_by),
        needs_event=needs_event,
    )


def registered_records() -> list[type[models.Model]]:
    return list(_RECORDS)


# -- replaying the chain --------------------------------------------------------


@dataclass
class _Recorded:
    """A record as its chain last described it."""

    subject_id: int
    values: dict = field(default_factory=dict)
    # key -> (seq, event id, verb) of the event that last set it
    set_by: dict = field(default_factory=dict)
    last: tuple[int, int, str] = (0, 0, "")
    deleted: bool = False


@dataclass
class _Chain:
    state: str = ""
    state_event: tuple[int, int, str] = (0, 0, "")
    sealed: bool = False
    after_seal: list[tuple[int, int, str, str]] = field(default_factory=list)
    history: bool = False


def _replay(spec: SubjectSpec, subject_ids: set[int] | None):
    """Each record's last recorded values, and each chain's state and seal."""
    subject_type = ContentType.objects.get_for_model(spec.model)
    events = AuditEvent.objects.filter(subject_type=subject_type)
    if subject_ids is not None:
        events = events.filter(subject_id__in=subject_ids)
    rows = (
        events.order_by("subject_id", "seq")
        .values_list(
            "subject_id",
            "seq",
            "pk",
            "verb",
            "to_state",
            "record_type_id",
            "record_id",
            "data",
        )
        .iterator(chunk_size=5000)
    )
    chains: dict[int, _Chain] = {}
    # content type id (or "subject" for the subject's own fields) -> id -> record
    records: dict[int | str, dict[int, _Recorded]] = {}
    deleting: dict[int, frozenset[str]] = {}
    for subject_id, seq, pk, verb, to_state, type_id, record_id, data in rows:
        chain = chains.get(subject_id)
        if chain is None:
            chain = chains[subject_id] = _Chain()
        where = (seq, pk, verb)
        if chain.sealed and verb not in spec.after_seal:
            record = _natural(type_id, record_id)
            chain.after_seal.append((seq, pk, verb, record))
        if verb == spec.seal_verb:
            chain.sealed = True
        if verb in spec.history_verbs:
            chain.history = True
        if to_state:
            chain.state, chain.state_event = to_state, where
        kind = records.setdefault(type_id if type_id is not None else "subject", {})
        key = record_id if type_id is not None else subject_id
        recorded = kind.get(key)
        if recorded is None:
            recorded = kind[key] = _Recorded(subject_id=subject_id)
        recorded.last = where
        after = data.get("after") if isinstance(data, dict) else None
        if isinstance(after, dict):
            recorded.values.update(after)
            recorded.set_by.update(dict.fromkeys(after, where))
            recorded.deleted = False
        if type_id is not None:
            if type_id not in deleting:
                spec_of = _RECORDS.get(_model_of(type_id))
                deleting[type_id] = spec_of.deleted_by if spec_of else frozenset()
            if verb in deleting[type_id]:
                recorded.deleted = True
    return subject_type, chains, records


def _model_of(content_type_id: int) -> type[models.Model] | None:
    return ContentType.objects.get_for_id(content_type_id).model_class()


def _natural(content_type_id: int | None, object_id: int | None) -> str:
    if content_type_id is None:
        return ""
    model = ContentType.objects.get_for_id(content_type_id)
    return f"{model.app_label}.{model.model}:{object_id}"


# -- comparing values ------------------------------------------------------------


def _same(recorded, live) -> bool:
    """Whether a snapshot value still describes the live one.

    Datetimes compare as instants (a snapshot written in local time and a
    column read back in UTC are the same moment); other values as the audit
    trail stores them.
    """
    if isinstance(live, datetime) and isinstance(recorded, str):
        parsed = parse_datetime(recorded)
        return parsed is not None and parsed == live
    if isinstance(live, date) and isinstance(recorded, str):
        return parse_date(recorded) == live
    if isinstance(live, Decimal):
        return recorded is not None and Decimal(str(recorded)) == live
    return recorded == live


def _shown(value) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"


def _lookups(model: type[models.Model], aliases: dict[str, str]) -> dict[str, str]:
    """Snapshot key -> the lookup that reads its live value.

    A key names a column (by field name or attname) unless the record's
    registration maps it elsewhere, to another column or across a relation
    (``material__title``); an alias to a column the model no longer has falls
    back to the key itself.
    """
    columns = {}
    for column in model._meta.concrete_fields:
        columns[column.name] = column.attname
        columns[column.attname] = column.attname
    found = dict(columns)
    for key, target in aliases.items():
        if "__" in target:
            found[key] = target
        elif target in columns:
            found[key] = columns[target]
    return found


def _break(
    subject: str,
    where: tuple[int, int, str],
    record: str,
    problem: str,
    detail: str = "",
) -> ChainBreak:
    seq, event_id, verb = where
    return ChainBreak(
        subject=subject,
        seq=seq,
        event_id=event_id or None,
        verb=verb,
        record=record,
        problem=problem,
        detail=detail,
    )


def _differences(
    subject: str,
    record: str,
    recorded: _Recorded,
    row: dict,
    lookups: dict[str, str],
    compared: Callable[[str], bool],
    json_values: dict | None,
) -> list[ChainBreak]:
    found = []
    for key in sorted(recorded.values):
        if not compared(key):
            continue
        if key in lookups:
            live = row[lookups[key]]
        elif json_values is not None and key in json_values:
            live = json_values[key]
        else:
            continue
        expected = recorded.values[key]
        if _same(expected, live):
            continue
        found.append(
            _break(
                subject,
                recorded.set_by.get(key, recorded.last),
                record,
                "record",
                _("字段“%(field)s”：链上为“%(expected)s”，现为“%(actual)s”")
                % {"field": key, "expected": _shown(expected), "actual": _shown(live)},
            )
        )
    return found


# -- the check -------------------------------------------------------------------


def verify_records(only: models.Model | None = None) -> list[ChainBreak]:
    """Every record, of every registered subject, that differs from its chain.

    With ``only``, the records of that one subject (the per-topic check of the
    dossier), in as many queries as the full run: one for the chain, one per
    kind of record.
    """
    if only is None:
        return [
            item for spec in _SUBJECTS.values() for item in _verify_kind(spec, None)
        ]
    spec = _SUBJECTS.get(type(only))
    return _verify_kind(spec, {only.pk}) if spec is not None else []


def _verify_kind(spec: SubjectSpec, wanted: set[int] | None):
    subject_type, chains, records = _replay(spec, wanted)
    label = f"{subject_type.app_label}.{subject_type.model}"

    def name(subject_id: int) -> str:
        return f"{label}:{subject_id}"

    found: list[ChainBreak] = []
    subjects = spec.model._base_manager.all()
    if wanted is not None:
        subjects = subjects.filter(pk__in=wanted)
    labels = {
        value: str(label)
        for value, label in spec.model._meta.get_field(spec.state_field).flatchoices
    }
    own = spec.fields
    lookups = {
        key: lookup
        for key, lookup in _lookups(spec.model, {}).items()
        if key in own or lookup in own
    }
    for row in subjects.values("pk", spec.state_field, *set(lookups.values())).iterator(
        chunk_size=5000
    ):
        pk = row["pk"]
        chain = chains.get(pk)
        if chain is None:
            found.append(_break(name(pk), (0, 0, ""), "", "unlogged"))
            continue
        if chain.state and row[spec.state_field] != chain.state:
            found.append(
                _break(
                    name(pk),
                    chain.state_event,
                    "",
                    "state",
                    _("链上为“%(expected)s”，现为“%(actual)s”")
                    % {
                        "expected": labels.get(chain.state, chain.state),
                        "actual": labels.get(
                            row[spec.state_field], row[spec.state_field]
                        ),
                    },
                )
            )
        for seq, event_id, verb, record in chain.after_seal:
            found.append(_break(name(pk), (seq, event_id, verb), record, "sealed"))
        own_values = records.get("subject", {}).get(pk)
        if own_values is not None:
            found += _differences(
                name(pk), "", own_values, row, lookups, own.__contains__, None
            )

    for record_spec in _RECORDS.values():
        found += _verify_records_of(record_spec, chains, records, name, wanted)
    return found


def _verify_records_of(
    spec: RecordSpec,
    chains: dict[int, _Chain],
    records: dict[int | str, dict[int, _Recorded]],
    name: Callable[[int], str],
    wanted: set[int] | None,
) -> list[ChainBreak]:
    content_type = ContentType.objects.get_for_model(spec.model)
    label = f"{content_type.app_label}.{content_type.model}"
    recorded_of = records.get(content_type.pk, {})
    # Only the columns some snapshot of this kind names are read.
    keys = {key for recorded in recorded_of.values() for key in recorded.values}
    lookups = {
        key: lookup
        for key, lookup in _lookups(spec.model, spec.aliases).items()
        if key in keys
    }
    rows = spec.model._base_manager.all()
    if wanted is not None:
        rows = rows.filter(**{f"{spec.subject_path}__in": wanted})
    read = set(lookups.values())
    if spec.json_field:
        read.add(spec.json_field)
    compared = (
        (lambda key: True) if spec.fields is None else (lambda key: key in spec.fields)
    )
    found: list[ChainBreak] = []
    live: set[int] = set()
    rows = rows.annotate(chain_subject_id=models.F(spec.subject_path))
    for row in rows.values("pk", "chain_subject_id", *read).iterator(chunk_size=5000):
        pk, subject_id = row["pk"], row["chain_subject_id"]
        live.add(pk)
        record = f"{label}:{pk}"
        recorded = recorded_of.get(pk)
        if recorded is None:
            chain = chains.get(subject_id)
            if not spec.needs_event or (chain is not None and chain.history):
                continue
            found.append(_break(name(subject_id), (0, 0, ""), record, "unlogged"))
            continue
        json_values = row.get(spec.json_field) if spec.json_field else None
        found += _differences(
            name(recorded.subject_id),
            record,
            recorded,
            row,
            lookups,
            compared,
            json_values if isinstance(json_values, dict) else None,
        )
    for record_id, recorded in recorded_of.items():
        if record_id in live or recorded.deleted:
            continue
        found.append(
            _break(
                name(recorded.subject_id),
                recorded.last,
                f"{label}:{record_id}",
                "deleted",
            )
        )
    return found
