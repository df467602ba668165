"""Load the demo township 青溪镇 (demo/data.py); running it again changes nothing.

Every row is matched on its natural key first (place code, body and platform
kind per place, username, person name per place, topic title per place), so a
second run creates nothing and writes no audit record. Rosters, role grants and
topics go through the services, so their audit chains are the real ones: a
topic bound for steps 4-5 is created as a draft (one ``demo_seed`` record) and
carried there by feedback's and consult's services (demo/feedback_data.py); a
topic in 开展协商 is created in that state and its step-2 records are added as
history, each named by a ``demo_seed`` record (demo/consult_data.py).

The output is a summary and the account table; the notices sent on the way are
counted, and printed by the configured channels only with ``-v 2``
(demo/outbox.py). Their links are absolute either way.
"""

import unicodedata
from datetime import timedelta
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import models, transaction
from django.db.models import Count
from django.utils import timezone

from committees.models import (
    BODY_KINDS_BY_PLACE,
    Body,
    Membership,
    Person,
    Place,
    Platform,
    Role,
    RoleGrant,
)
from committees.services import membership_add, place_create, role_grant
from core.audit import audit_record
from core.models import AuditEvent
from demo import feedback_data
from demo.consult_data import seed_consult
from demo.data import (
    ACCOUNTS,
    BODY_NAMES,
    DEMO_PASSWORD,
    PLACES,
    PLATFORM_NAMES,
    ROSTERS,
    SEED_REASON_DRAFT,
    SEED_REASON_IN_STATE,
    TOPICS,
    TOWNSHIP,
    PersonSpec,
    RosterSpec,
    TopicSpec,
)
from demo.outbox import Sent, demo_messages
from topics.models import Topic, due_at, step_limit
from topics.services import topic_create, topic_transition
from topics.states import State

User = get_user_model()
M = TypeVar("M", bound=models.Model)

COUNTED_MODELS: tuple[type[models.Model], ...] = (
    Place,
    Body,
    Platform,
    Person,
    Membership,
    User,
    RoleGrant,
    Topic,
    AuditEvent,
)


