"""The topic form. It collects the drafter's input; the services decide validity."""

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.forms import (
    BooleanField,
    CharField,
    CheckboxSelectMultiple,
    ChoiceField,
    DateField,
    DateInput,
    Form,
    MultipleChoiceField,
    Textarea,
    TypedChoiceField,
)
from django.utils.translation import gettext_lazy as _

from committees.models import Body, Place

from . import permissions as perm
from . import services
from .catalogue import Level, Source, Tag, categories_for, forms_for
from .models import Topic

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


class TopicForm(Form):
    """Create a topic (``topic=None``) or edit a draft.

    ``save`` calls the service; a ``ValidationError`` it raises is attached to
    the fields it names, so the page shows it and nothing is saved.
    """

    place = TypedChoiceField(label=_label("place"), coerce=int)
    body = TypedChoiceField(label=_label("body"), coerce=int)
    title = CharField(
        label=_label("title"), max_length=_model_field("title").max_length
    )
    description = CharField(
        label=_label("description"),
        max_length=_model_field("description").max_length,
        widget=Textarea(attrs={"rows": 8}),
    )
    category = ChoiceField(
        label=_label("category"), choices=[EMPTY_CHOICE, *_by_level(categories_for)]
    )
    tag = ChoiceField(label=_label("tag"), choices=[EMPTY_CHOICE, *Tag.choices])
    forms = MultipleChoiceField(
        label=_label("forms"),
        choices=_by_level(forms_for),
        widget=CheckboxSelectMultiple,
        required=False,
        help_text=_("可多选;提交审批前至少选择一种本级适用的协商形式。"),
    )
    source = ChoiceField(
        label=_label("source"), choices=[EMPTY_CHOICE, *Source.choices]
    )
    proposer = CharField(
        label=_label("proposer"), max_length=_model_field("proposer").max_length
    )
    planned_start = DateField(
        label=_label("planned_start"),
        required=False,
        widget=DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    planned_end = DateField(
        label=_label("planned_end"),
        required=False,
        widget=DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    is_public = BooleanField(label=_label("is_public"), required=False, initial=True)

    def __init__(self, *args, user, topic: Topic | None = None, **kwargs):
        self.topic = topic
        if topic is not None:
            kwargs.setdefault("initial", self._initial_from(topic))
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if topic is None:
            place_ids = perm.creatable_place_ids(user)
            self._places = {p.pk: p for p in Place.objects.filter(pk__in=place_ids)}
            self.fields["place"].choices = [
                EMPTY_CHOICE,
                *((p.pk, p.name) for p in self._places.values()),
            ]
            if len(self._places) == 1:
                self.fields["place"].initial = next(iter(self._places))
        else:
            place_ids = {topic.place_id}
            del self.fields["place"]
        bodies = Body.objects.filter(place_id__in=place_ids).select_related("place")
        self._bodies = {b.pk: b for b in bodies}
        grouped: dict[str, list] = {}
        for body in self._bodies.values():
            grouped.setdefault(body.place.name, []).append((body.pk, body.name))
        self.fields["body"].choices = [EMPTY_CHOICE, *grouped.items()]

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
                self.add_error(None, f"{label}:{message}" if label else message)
