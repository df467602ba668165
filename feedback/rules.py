"""Which topics need a statutory vote, and when a vote passes: data with defaults.

A township overrides the defaults through ``feedback.services.rule_data``
(called by the admin: ``VoteCategory``, ``MeetingRule``); a clerk may mark any
single topic as needing a vote (``VoteMark``). Which meeting kinds may vote on
a topic depends on its level; the result of a vote is always computed here
from its numbers.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from committees.models import Place
from topics.catalogue import Category, Level
from topics.states import Step

from .models import (
    Base,
    MeetingKind,
    MeetingRule,
    NoticeStatus,
    VoteCategory,
    VoteMark,
)

# §四(二) 3, 4 and 5: 村规民约, collective projects and assets, land and
# compensation, which the law puts before a village assembly.
DEFAULT_VOTE_CATEGORIES = frozenset({Category.V3, Category.V4, Category.V5})


@dataclass(frozen=True)
class Rule:
    quorum_num: int
    quorum_den: int
    quorum_strict: bool
    pass_num: int
    pass_den: int
    pass_strict: bool
    pass_base: str

    def as_dict(self) -> dict:
        return asdict(self)


# 村民委员会组织法 §22, §26 and 地方组织法 for the township congress.
DEFAULT_MEETING_RULES: dict[str, Rule] = {
    # More than half of the adult villagers present; more than half of those
    # present in favour.
    MeetingKind.VILLAGERS: Rule(1, 2, True, 1, 2, True, Base.PRESENT),
    # At least two thirds of the representatives present; more than half of
    # those present in favour.
    MeetingKind.VILLAGER_REPS: Rule(2, 3, False, 1, 2, True, Base.PRESENT),
    # At least two thirds of the deputies present; more than half of all
    # deputies in favour.
    MeetingKind.TOWN_CONGRESS: Rule(2, 3, False, 1, 2, True, Base.ENTITLED),
}


# §六.4 法定会议表决： the bodies the law gives a say over each level's matters
# (村民委员会组织法 §21–§26 for a village; 地方组织法 for a township). A
# township may add others for its own level through a ``MeetingRule`` row.
DEFAULT_MEETING_KINDS: dict[str, tuple[str, ...]] = {
    Level.VILLAGE: (MeetingKind.VILLAGERS, MeetingKind.VILLAGER_REPS),
    Level.TOWNSHIP: (MeetingKind.TOWN_CONGRESS,),
}


def township_ids(place_ids: set[int]) -> dict[int, int]:
    """The township of each place, in one query."""
    return dict(Place.objects.filter(pk__in=place_ids).values_list("pk", "township_id"))


def topics_needing_vote(topics: Sequence) -> set[int]:
    """Ids of the topics that need a statutory vote, in three queries."""
    topics = list(topics)
    if not topics:
        return set()
    townships = township_ids({t.place_id for t in topics})
    overrides = {
        (township, category): needs
        for township, category, needs in VoteCategory.objects.filter(
            township_id__in=set(townships.values())
        ).values_list("township_id", "category", "needs_vote")
    }
    marked = set(
        VoteMark.objects.filter(topic_id__in=[t.pk for t in topics]).values_list(
            "topic_id", flat=True
        )
    )
    needing = set()
    for topic in topics:
        key = (townships.get(topic.place_id), topic.category)
        default = topic.category in DEFAULT_VOTE_CATEGORIES
        if topic.pk in marked or overrides.get(key, default):
            needing.add(topic.pk)
    return needing


def meeting_kinds(topic) -> list[str]:
    """The meeting kinds that may vote on ``topic``, in the order of the choices."""
    level = topic.level
    township = township_ids({topic.place_id}).get(topic.place_id)
    allowed = set(DEFAULT_MEETING_KINDS[level]) | set(
        MeetingRule.objects.filter(township_id=township, level=level).values_list(
            "kind", flat=True
        )
    )
    return [kind for kind in MeetingKind.values if kind in allowed]


def meeting_rule(topic, kind: str) -> Rule:
    township = township_ids({topic.place_id}).get(topic.place_id)
    row = MeetingRule.objects.filter(
        township_id=township, level=topic.level, kind=kind
    ).first()
    if row is None:
        return DEFAULT_MEETING_RULES[kind]
    return Rule(
        row.quorum_num,
        row.quorum_den,
        row.quorum_strict,
        row.pass_num,
        row.pass_den,
        row.pass_strict,
        row.pass_base,
    )


def _reaches(count: int, base: int, num: int, den: int, strict: bool) -> bool:
    # Integers only: count / base compared with num / den.
    if strict:
        return count * den > base * num
    return count * den >= base * num


def vote_result(
    rule: Rule, *, entitled: int, present: int, in_favour: int
) -> tuple[bool, bool]:
    """(quorum met, passed) from the numbers."""
    quorum = _reaches(
        present, entitled, rule.quorum_num, rule.quorum_den, rule.quorum_strict
    )
    base = present if rule.pass_base == Base.PRESENT else entitled
    passed = quorum and _reaches(
        in_favour, base, rule.pass_num, rule.pass_den, rule.pass_strict
    )
    return quorum, passed


# -- when the records of steps 4 and 5 are written, and a 公示 takes responses

ADOPT = frozenset({Step.ADOPT})
FEEDBACK = frozenset({Step.FEEDBACK})
# Tasks are assigned once the decision is taken, and followed up in step 5.
IMPLEMENT = ADOPT | FEEDBACK

# The steps each kind of record is written in, for the services' locks and
# for the pages that offer the forms.
WRITE_STEPS: dict[str, frozenset[Step]] = {
    "adoption": ADOPT,
    "implementation": IMPLEMENT,
    "public_notice": FEEDBACK,
}


def writable(topic) -> dict[str, bool]:
    """For each kind of record, whether the topic's step takes it now."""
    return {kind: topic.step in steps for kind, steps in WRITE_STEPS.items()}


def public_notice_open(notice, now: datetime) -> bool:
    """Whether a 公示 is up and takes residents' responses at ``now``."""
    return (
        notice.status == NoticeStatus.PUBLISHED
        and notice.starts_at <= now < notice.ends_at
    )