def _ensure(model: type[M], lookup: dict, **defaults) -> M:
    """The row with this natural key, created (and validated) when missing."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        row = model(**lookup, **defaults)
        row.full_clean()
        row.save()
    return row


class _Seeder:
    def __init__(self) -> None:
        self.places: dict[str, Place] = {}
        self.users: dict[str, User] = {}
        self._password_hash = ""

    def run(self) -> None:
        self._places_and_bodies()
        self._accounts()
        for roster in ROSTERS:
            self._roster(roster)
        for spec in TOPICS:
            self._topic(spec)
        seed_consult(self.users)

    def _places_and_bodies(self) -> None:
        for spec in PLACES:
            place = Place.objects.filter(code=spec.code).first() or place_create(
                actor=None,
                kind=spec.kind,
                name=spec.name,
                code=spec.code,
                parent=self.places.get(spec.parent or ""),
            )
            self.places[spec.code] = place
            for kind in sorted(BODY_KINDS_BY_PLACE.get(place.kind, ())):
                _ensure(
                    Body,
                    {"place": place, "kind": kind},
                    name=BODY_NAMES[kind].format(place=place.name),
                )

    def _person(
        self, spec: PersonSpec, place: Place, user: User | None = None
    ) -> Person:
        return _ensure(
            Person,
            {"place": place, "name": spec.name},
            user=user,
            phone=spec.phone,
            email=spec.email,
            organisation=spec.organisation,
        )

    def _password(self) -> str:
        # PBKDF2 is deliberately slow; one hash serves every demo account.
        if not self._password_hash:
            self._password_hash = make_password(DEMO_PASSWORD)
        return self._password_hash

    def _accounts(self) -> None:
        for spec in ACCOUNTS:
            place = self.places[spec.place]
            # The administrator's own grant is the system's; it grants the rest.
            granted_by = self.users.get("admin")
            user = User.objects.filter(username=spec.username).first()
            if user is None:
                user = User.objects.create(
                    username=spec.username,
                    password=self._password(),
                    first_name=spec.person.name,
                    email=spec.person.email,
                    is_staff=spec.superuser,
                    is_superuser=spec.superuser,
                )
            self.users[spec.username] = user
            role_grant(actor=granted_by, user=user, place=place, role=spec.role)
            self._person(spec.person, place, user)

    def _roster(self, spec: RosterSpec) -> None:
        place = self.places[spec.place]
        platform = _ensure(
            Platform,
            {"place": place, "kind": spec.kind},
            name=PLATFORM_NAMES[spec.kind].format(place=place.name),
        )
        on_roster = set(platform.memberships.values_list("person__name", flat=True))
        for member in spec.members:
            if member.person.name in on_roster:
                continue
            membership_add(
                actor=self.users["admin"],
                platform=platform,
                person=self._person(member.person, place),
                category=member.category,
                position=member.position,
                term_start=spec.term_start,
                term_end=spec.term_end,
                appointed_by=spec.appointed_by,
                appointed_on=spec.appointed_on,
            )

    def _topic(self, spec: TopicSpec) -> None:
        place = self.places[spec.place]
        if Topic.objects.filter(place=place, title=spec.title).exists():
            return
        today = timezone.localdate()
        fields = {
            "title": spec.title,
            "description": spec.description,
            "category": spec.category,
            "tag": spec.tag,
            "forms": [form.value for form in spec.forms],
            "source": spec.source,
            "proposer": spec.proposer,
        }
        if spec.planned:
            fields["planned_start"] = today + timedelta(days=spec.planned[0])
            fields["planned_end"] = today + timedelta(days=spec.planned[1])
        body = Body.objects.get(place=place, kind=spec.body)
        drafter = self.users[spec.drafter]
        if spec.seeded_state is None:
            topic = topic_create(actor=drafter, place=place, body=body, **fields)
            for act in spec.acts:
                topic_transition(
                    actor=self.users[act.by],
                    topic_id=topic.pk,
                    action=act.action,
                    reason=act.reason,
                )
            return
        entered = timezone.now() - timedelta(days=spec.days_in_state)
        # Steps 4-5 are reached through feedback's services from 成果落实.
        state = feedback_data.seeded_state(spec.seeded_state)
        topic = Topic(
            place=place,
            body=body,
            created_by=drafter,
            created_at=entered - timedelta(days=45),
            state=state,
            state_changed_at=entered,
            step_due_at=due_at(place, state, entered),
            **fields,
        )
        topic.full_clean(exclude=["state"])
        topic.save()
        audit_record(
            subject=topic,
            actor=None,
            verb="demo_seed",
            to_state=state,
            reason=SEED_REASON_DRAFT if state == State.DRAFT else SEED_REASON_IN_STATE,
        )
        feedback_data.build(topic, spec.seeded_state, days_in_state=spec.days_in_state)


def _counts() -> dict[type[models.Model], int]:
    return {model: model.objects.count() for model in COUNTED_MODELS}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows padded to the terminal width of their widest cell (CJK counts 2)."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(
            cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def _due_soon(topics: models.QuerySet[Topic], now) -> int:
    """Active topics whose deadline falls inside their reminder window."""
    count = 0
    for topic in topics.active().filter(step_due_at__gte=now).select_related("place"):
        limit = step_limit(topic.place, topic.state)
        if limit and topic.step_due_at - timedelta(days=limit[1]) <= now:
            count += 1
    return count


def _sent(sent: Sent) -> list[str]:
    if not sent.held:
        return []
    return [
        f"演示过程中发出邮件 {len(sent.emails)} 封、短信 {len(sent.texts)} 条，"
        f"链接指向 {sent.site}（内容未显示，加 -v 2 可显示）。"
    ]


def _summary(created: int, sent: Sent) -> list[str]:
    township = Place.objects.get(code=TOWNSHIP.code)
    villages = list(township.children.order_by("code"))
    places = [township, *villages]
    topics = Topic.objects.filter(place__in=places)
    now = timezone.now()
    headline = (
        f"{township.name}演示数据已载入，本次新增 {created} 条记录。"
        if created
        else f"{township.name}演示数据已存在，本次未做任何改动。"
    )
    platforms = (
        Platform.objects.filter(place__in=places)
        .annotate(size=Count("memberships"))
        .order_by("pk")
    )
    people = Person.objects.filter(place__in=places)
    offline = people.filter(phone="", email="").count()
    by_state = dict(
        topics.values("state")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("state", "n")
    )
    place_names = {place.code: place.name for place in places}
    return [
        headline,
        "",
        f"组织：{township.parent.name}{township.name}，下辖 {len(villages)} 个村"
        f"（{'、'.join(v.name for v in villages)}）；"
        f"实施主体 {Body.objects.filter(place__in=places).count()} 个。",
        "协商平台及名册：",
        *_table([(p.name, f"{p.size} 人") for p in platforms]),
        f"人员 {people.count()} 名，其中 {offline} 名既无手机号也无邮箱"
        "（将收到纸质通知书）。",
        f"议题 {topics.count()} 个："
        + "、".join(f"{s.label} {by_state.get(s, 0)}" for s in State)
        + f"；已逾期 {topics.overdue(now).count()} 个，"
        f"临近期限（提醒期内）{_due_soon(topics, now)} 个。",
        *_sent(sent),
        "",
        f"演示账号（密码均为 {DEMO_PASSWORD}，仅用于演示数据）：",
        *_table(
            [("用户名", "姓名", "角色", "地方")]
            + [
                (
                    spec.username,
                    spec.person.name,
                    str(Role(spec.role).label),
                    place_names[spec.place],
                )
                for spec in ACCOUNTS
            ]
        ),
        "",
        f"在浏览器打开 {sent.site}，用上面的账号登录。",
    ]


class Command(BaseCommand):
    help = "载入青溪镇演示数据（组织、名册、账号和各状态的议题）；重复运行不会改动数据"

    def handle(self, *args, verbosity: int, **options) -> None:
        before = _counts()
        # The notices go out when the transaction commits, inside the context.
        with demo_messages(shown=verbosity >= 2) as sent, transaction.atomic():
            _Seeder().run()
        after = _counts()
        created = sum(after[model] - before[model] for model in COUNTED_MODELS)
        for line in _summary(created, sent):
            self.stdout.write(line)
