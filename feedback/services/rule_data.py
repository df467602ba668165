"""A township's vote rule data: which categories need a statutory vote, and
which meeting kinds vote on its topics of each level, with what quorum and
majority (``VoteCategory``, ``MeetingRule``; read by ``feedback.rules``).

These rows decide whether a topic must be voted on and whether a vote passes,
so they change only here: by the township's administrator (or a superuser;
``actor=None`` is the system), validated, and audited on the row's own chain
in ``core.audit``, as committees audits role grants. Not on a topic's chain:
the data belongs to the township, not to one topic.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from committees.models import Place, PlaceKind
from committees.permissions import may_set_rule_data
from core.audit import audit_record
from core.text import join_list
from topics.catalogue import Level
from topics.records import snapshot

from ..models import MeetingKind, MeetingRule, VoteCategory
from ..rules import DEFAULT_MEETING_KINDS

VOTE_CATEGORY_FIELDS = ("needs_vote",)
MEETING_RULE_FIELDS = (
    "quorum_num",
    "quorum_den",
    "quorum_strict",
    "pass_num",
    "pass_den",
    "pass_strict",
    "pass_base",
)


def _refuse_unless_administrator(actor, township: Place) -> None:
    if township.kind != PlaceKind.TOWNSHIP:
        raise ValidationError({"township": [_("表决规则按镇设置，请选择一个镇。")]})
    if not may_set_rule_data(actor, township):
        raise PermissionDenied(_("只有本镇的管理员才能修改表决规则。"))


def _audit(row, *, actor, verb: str, key: dict, before, after) -> None:
    audit_record(
        subject=row,
        actor=actor,
        verb=verb,
        data={**key, "before": before, "after": after},
    )


def vote_category_save(
    *, actor, township: Place, category: str, needs_vote: bool
) -> VoteCategory:
    """Whether topics of ``category`` in ``township`` need a statutory vote."""
    _refuse_unless_administrator(actor, township)
    with transaction.atomic():
        row = (
            VoteCategory.objects.select_for_update()
            .filter(township=township, category=category)
            .first()
        )
        before = snapshot(row, VOTE_CATEGORY_FIELDS) if row is not None else None
        if row is None:
            row = VoteCategory(township=township, category=category)
        row.needs_vote = needs_vote
        row.full_clean()
        after = snapshot(row, VOTE_CATEGORY_FIELDS)
        if before == after:
            return row
        row.save(update_fields=None if before is None else list(VOTE_CATEGORY_FIELDS))
        _audit(
            row,
            actor=actor,
            verb="vote_category_save",
            key={"township": township.pk, "category": category},
            before=before,
            after=after,
        )
    return row


def vote_category_delete(*, actor, vote_category: VoteCategory) -> None:
    """Drop a township's own setting: the default for the category applies again."""
    _refuse_unless_administrator(actor, vote_category.township)
    with transaction.atomic():
        rows = VoteCategory.objects.select_for_update()
        row = rows.filter(pk=vote_category.pk).first()
        if row is None:
            return
        _audit(
            row,
            actor=actor,
            verb="vote_category_delete",
            key={"township": row.township_id, "category": row.category},
            before=snapshot(row, VOTE_CATEGORY_FIELDS),
            after=None,
        )
        row.delete()


def meeting_rule_save(
    *,
    actor,
    township: Place,
    level: str,
    kind: str,
    quorum_num: int,
    quorum_den: int,
    quorum_strict: bool,
    pass_num: int,
    pass_den: int,
    pass_strict: bool,
    pass_base: str,
) -> MeetingRule:
    """Let ``kind`` vote on the township's topics of ``level``, with this rule.

    A village's matters belong to its own bodies by law: at the village level
    only the village meetings may be given a rule; the township adds others
    for its own topics.
    """
    _refuse_unless_administrator(actor, township)
    if level == Level.VILLAGE and kind not in DEFAULT_MEETING_KINDS[Level.VILLAGE]:
        raise ValidationError(
            {
                "kind": [
                    _("村级议题只能由以下会议表决：%(allowed)s。")
                    % {
                        "allowed": join_list(
                            MeetingKind(k).label
                            for k in DEFAULT_MEETING_KINDS[Level.VILLAGE]
                        )
                    }
                ]
            }
        )
    with transaction.atomic():
        row = (
            MeetingRule.objects.select_for_update()
            .filter(township=township, level=level, kind=kind)
            .first()
        )
        before = snapshot(row, MEETING_RULE_FIELDS) if row is not None else None
        if row is None:
            row = MeetingRule(township=township, level=level, kind=kind)
        row.quorum_num, row.quorum_den, row.quorum_strict = (
            quorum_num,
            quorum_den,
            quorum_strict,
        )
        row.pass_num, row.pass_den, row.pass_strict, row.pass_base = (
            pass_num,
            pass_den,
            pass_strict,
            pass_base,
        )
        row.full_clean()
        after = snapshot(row, MEETING_RULE_FIELDS)
        if before == after:
            return row
        row.save(update_fields=None if before is None else list(MEETING_RULE_FIELDS))
        _audit(
            row,
            actor=actor,
            verb="meeting_rule_save",
            key={"township": township.pk, "level": level, "kind": kind},
            before=before,
            after=after,
        )
    return row


def meeting_rule_delete(*, actor, meeting_rule: MeetingRule) -> None:
    """Drop a township's rule: the law's default applies again to its kinds."""
    _refuse_unless_administrator(actor, meeting_rule.township)
    with transaction.atomic():
        rows = MeetingRule.objects.select_for_update()
        row = rows.filter(pk=meeting_rule.pk).first()
        if row is None:
            return
        _audit(
            row,
            actor=actor,
            verb="meeting_rule_delete",
            key={"township": row.township_id, "level": row.level, "kind": row.kind},
            before=snapshot(row, MEETING_RULE_FIELDS),
            after=None,
        )
        row.delete()
