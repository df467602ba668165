"""Input parsing for consult's pages; the rules live in the services.

Text and dates are checked here too (one-line fields refuse line breaks, text
areas control characters, times lie in the sane window) so a bad field is
named on the page; the services check the same for every other caller.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from committees.models import MemberCategory
from core.validators import date_in_window, no_control_chars, single_line
from topics.catalogue import forms_for

from .models import OpinionKind

DATETIME = forms.DateTimeInput(
    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
)


class _Form(forms.Form):
    """No label suffix: the pages' own labels carry none either."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SessionForm(_Form):
    form = forms.ChoiceField(label=_("协商形式"))
    starts_at = forms.DateTimeField(
        label=_("开始时间"), widget=DATETIME, validators=[date_in_window]
    )
    ends_at = forms.DateTimeField(
        label=_("结束时间（书面、网上为截止时间）"),
        widget=DATETIME,
        validators=[date_in_window],
    )
    location = forms.CharField(
        label=_("地点"), max_length=200, required=False, validators=[single_line]
    )
    agenda = forms.CharField(
        label=_("议程"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        validators=[no_control_chars],
    )
    host = forms.CharField(
        label=_("主持人"), max_length=64, required=False, validators=[single_line]
    )
    interviewee = forms.TypedChoiceField(
        label=_("访谈对象（个别访谈）"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, topic, participants=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Only the forms the topic was approved for (§六.3); the service
        # refuses any other.
        self.fields["form"].choices = [
            (value, label)
            for value, label in forms_for(topic.level)
            if value in topic.forms
        ]
        self.fields["interviewee"].choices = [("", "—")] + [
            (p.pk, p.name) for p in participants
        ]


class PersonForm(_Form):
    name = forms.CharField(label=_("姓名"), max_length=64, validators=[single_line])
    category = forms.ChoiceField(label=_("界别"), choices=MemberCategory.choices)
    organisation = forms.CharField(
        label=_("工作单位或身份"),
        max_length=128,
        required=False,
        validators=[single_line],
    )
    phone = forms.CharField(
        label=_("手机号"), max_length=20, required=False, validators=[single_line]
    )


class MaterialForm(_Form):
    title = forms.CharField(
        label=_("资料名称"), max_length=120, required=False, validators=[single_line]
    )
    file = forms.FileField(label=_("文件"))
    is_public = forms.BooleanField(label=_("向公众公开"), required=False)


class OpinionForm(_Form):
    content = forms.CharField(
        label=_("意见内容"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        validators=[no_control_chars],
    )
    kind = forms.ChoiceField(
        label=_("类型"), choices=OpinionKind.choices, initial=OpinionKind.SUGGESTION
    )


class _WithParticipant(OpinionForm):
    """An opinion entered for someone on the list.

    ``participants`` fill the choice (the service checks the pick); without
    them, as for a participant writing their own, the field is left out.
    ``extra`` names the optional fields the page shows (a correction's or a
    late answer's reason); the others are left out too.
    """

    participant = forms.TypedChoiceField(
        label=_("参与对象"), coerce=int, required=False, empty_value=None
    )
    participant_label = _("参与对象")
    participant_blank = False
    participant_id = "participant"
    optional: tuple[str, ...] = ()

    def __init__(self, *args, participants=None, extra=(), **kwargs):
        super().__init__(*args, **kwargs)
        if participants is None:
            del self.fields["participant"]
        else:
            field = self.fields["participant"]
            field.label = self.participant_label
            field.widget.attrs["id"] = self.participant_id
            blank = [("", "—")] if self.participant_blank else []
            field.choices = blank + [(p.pk, p.person.name) for p in participants]
        for name in self.optional:
            if name not in extra:
                del self.fields[name]
        self.order_fields(["participant"])


class PreOpinionForm(_WithParticipant):
    participant_label = _("提出意见的参与对象")
    participant_id = "pre-participant"


class SessionOpinionForm(_WithParticipant):
    """An opinion heard at a meeting, by someone on the list or as recorded."""

    participant_label = _("发言人（名单中）")
    participant_blank = True
    participant_id = "op-participant"
    optional = ("correction",)

    author_name = forms.CharField(
        label=_("或按记录填写发言人"),
        max_length=64,
        required=False,
        validators=[single_line],
        widget=forms.TextInput(attrs={"id": "op-author"}),
    )
    # Asked by the browser; the service says why when it is missing.
    correction = forms.CharField(
        label=_("补录理由"),
        max_length=1000,
        required=False,
        validators=[single_line],
        widget=forms.TextInput(attrs={"id": "op-correction", "required": True}),
    )

    field_order = ["participant", "author_name"]


class WrittenAnswerForm(_WithParticipant):
    optional = ("late_reason",)

    late_reason = forms.CharField(
        label=_("截止后补录的原因（截止后必填）"),
        max_length=1000,
        required=False,
        validators=[single_line],
        widget=forms.TextInput(attrs={"id": "late"}),
    )


class RecordForm(_Form):
    """Minutes of a meeting; ``correction`` is asked once the step has passed."""

    minutes = forms.CharField(
        label=_("会议记录"),
        required=False,
        validators=[no_control_chars],
        widget=forms.Textarea(attrs={"rows": 6, "id": "minutes"}),
    )
    consensus = forms.CharField(
        label=_("形成的共识"),
        required=False,
        validators=[no_control_chars],
        widget=forms.Textarea(attrs={"rows": 3, "id": "consensus"}),
    )
    disputed = forms.CharField(
        label=_("仍有分歧的问题"),
        required=False,
        validators=[no_control_chars],
        widget=forms.Textarea(attrs={"rows": 3, "id": "disputed"}),
    )
    no_consensus = forms.BooleanField(
        label=_("未达成共识（须写明仍有分歧的问题）"), required=False
    )
    # Asked by the browser; the service says why when it is missing.
    correction = forms.CharField(
        label=_("更正理由"),
        max_length=1000,
        required=False,
        validators=[single_line],
        widget=forms.TextInput(attrs={"id": "correction", "required": True}),
    )

    def __init__(self, *args, correcting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not correcting:
            del self.fields["correction"]


class GapForm(_Form):
    reason = forms.CharField(
        label=_("名单缺少上述界别的原因（缺项时进入下一步必须说明）"),
        max_length=1000,
        required=False,
        validators=[no_control_chars],
        widget=forms.Textarea(attrs={"rows": 2, "id": "gap-reason"}),
    )


class CommentForm(_Form):
    content = forms.CharField(
        label=_("我的意见"),
        max_length=5000,
        validators=[no_control_chars],
        widget=forms.Textarea(attrs={"rows": 3, "id": "comment"}),
        error_messages={"required": _("请填写意见内容。")},
    )
