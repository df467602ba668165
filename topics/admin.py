"""Admin for topics: read-only topics, step limits written by their service.

Topics are created and moved only through the app's forms and services, which
check permissions and write the audit trail; the admin shows them and links to
the app page. Step limits are saved by ``limits.step_limit_set`` (called from
the form's ``clean()``, as in committees/admin.py, so a refusal is a form
error), which audits the change and moves the open deadlines.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from core.text import join_list

from .catalogue import Form
from .limits import step_limit_clear, step_limit_set
from .models import StepLimit, Topic


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("title", "place", "body", "state", "step_due_at", "app_link")
    list_filter = ("state", "category", "place__kind")
    search_fields = ("title", "place__name")
    list_select_related = ("place", "body")
    date_hierarchy = "created_at"
    fields = (
        "app_link",
        "place",
        "body",
        "title",
        "description",
        "category",
        "tag",
        "forms_display",
        "source",
        "proposer",
        "planned_start",
        "planned_end",
        "is_public",
        "state",
        "state_changed_at",
        "step_due_at",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("app_link", "forms_display", "updated_at")

    def view_on_site(self, obj):
        return reverse("topics:detail", args=[obj.pk])

    @admin.display(description=_("应用页面"))
    def app_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', self.view_on_site(obj), _("在应用中打开")
        )

    @admin.display(description=_("协商形式"))
    def forms_display(self, obj):
        return join_list(Form(f).label for f in obj.forms if f in Form.values)


class StepLimitForm(forms.ModelForm):
    actor = None

    class Meta:
        model = StepLimit
        fields = ("place", "state", "max_days", "remind_before_days")

    def validate_unique(self):
        """An existing (place, state) is changed by the service, not refused."""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if self.instance.pk is not None:
            cleaned["place"], cleaned["state"] = (
                self.instance.place,
                self.instance.state,
            )
        try:
            self.instance = step_limit_set(actor=self.actor, **cleaned)
        except PermissionDenied as refused:
            raise ValidationError(str(refused)) from refused
        return cleaned


@admin.register(StepLimit)
class StepLimitAdmin(admin.ModelAdmin):
    form = StepLimitForm
    list_display = ("place", "state", "max_days", "remind_before_days")
    list_filter = ("state", "place__kind")
    search_fields = ("place__name",)
    list_select_related = ("place",)
    autocomplete_fields = ("place",)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        # Another place or state is another limit: delete this one and add that.
        return ("place", "state") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        """Nothing to save: StepLimitForm.clean wrote it through step_limit_set."""

    def delete_model(self, request, obj):
        step_limit_clear(actor=request.user, limit=obj)

    def delete_queryset(self, request, queryset):
        for limit in queryset.select_related("place"):
            step_limit_clear(actor=request.user, limit=limit)
