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

from .models import AttendanceStatus, OpinionKind

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
        self.fields["form"].choices = forms_for(topic.level)
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


ATTENDANCE_CHOICES = AttendanceStatus.choices
