"""The topic forms. They collect input; the services decide validity."""

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.forms import (
    BooleanField,
    CharField,
    CheckboxSelectMultiple,
    ChoiceField,
    DateField,
    DateInput,
    Form,
    HiddenInput,
    MultipleChoiceField,
    Select,
    Textarea,
    TypedChoiceField,
)
from django.utils.translation import gettext_lazy as _

from committees.models import Body, Place
from core.validators import (
    EARLIEST_DATE,
    date_window_error,
    latest_date,
    no_control_chars,
    single_line,
)

from . import permissions as perm
from . import services
from .catalogue import (
    LEVEL_OF_PLACE,
    Level,
    Source,
    Tag,
    categories_for,
    forms_for,
)
from .models import Topic
from .states import State

EMPTY_CHOICE = ("", _("请选择"))


def _model_field(name: str):
    return Topic._meta.get_field(name)


def _label(name: str):
    return _model_field(name).verbose_name


def _model_label(name: str) -> str:
    try:
        return str(_label(name))
    except FieldDoesNotExist:
        return ""


def _by_level(catalogue) -> list:
    return [(level.label, catalogue(level)) for level in Level]


def _level_of_code(value) -> str:
    """The level a category ("t1", "v3") or a form ("t_meeting") belongs to."""
    value = str(value)
    if value.startswith("t"):
        return Level.TOWNSHIP
    if value.startswith("v"):
        return Level.VILLAGE
    return ""


class _TaggedOptions:
    """A choice widget whose options carry a ``data-`` attribute from a lookup.

    The page's script (static/js/site.js) hides the options that do not belong
    to the chosen place; the server refuses them whatever the browser sends.
    """

    def __init__(self, *args, data_name: str, lookup, **kwargs):
        self.data_name = data_name
        self.lookup = lookup
        super().__init__(*args, **kwargs)

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        tag = self.lookup(value) if value not in ("", None) else ""
        if tag:
            option["attrs"][f"data-{self.data_name}"] = tag
        return option


class TaggedSelect(_TaggedOptions, Select):
    pass


class TaggedCheckboxes(_TaggedOptions, CheckboxSelectMultiple):
    pass


def _messages(label, **extra) -> dict:
    """The project's own wording for the usual field errors."""
    return {
        "required": _("请填写“%(label)s”。") % {"label": label},
        "invalid_choice": _("所选的“%(label)s”不在可选范围内，请重新选择。")
        % {"label": label},
        "invalid": _("请输入有效的日期，例如 2026-05-01。"),
        "max_length": _(
            "“%(label)s”不能超过 %%(limit_value)d 个字（现在 %%(show_value)d 个）。"
        )
        % {"label": label},
        **extra,
    }


