"""The browser pages for topics. Reads go through selectors, writes through services."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from committees import roles
from committees.permissions import place_perms
from core.audit import verb_label
from core.models import AuditEvent

from . import evidence, selectors, services
from . import permissions as perm
from .actions import ACTIONS, TopicAction, Verdict, available
from .catalogue import Form
from .filters import TopicFilter
from .forms import TopicForm, TransitionForm
from .models import Topic
from .pages import step_links
from .states import State
from .templatetags.topics_nav import sees_topics

PAGE_SIZE = 25
DASHBOARD_LIMIT = 20


@dataclass(frozen=True)
class Section:
    """The first rows of a dashboard list, and whether more exist."""

    rows: list
    more: bool


def _section(rows) -> Section:
    rows = list(rows[: DASHBOARD_LIMIT + 1])
    return Section(rows=rows[:DASHBOARD_LIMIT], more=len(rows) > DASHBOARD_LIMIT)


def _days_overdue(topic: Topic, now) -> int:
    """Whole days past the deadline; less than a day counts as one."""
    return max(1, (now - topic.step_due_at).days)


@login_required
def dashboard(request):
    """What waits for this user, by the permissions their roles hold."""
    user = request.user
    held = set().union(*place_perms(user).values())
    if not held:
        return render(request, "topics/dashboard.html", {"guest": True})
    now = timezone.now()
    context = {}
    if roles.APPROVE in held:
        context["approvals"] = _section(selectors.awaiting_approval(user))
    if roles.DRAFT in held:
        context["drafts"] = _section(selectors.drafts_in_work(user))
        context["rejected"] = _section(selectors.recently_rejected(user, now))
        context["rejected_days"] = selectors.RECENTLY_REJECTED_DAYS
    if selectors.waiting_place_ids(user):
        context["waiting"] = _section(selectors.submitted_waiting(user))
    if roles.RUN in held:
        running = _section(selectors.topics_in_progress(user))
        # What is missing, once for every row of the page.
        lacking = evidence.missing_many(running.rows)
        context["in_progress"] = Section(
            rows=[(t, lacking[t.pk]) for t in running.rows], more=running.more
        )
    overdue = _section(selectors.overdue_topics(user, now))
    context["overdue"] = Section(
        rows=[(t, _days_overdue(t, now)) for t in overdue.rows], more=overdue.more
    )
    if roles.VIEW_VILLAGES in held:
        context["villages"] = list(selectors.village_summary(user, now))
    return render(request, "topics/dashboard.html", context)


@login_required
def topic_list(request):
    if not sees_topics(request.user):
        # Residents and members: no empty list with draft filters.
        return render(request, "topics/list.html", {"guest": True})
    filterset = TopicFilter(
        request.GET or None,
        queryset=selectors.topic_list(request.user),
        request=request,
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "topics/list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "can_create": bool(perm.creatable_place_ids(request.user)),
            "now": timezone.now(),
        },
    )


def _visible_or_404(user, pk: int) -> Topic:
    topic = selectors.topic_detail(user, pk)
    if topic is None:
        raise Http404
    return topic


def _state_label(value: str) -> str:
    return State(value).label if value in State.values else value


@dataclass(frozen=True)
class HistoryRow:
    event: AuditEvent
    label: str
    from_label: str
    to_label: str
    changed: list[str]


def _history_row(event: AuditEvent) -> HistoryRow:
    label = verb_label(event.verb)
    changed = [
        Topic._meta.get_field(name).verbose_name
        for name in event.data.get("fields", [])
        if name in services.EDITABLE_FIELDS
    ]
    return HistoryRow(
        event=event,
        label=label,
        from_label=_state_label(event.from_state),
        to_label=_state_label(event.to_state),
        changed=changed,
    )


@dataclass(frozen=True)
class ActionChoice:
    action: TopicAction
    verdict: Verdict

    @property
    def enabled(self) -> bool:
        return self.verdict.allowed

    @property
    def missing(self) -> list:
        return self.verdict.missing


@dataclass(frozen=True)
class MissingItem:
    """A requirement still missing, with the page where it is recorded (or none)."""

    requirement: evidence.Requirement
    url: str


def _missing_items(topic: Topic, lacking: list) -> list[MissingItem]:
    return [
        MissingItem(
            r,
            reverse(r.url_name, kwargs={"topic_id": topic.pk}) if r.url_name else "",
        )
        for r in lacking
    ]


def _detail_response(
    request,
    topic: Topic,
    *,
    status: int = 200,
    error: str = "",
    failed_action: str = "",
    reason: str = "",
    reason_error: str = "",
):
    user = request.user
    history = list(selectors.topic_history(topic))
    # What is missing, once for the page: the evidence list and the action
    # gate both read it.
    lacking = evidence.missing_many([topic])[topic.pk] if topic.step else []
    missing = _missing_items(topic, lacking)
    context = {
        "topic": topic,
        "form_labels": [Form(f).label for f in topic.forms if f in Form.values],
        "steps": selectors.step_bar(topic, history),
        "missing": missing,
        "missing_offline": any(not item.url for item in missing),
        "step_links": step_links(topic),
        "history": [_history_row(e) for e in history],
        "actions": [
            ActionChoice(action, verdict)
            for action, verdict in available(user, topic, lacking)
        ],
        "can_edit": perm.can_edit(user, topic),
        "can_see_deliveries": perm.can_run(user, topic),
        "banner": selectors.topic_banner(topic, history),
        "error": error,
        "failed_action": failed_action,
        "reason": reason,
        "reason_error": reason_error,
        "now": timezone.now(),
    }
    return render(request, "topics/detail.html", context, status=status)


@login_required
def topic_detail(request, pk):
    return _detail_response(request, _visible_or_404(request.user, pk))


@login_required
def topic_create(request):
    if not perm.creatable_place_ids(request.user):
        raise PermissionDenied(_("您不能起草议题。"))
    data = request.POST if request.method == "POST" else None
    form = TopicForm(data, user=request.user)
    if form.is_bound and form.is_valid():
        topic = form.save(actor=request.user)
        if topic is not None:
            messages.success(request, _("议题草稿已保存。"))
            return redirect("topics:detail", pk=topic.pk)
    return render(request, "topics/form.html", {"form": form, "topic": None})


def _not_editable(request, topic: Topic):
    message = _("议题当前处于“%(state)s”，只有草稿可以修改。") % {
        "state": topic.get_state_display()
    }
    return _detail_response(request, topic, status=409, error=message)


@login_required
def topic_edit(request, pk):
    topic = _visible_or_404(request.user, pk)
    if not perm.can_create_in(request.user, topic.place):
        raise PermissionDenied(_("您不能修改该议题。"))
    if not perm.can_edit(request.user, topic):
        return _not_editable(request, topic)
    data = request.POST if request.method == "POST" else None
    form = TopicForm(data, user=request.user, topic=topic)
    if form.is_bound and form.is_valid():
        try:
            saved = form.save(actor=request.user)
        except services.TransitionRefused:
            # Submitted by someone else since the page was opened.
            return _not_editable(request, _visible_or_404(request.user, pk))
        if saved is not None:
            messages.success(request, _("议题已保存。"))
            return redirect("topics:detail", pk=saved.pk)
    return render(request, "topics/form.html", {"form": form, "topic": topic})


@login_required
@require_POST
def topic_act(request, pk, action):
    spec = ACTIONS.get(action)
    topic = _visible_or_404(request.user, pk)
    if spec is None:
        raise Http404
    form = TransitionForm(request.POST, action=spec)
    if not form.is_valid():
        # A missing or unknown state (a stale or hand-made POST) is said at the
        # top of the page; a bad reason beside its box.
        errors = [
            message
            for name in ("reason", NON_FIELD_ERRORS)
            for message in form.errors.get(name, [])
        ]
        return _detail_response(
            request,
            topic,
            status=400,
            error=" ".join(form.errors.get("state", [])),
            failed_action=action,
            reason=request.POST.get("reason", "") if spec.needs_reason else "",
            reason_error=" ".join(errors),
        )
    reason = form.cleaned_data["reason"]
    try:
        topic = services.topic_transition(
            actor=request.user,
            topic_id=pk,
            action=action,
            reason=reason,
            seen_state=form.cleaned_data["state"],
        )
    except ValidationError as invalid:
        return _detail_response(
            request,
            _visible_or_404(request.user, pk),
            status=400,
            failed_action=action,
            reason=reason,
            reason_error=" ".join(invalid.messages),
        )
    except services.TransitionRefused as refusal:
        return _detail_response(
            request,
            _visible_or_404(request.user, pk),
            status=400 if refusal.missing and not refusal.conflict else 409,
            error=refusal.message,
            failed_action=action,
            reason=reason,
        )
    messages.success(request, _("已完成“%(action)s”。") % {"action": spec.label})
    return redirect("topics:detail", pk=topic.pk)


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
