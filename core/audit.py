"""Writing and verifying the audit chain.

Callers hold a lock on the subject row (or otherwise serialise writers of one
subject); the unique (subject, seq) constraint turns any race that slips past
that into an integrity error rather than a forked chain.
"""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from .models import AuditEvent


def audit_record(
    *,
    subject: models.Model,
    actor,
    verb: str,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict | None = None,
    record: models.Model | None = None,
) -> AuditEvent:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the writing transaction")
    subject_type = ContentType.objects.get_for_model(subject)
    last = (
        AuditEvent.objects.filter(subject_type=subject_type, subject_id=subject.pk)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, "")
    event = AuditEvent(
        subject_type=subject_type,
        subject_id=subject.pk,
        seq=seq,
        actor=actor if getattr(actor, "pk", None) else None,
        verb=verb,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
        prev_hash=prev_hash,
        record_type=(
            ContentType.objects.get_for_model(record) if record is not None else None
        ),
        record_id=record.pk if record is not None else None,
    )
    event.hash = event.compute_hash()
    event.save()
    return event


def chain_problems(events: Iterable[AuditEvent]) -> list[int]:
    """Return the seq numbers whose hash or link does not verify (empty = intact)."""
    broken = []
    prev_hash = ""
    expected_seq = 1
    for event in events:
        if (
            event.seq != expected_seq
            or event.prev_hash != prev_hash
            or event.hash != event.compute_hash()
        ):
            broken.append(event.seq)
        prev_hash = event.hash
        expected_seq = event.seq + 1
    return broken


def verify_chain(subject: models.Model) -> list[int]:
    return chain_problems(AuditEvent.objects.for_subject(subject).order_by("seq"))


_VERB_LABELS: dict[str, object] = {}


def register_verbs(labels: dict) -> None:
    """Each app names its audit verbs in words (lazy translations), in ``ready()``.

    The history page and the dossier show ``verb_label(event.verb)``; a verb
    registered twice with another label is a programming error.
    """
    for verb, label in labels.items():
        if verb in _VERB_LABELS and _VERB_LABELS[verb] != label:
            raise ValueError(f"audit verb {verb!r} already has a label")
        _VERB_LABELS[verb] = label


def verb_label(verb: str) -> str:
    return str(_VERB_LABELS.get(verb, verb))
