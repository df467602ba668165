from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from committees.models import Place

from .verify import MAX_BYTES


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=_("一事一档 PDF 文件"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={"required": _("请选择要核验的 PDF 文件。")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("文件过大，不是本系统导出的一事一档。"))
        return upload


class BulkForm(forms.Form):
    place = forms.ModelChoiceField(
        label=_("地方"),
        queryset=Place.objects.none(),
        error_messages={"required": _("请选择地方。")},
    )
    year = forms.IntegerField(
        label=_("年度"),
        min_value=2000,
        error_messages={
            "required": _("请填写年度。"),
            "min_value": _("请填写 2000 年至今年之间的年度。"),
            "invalid": _("请填写 2000 年至今年之间的年度。"),
        },
    )

    def __init__(self, *args, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places
        self.fields["year"].max_value = timezone.localdate().year
        self.fields["year"].initial = timezone.localdate().year
