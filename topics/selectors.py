"""Reads of topics, filtered to what the user may see; and what a topic's
history says about it (the step bar, the banner), for pages and the dossier."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from committees import roles
from committees.models import Place, PlaceKind
from committees.permissions import places_with_perm
from core.models import AuditEvent

from .models import Topic
from .states import ACTIVE_STATES, STEP_OF_STATE, State, Step

IN_PROGRESS_STATES = tuple(
    state for state, step in STEP_OF_STATE.items() if step != Step.DETERMINE
)


def visible_topics(user) -> QuerySet[Topic]:
    own = places_with_perm(user, roles.VIEW)
    townships = places_with_perm(user, roles.VIEW_VILLAGES)
    if not own and not townships:
        return Topic.objects.none()
    # As permissions.can_view: view_village_topics reaches villages only, so a
    # grant on a county does not open its townships' topics.
    return Topic.objects.filter(
        Q(place_id__in=own)
        | Q(place__parent_id__in=townships, place__kind=PlaceKind.VILLAGE)
    )


def topic_list(user, *, state=None, place_id=None, category=None) -> QuerySet[Topic]:
    qs = visible_topics(user).select_related("place", "body", "created_by")
    if state:
        qs = qs.filter(state=state)
    if place_id:
        qs = qs.filter(place_id=place_id)
    if category:
        qs = qs.filter(category=category)
    return qs


def topic_detail(user, pk: int) -> Topic | None:
    return (
        visible_topics(user)
        .select_related("place", "place__parent", "body", "created_by")
        .filter(pk=pk)
        .first()
    )


def topic_history(topic: Topic) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_subject(topic).select_related("actor").order_by("seq")


@dataclass(frozen=True)
class StepView:
    number: int
    label: str
    status: str  # "done", "current", "ended" or "" for steps not reached


def step_bar(
    topic: Topic, history: Sequence[AuditEvent] | None = None
) -> list[StepView]:
    """The five steps and how far the topic got: plain data, no request.

    A rejected or withdrawn topic shows the step it left, read from the
    transition's record in ``history`` (the topic's events in order, loaded
    here when not given).
    """
    if topic.state == State.ARCHIVED:
        return [StepView(s.value, s.label, "done") for s in Step]
    if topic.step is not None:
        reached, marker = topic.step, "current"
    else:
        if history is None:
            history = list(topic_history(topic))
        left_from = next(
            (
                e.from_state
                for e in reversed(history)
                if e.to_state == topic.state and e.from_state
            ),
            "",
        )
        reached, marker = STEP_OF_STATE.get(left_from), "ended"
    views = []
    for step in Step:
        if reached is None or step > reached:
            status = ""
        elif step < reached:
            status = "done"
        else:
            status = marker
        views.append(StepView(step.value, step.label, status))
    return views


@dataclass(frozen=True)
class Banner:
    """Who sent the topic back or ended it, when and why."""

    returned: bool  # sent back for revision (else rejected or withdrawn)
    at: datetime
    state_label: str
    reason: str


def topic_banner(
    topic: Topic, history: Sequence[AuditEvent] | None = None
) -> Banner | None:
    """The banner of a draft returned for revision (until it is submitted
    again), a rejected or a withdrawn topic; None otherwise."""
    if topic.state not in (State.DRAFT, State.REJECTED, State.WITHDRAWN):
        return None
    if history is None:
        history = list(topic_history(topic))
    transitions = [e for e in history if e.from_state]
    if not transitions:
        return None
    last = transitions[-1]
    returned = topic.state == State.DRAFT and last.verb == "return_for_revision"
    ended = topic.state != State.DRAFT and last.to_state == topic.state
    if not (returned or ended):
        return None
    return Banner(
        returned=returned,
        at=last.created_at,
        state_label=State(last.to_state).label
        if last.to_state in State.values
        else last.to_state,
        reason=last.reason,
    )


def visible_places(user) -> QuerySet[Place]:
    """The places whose topics the user may see (for filters and summaries)."""
    own = places_with_perm(user, roles.VIEW)
    townships = places_with_perm(user, roles.VIEW_VILLAGES)
    return Place.objects.filter(
        Q(pk__in=own) | Q(parent_id__in=townships, kind=PlaceKind.VILLAGE)
    )


def awaiting_approval(user) -> QuerySet[Topic]:
    """Submitted topics at the places where the user approves."""
    return (
        visible_topics(user)
        .filter(
            state=State.SUBMITTED, place_id__in=places_with_perm(user, roles.APPROVE)
        )
        .select_related("place", "body")
        .order_by("state_changed_at", "pk")
    )


def _latest_transition():
    """The topic's latest transition record (edits do not count), for a Subquery."""
    return (
        AuditEvent.objects.filter(
            subject_type=ContentType.objects.get_for_model(Topic),
            subject_id=OuterRef("pk"),
        )
        .exclude(from_state="")
        .order_by("-seq")
    )


