"""Writing the audit chain (one chain per subject: a topic's covers every record
of the topic), checking the events of one chain, and the words for audit verbs.

Verification against the heads and the signed digest is core/chain.py, which
imports this module; nothing here imports it back.

Callers hold a lock on the subject row (or otherwise serialise writers of one
subject); the unique (subject, seq) constraint turns any race that slips past
that into an integrity error rather than a forked chain.
"""

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .chain_keys import UnknownAuditKey, current_key_id
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
        key_id=current_key_id(),
        record_type=(
            ContentType.objects.get_for_model(record) if record is not None else None
        ),
        record_id=record.pk if record is not None else None,
    )
    event.hash = event.compute_hash()
    event.save()
    return event


@dataclass(frozen=True)
class ChainBreak:
    """One place where a chain does not verify, named so a person can find it.

    ``event_id`` is None when the event itself is gone (a deleted tail).
    """

    subject: str
    seq: int
    event_id: int | None
    verb: str
    record: str
    problem: str
    detail: str = ""

    @property
    def problem_label(self) -> str:
        return str(PROBLEM_LABELS.get(self.problem, self.problem))


PROBLEM_LABELS = {
    "seq": _("序号不连续，此前的记录被删除"),
    "link": _("与前一条记录的链接不符"),
    "hash": _("哈希不符，记录内容被改动"),
    "key": _("记录使用了未配置的密钥"),
    "legacy": _("出现了不应有的无密钥旧式哈希"),
    "head": _("与上次校验的链头不符，链已被改写"),
    "truncated": _("链尾记录被删除"),
    "digest": _("与签名摘要记录的链头不符，链已被改写"),
    # Found by comparing the records with their chain (core/chain_records.py).
    "record": _("记录内容与审计链上最后一次记载不符"),
    "unlogged": _("记录在审计链上没有任何记载"),
    "deleted": _("记录已被删除，审计链上却没有删除的记载"),
    "state": _("议题状态与审计链上最后一次流转不符"),
    "sealed": _("归档后出现了追加说明以外的操作"),
}
RECORD_PROBLEMS = frozenset({"record", "unlogged", "deleted", "state", "sealed"})


def _natural(content_type_id: int | None, object_id: int | None) -> str:
    if content_type_id is None:
        return ""
    model = ContentType.objects.get_for_id(content_type_id)
    return f"{model.app_label}.{model.model}:{object_id}"


def event_break(event: AuditEvent, problem: str, detail: str = "") -> ChainBreak:
    return ChainBreak(
        subject=_natural(event.subject_type_id, event.subject_id),
        seq=event.seq,
        event_id=event.pk,
        verb=event.verb,
        record=_natural(event.record_type_id, event.record_id),
        problem=problem,
        detail=detail,
    )


def chain_problems(
    events: Iterable[AuditEvent],
    *,
    seq: int = 0,
    prev_hash: str = "",
    keyed: bool = False,
    legacy_until: int | None = None,
) -> list[ChainBreak]:
    """The events of one chain, in order, that do not verify (empty = intact).

    Verification may resume after a verified head (``seq``, ``prev_hash``).
    A plain SHA-256 (legacy) event is accepted only before the chain's first
    keyed event and, once a signed digest exists, only up to the count the
    digest vouches for (``legacy_until``): otherwise anyone could rewrite a
    chain without the key by downgrading it.
    """
    broken = []
    for event in events:
        problem = ""
        if event.seq != seq + 1:
            problem = "seq"
        elif event.prev_hash != prev_hash:
            problem = "link"
        elif event.key_id:
            try:
                if not hmac.compare_digest(event.hash, event.compute_hash()):
                    problem = "hash"
            except UnknownAuditKey:
                problem = "key"
        elif keyed or (legacy_until is not None and event.seq > legacy_until):
            problem = "legacy"
        elif event.hash != event.compute_hash():
            problem = "hash"
        if problem:
            broken.append(event_break(event, problem))
        keyed = keyed or bool(event.key_id)
        prev_hash = event.hash
        seq = event.seq
    return broken


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
