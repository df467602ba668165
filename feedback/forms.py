"""Thin forms: types, widgets and input hygiene; the rules live in the services.

One-line fields refuse line breaks and text areas control characters, dates
lie in the sane window (``core.validators``); the services check the same for
every other caller.
"""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from committees.models import Person, Place
from core.validators import date_in_window, no_control_chars, single_line

from . import rules
from .models import (
    MAX_VOTERS,
    ExplainMethod,
    MeetingKind,
    NoticeSubject,
    Outcome,
    ResponseKind,
)

ONE_LINE = [single_line]
TEXT = [no_control_chars]
WINDOW = [date_in_window]
HEAD_COUNT = {"min_value": 0, "max_value": MAX_VOTERS}


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        if hasattr(value, "strftime"):
            return value.strftime("%Y-%m-%dT%H:%M")
        return value


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks each one's content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(item, initial) for item in data if item]
        return [one(data, initial)] if data else []


class FilesMixin(forms.Form):
    files = MultipleFileField(
        label=_("附件"),
        required=False,
        help_text=_("PDF、Word、Excel 或 JPG、PNG、WebP 图片，可多选。"),
    )


class DispositionForm(forms.Form):
    opinion_id = forms.IntegerField(widget=forms.HiddenInput)
    theme = forms.CharField(label=_("主题"), max_length=60, validators=ONE_LINE)
    outcome = forms.ChoiceField(
        label=_("采纳情况"),
        required=False,
        choices=[("", _("（暂未决定）")), *Outcome.choices],
    )
    reason = forms.CharField(
        label=_("理由"), required=False, widget=forms.Textarea, validators=TEXT
    )


class CompilationForm(forms.Form):
    summary = forms.CharField(
        label=_("汇总说明"), widget=forms.Textarea, validators=TEXT
    )


class ExplanationForm(forms.Form):
    disposition_id = forms.IntegerField(widget=forms.HiddenInput)
    explained_by = forms.CharField(
        label=_("解释人"), max_length=64, validators=ONE_LINE
    )
    explained_on = forms.DateField(
        label=_("解释日期"), widget=DateInput, validators=WINDOW
    )
    method = forms.ChoiceField(label=_("解释方式"), choices=ExplainMethod.choices)
    note = forms.CharField(label=_("解释情况"), widget=forms.Textarea, validators=TEXT)


class DecisionForm(FilesMixin):
    meeting_date = forms.DateField(
        label=_("会议日期"), widget=DateInput, validators=WINDOW
    )
    attendees = forms.CharField(
        label=_("参会人员"), widget=forms.Textarea, validators=TEXT
    )
    plan = forms.CharField(label=_("决策方案"), widget=forms.Textarea, validators=TEXT)
    field_order = ["meeting_date", "attendees", "plan", "files"]


class VoteMarkForm(forms.Form):
    reason = forms.CharField(
        label=_("需要表决的理由"), max_length=500, validators=ONE_LINE
    )


class VoteForm(forms.Form):
    kind = forms.ChoiceField(label=_("会议类型"), choices=MeetingKind.choices)
    held_on = forms.DateField(label=_("表决日期"), widget=DateInput, validators=WINDOW)
    entitled = forms.IntegerField(label=_("应到人数"), **HEAD_COUNT)
    present = forms.IntegerField(label=_("到会人数"), **HEAD_COUNT)
    in_favour = forms.IntegerField(label=_("赞成"), **HEAD_COUNT)
    against = forms.IntegerField(label=_("反对"), **HEAD_COUNT)
    abstain = forms.IntegerField(label=_("弃权"), **HEAD_COUNT)

    def __init__(self, *args, topic, **kwargs):
        super().__init__(*args, **kwargs)
        # Narrows what is offered; vote_record refuses any other kind.
        allowed = set(rules.meeting_kinds(topic))
        self.fields["kind"].choices = [
            (value, label) for value, label in MeetingKind.choices if value in allowed
        ]


class TaskForm(forms.Form):
    description = forms.CharField(
        label=_("任务内容"), widget=forms.Textarea, validators=TEXT
    )
    responsible = forms.ModelChoiceField(
        label=_("责任人"), queryset=Person.objects.none()
    )
    deadline = forms.DateField(label=_("完成期限"), widget=DateInput, validators=WINDOW)

    def __init__(self, *args, topic, **kwargs):
        super().__init__(*args, **kwargs)
        township = topic.place.township_id
        # The ids first: an OR across the place join would scan every person.
        inside = list(
            Place.objects.filter(township_id=township).values_list("pk", flat=True)
        )
        self.fields["responsible"].queryset = (
            Person.objects.filter(
                Q(place_id__in=[topic.place_id, township])
                | Q(participations__topic=topic)
            )
            .filter(Q(place__isnull=True) | Q(place_id__in=inside))
            .distinct()
        )


class ProgressForm(FilesMixin):
    percent = forms.IntegerField(label=_("完成百分比"))
    reported_on = forms.DateField(
        label=_("进展日期"), widget=DateInput, validators=WINDOW
    )
    note = forms.CharField(label=_("进展情况"), widget=forms.Textarea, validators=TEXT)
    field_order = ["percent", "reported_on", "note", "files"]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=500, validators=ONE_LINE)


class SupervisionForm(forms.Form):
    note = forms.CharField(label=_("督办意见"), widget=forms.Textarea, validators=TEXT)


class NoticeForm(FilesMixin):
    subject = forms.ChoiceField(label=_("公示内容类别"), choices=NoticeSubject.choices)
    title = forms.CharField(label=_("公示标题"), max_length=120, validators=ONE_LINE)
    body = forms.CharField(label=_("公示正文"), widget=forms.Textarea, validators=TEXT)
    places = forms.ModelMultipleChoiceField(
        label=_("公示范围"),
        queryset=Place.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    posted_at = forms.CharField(
        label=_("张贴地点"), max_length=200, required=False, validators=ONE_LINE
    )
    starts_at = forms.DateTimeField(
        label=_("公示开始"), widget=DateTimeInput, validators=WINDOW
    )
    ends_at = forms.DateTimeField(
        label=_("公示结束"), widget=DateTimeInput, validators=WINDOW
    )
    field_order = [
        "subject",
        "title",
        "body",
        "places",
        "posted_at",
        "starts_at",
        "ends_at",
        "files",
    ]

    def __init__(self, *args, topic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["places"].queryset = Place.objects.filter(
            Q(pk__in=[topic.place_id, topic.place.township_id])
            | Q(township_id=topic.place_id)
        ).order_by("kind", "code")


class PhotoForm(forms.Form):
    file = forms.FileField(label=_("张贴照片"))


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("答复"), widget=forms.Textarea, validators=TEXT)


class ResponseForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=ResponseKind.choices)
    content = forms.CharField(
        label=_("内容"), widget=forms.Textarea, max_length=2000, validators=TEXT
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("说明"), widget=forms.Textarea, validators=TEXT)