def _date_widget():
    return DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TopicForm(Form):
    """Create a topic (``topic=None``) or edit a draft.

    ``save`` calls the service; a ``ValidationError`` it raises is attached to
    the fields it names, so the page shows it and nothing is saved. The
    category and form choices follow the level of the place (a village clerk
    is not offered the township catalogue).
    """

    place = TypedChoiceField(label=_label("place"), coerce=int)
    body = TypedChoiceField(label=_label("body"), coerce=int)
    title = CharField(
        label=_label("title"),
        max_length=_model_field("title").max_length,
        validators=[single_line],
    )
    description = CharField(
        label=_label("description"),
        max_length=_model_field("description").max_length,
        widget=Textarea(attrs={"rows": 8}),
        validators=[no_control_chars],
    )
    category = ChoiceField(
        label=_label("category"),
        choices=[EMPTY_CHOICE, *_by_level(categories_for)],
        widget=TaggedSelect(data_name="level", lookup=_level_of_code),
    )
    tag = ChoiceField(
        label=_label("tag"),
        choices=[EMPTY_CHOICE, *Tag.choices],
    )
    forms = MultipleChoiceField(
        label=_label("forms"),
        choices=_by_level(forms_for),
        widget=TaggedCheckboxes(data_name="level", lookup=_level_of_code),
        required=False,
        help_text=_("可多选；提交审批前至少选择一种本级适用的协商形式。"),
    )
    source = ChoiceField(
        label=_label("source"),
        choices=[EMPTY_CHOICE, *Source.choices],
    )
    proposer = CharField(
        label=_("提出人（单位）"),
        max_length=_model_field("proposer").max_length,
        validators=[single_line],
    )
    planned_start = DateField(
        label=_label("planned_start"),
        required=False,
        widget=_date_widget(),
    )
    planned_end = DateField(
        label=_label("planned_end"),
        required=False,
        widget=_date_widget(),
    )
    is_public = BooleanField(
        label=_label("is_public"),
        required=False,
        initial=True,
        help_text=_(
            "勾选后，群众门户开通时本议题的进展（不含内部讨论和个人信息）将向本地群众公开；"
            "在此之前只有工作人员能看到。"
        ),
    )

    def __init__(self, *args, user, topic: Topic | None = None, **kwargs):
        self.topic = topic
        if topic is not None:
            kwargs.setdefault("initial", self._initial_from(topic))
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            form_field.error_messages.update(_messages(form_field.label))
        if topic is None:
            place_ids = perm.creatable_place_ids(user)
            self._places = {p.pk: p for p in Place.objects.filter(pk__in=place_ids)}
            self.fields["place"].choices = [
                EMPTY_CHOICE,
                *((p.pk, p.name) for p in self._places.values()),
            ]
            self.fields["place"].widget = TaggedSelect(
                data_name="level", lookup=self._place_level
            )
            self.fields["place"].widget.choices = self.fields["place"].choices
            if len(self._places) == 1:
                self.fields["place"].initial = next(iter(self._places))
        else:
            place_ids = {topic.place_id}
            self._places = {topic.place_id: topic.place}
            del self.fields["place"]
        bodies = Body.objects.filter(place_id__in=place_ids).select_related("place")
        self._bodies = {b.pk: b for b in bodies}
        grouped: dict[str, list] = {}
        for body in self._bodies.values():
            grouped.setdefault(body.place.name, []).append((body.pk, body.name))
        self.fields["body"].widget = TaggedSelect(
            data_name="place", lookup=self._body_place
        )
        self.fields["body"].choices = [EMPTY_CHOICE, *grouped.items()]
        self._follow_level(self._chosen_place())
        # A pasted title longer than allowed is not cut silently by the
        # browser: the page counts the characters and the server refuses with
        # the count.
        title = self.fields["title"]
        title.widget.attrs.pop("maxlength", None)
        title.widget.attrs.update(
            {
                "data-count-max": title.max_length,
                "data-count-text": _("已输入 {n} / {max} 个字"),
                "data-count-over": _("已超出 {over} 个字，请删减"),
            }
        )
        for name in ("planned_start", "planned_end"):
            self.fields[name].widget.attrs.update(
                {
                    "min": EARLIEST_DATE.isoformat(),
                    "max": latest_date().isoformat(),
                }
            )

    def _place_level(self, value) -> str:
        place = self._places.get(int(value)) if str(value).isdigit() else None
        return LEVEL_OF_PLACE.get(place.kind, "") if place else ""

    def _body_place(self, value) -> str:
        body = self._bodies.get(int(value)) if str(value).isdigit() else None
        return str(body.place_id) if body else ""

    def _chosen_place(self) -> Place | None:
        if self.topic is not None:
            return self.topic.place
        if self.is_bound:
            raw = self.data.get(self.add_prefix("place"), "")
            return self._places.get(int(raw)) if str(raw).isdigit() else None
        if len(self._places) == 1:
            return next(iter(self._places.values()))
        return None

    def _follow_level(self, place: Place | None) -> None:
        """Offer only the chosen place's catalogue (both catalogues until chosen)."""
        level = LEVEL_OF_PLACE.get(place.kind) if place is not None else None
        if level is None:
            return
        label = Level(level).label
        self.fields["category"].choices = [
            EMPTY_CHOICE,
            (label, categories_for(level)),
        ]
        self.fields["forms"].choices = [(label, forms_for(level))]

    @staticmethod
    def _initial_from(topic: Topic) -> dict:
        initial = {name: getattr(topic, name) for name in services.EDITABLE_FIELDS}
        initial["body"] = topic.body_id
        return initial

    def clean_place(self) -> Place:
        return self._places[self.cleaned_data["place"]]

    def clean_body(self) -> Body:
        return self._bodies[self.cleaned_data["body"]]

    def clean(self):
        cleaned = super().clean()
        place = cleaned.get("place") or (self.topic and self.topic.place)
        body = cleaned.get("body")
        if place and body and body.place_id != place.pk:
            self.add_error("body", _("请选择所选地方的实施主体。"))
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        for name in ("planned_start", "planned_end"):
            message = date_window_error(cleaned.get(name))
            if message:
                self.add_error(name, message)
                start = end = None
        if start and end and end < start:
            self.add_error("planned_end", _("计划完成日期不能早于计划协商日期。"))
        return cleaned

    def save(self, *, actor) -> Topic | None:
        """Write through the service; on its refusal, return None with errors."""
        fields = {name: self.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        try:
            if self.topic is None:
                return services.topic_create(
                    actor=actor, place=self.cleaned_data["place"], **fields
                )
            return services.topic_update(actor=actor, topic=self.topic, **fields)
        except ValidationError as error:
            self._attach(error)
            return None

    def _attach(self, error: ValidationError) -> None:
        by_field = (
            error.message_dict
            if hasattr(error, "error_dict")
            else {NON_FIELD_ERRORS: error.messages}
        )
        for field, messages in by_field.items():
            if field in self.fields:
                for message in messages:
                    self.add_error(field, message)
                continue
            # A rule on a field the form does not show: name the field.
            label = _model_label(field)
            for message in messages:
                self.add_error(None, f"{label}：{message}" if label else message)


class TransitionForm(Form):
    """The POST of an action: its reason (if it takes one) and the state seen.

    Control characters in the reason are refused here (the page answers 400);
    a reason sent with an action that takes none is dropped. ``state`` is the
    state the user saw and is required: the service refuses when the topic
    has moved since, and a POST that does not say what it saw is refused
    (400) rather than applied to whatever state the topic is in now.
    """

    reason = CharField(
        required=False,
        strip=True,
        max_length=services.REASON_MAX_LENGTH,
        validators=[no_control_chars],
        widget=Textarea(attrs={"rows": 3}),
    )
    state = ChoiceField(choices=State.choices, widget=HiddenInput)

    def __init__(self, *args, action, **kwargs):
        self.action = action
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = _("“%(action)s”的理由（必填）") % {
            "action": action.label
        }
        self.fields["reason"].error_messages.update(
            {
                "max_length": _(
                    "理由不能超过 %(limit_value)d 个字（现在 %(show_value)d 个）。"
                ),
            }
        )
        stale = _("页面已过期，请刷新后再操作。")
        self.fields["state"].error_messages.update(
            {"required": stale, "invalid_choice": stale}
        )

    def clean_reason(self) -> str:
        return self.cleaned_data["reason"] if self.action.needs_reason else ""
