from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import single_line

from .models import Preference


def _label(name: str):
    return Preference._meta.get_field(name).verbose_name


class PreferenceForm(forms.Form):
    """Saved by ``services.preference_save``, never by the form itself."""

    email = forms.BooleanField(label=_label("email"), required=False)
    sms = forms.BooleanField(label=_label("sms"), required=False)
    daily_digest = forms.BooleanField(label=_label("daily_digest"), required=False)


class ReceiptForm(forms.Form):
    """A signed tear-off receipt (回执) handed back for a paper notice.

    The one parser of the slip's date, for every page that records receipts.
    """

    # receipt_record names the signing time ``signed_at``; here it is a date.
    service_fields = {"signed_at": "signed_on"}

    signed_by = forms.CharField(
        label=_("签收人"),
        max_length=64,
        validators=[single_line],
        error_messages={"required": _("请填写签收人姓名。")},
    )
    signed_on = forms.DateField(
        label=_("签收日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("请填写正确的日期。")},
        help_text=_("不填则记为今天。"),
    )

    def clean_signed_on(self):
        signed_on = self.cleaned_data["signed_on"]
        if signed_on and signed_on > timezone.localdate():
            raise forms.ValidationError(_("签收日期不能晚于今天。"))
        return signed_on

    def signed_at(self) -> datetime | None:
        """The signing time for receipt_record; None means now.

        The slip carries a date only: noon keeps it on that date in any time
        zone, and a receipt signed today is never recorded as later than now.
        """
        signed_on = self.cleaned_data["signed_on"]
        if signed_on is None:
            return None
        noon = timezone.make_aware(datetime.combine(signed_on, time(12)))
        return min(noon, timezone.now())