def waiting_place_ids(user) -> set[int]:
    """Where the user drafts or may return topics but does not approve them."""
    return (
        places_with_perm(user, roles.DRAFT) | places_with_perm(user, roles.REVISE)
    ) - places_with_perm(user, roles.APPROVE)


def submitted_waiting(user) -> QuerySet[Topic]:
    """Submitted topics waiting for someone else's approval, oldest first.

    For drafters and deputies (who may return a topic) at the places where they
    do not approve themselves: approvers see these under "待我审批".
    """
    places = waiting_place_ids(user)
    return (
        visible_topics(user)
        .filter(state=State.SUBMITTED, place_id__in=places)
        .select_related("place", "body")
        .order_by("state_changed_at", "pk")
    )


# How long a rejected topic stays on its drafter's dashboard.
RECENTLY_REJECTED_DAYS = 30


def recently_rejected(user, now=None) -> QuerySet[Topic]:
    """Topics rejected lately at the places where the user drafts, with the reason.

    Each carries ``last_reason`` from the rejection record, without a query
    per row.
    """
    since = (now or timezone.now()) - timedelta(days=RECENTLY_REJECTED_DAYS)
    return (
        visible_topics(user)
        .filter(
            state=State.REJECTED,
            state_changed_at__gte=since,
            place_id__in=places_with_perm(user, roles.DRAFT),
        )
        .select_related("place", "body")
        .annotate(last_reason=Subquery(_latest_transition().values("reason")[:1]))
        .order_by("-state_changed_at", "-pk")
    )


def drafts_in_work(user) -> QuerySet[Topic]:
    """Drafts at the places where the user drafts, newest first.

    Each carries ``last_transition`` and ``last_reason`` from its latest
    transition record (edits do not count), so a draft returned for revision
    shows why, without a query per row, until it is submitted again.
    """
    latest = _latest_transition()
    return (
        visible_topics(user)
        .filter(state=State.DRAFT, place_id__in=places_with_perm(user, roles.DRAFT))
        .select_related("place", "body")
        .annotate(
            last_transition=Subquery(latest.values("verb")[:1]),
            last_reason=Subquery(latest.values("reason")[:1]),
        )
        .order_by("-updated_at", "-pk")
    )


def topics_in_progress(user) -> QuerySet[Topic]:
    """Topics in steps 2-5 at the places where the user runs the procedure."""
    return (
        visible_topics(user)
        .filter(
            state__in=IN_PROGRESS_STATES,
            place_id__in=places_with_perm(user, roles.RUN),
        )
        .select_related("place", "body")
        .order_by(F("step_due_at").asc(nulls_last=True), "pk")
    )


def overdue_topics(user, now=None) -> QuerySet[Topic]:
    """Visible active topics past their step deadline, most overdue first."""
    return (
        visible_topics(user)
        .overdue(now)
        .select_related("place", "body")
        .order_by("step_due_at", "pk")
    )


def village_summary(user, now=None) -> QuerySet[Place]:
    """Per village of the user's townships, in columns that do not overlap.

    ``active_count`` counts topics in steps 2-5 (the 进行中 column), apart
    from drafts and submitted topics (the 待审批 column); ``overdue_count`` is
    a flag over all active topics, shown beside them.
    """
    now = now or timezone.now()
    townships = places_with_perm(user, roles.VIEW_VILLAGES)
    active = Q(topics__state__in=ACTIVE_STATES)
    return (
        Place.objects.filter(kind=PlaceKind.VILLAGE, parent_id__in=townships)
        .select_related("parent")
        .annotate(
            active_count=Count(
                "topics", filter=Q(topics__state__in=IN_PROGRESS_STATES)
            ),
            submitted_count=Count("topics", filter=Q(topics__state=State.SUBMITTED)),
            overdue_count=Count(
                "topics", filter=active & Q(topics__step_due_at__lt=now)
            ),
            archived_count=Count("topics", filter=Q(topics__state=State.ARCHIVED)),
        )
        .order_by("parent__code", "code")
    )
