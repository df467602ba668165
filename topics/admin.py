"""Admin for topics: read-only topics, editable step limits.

Topics are created and moved only through the app's forms and services, which
check permissions and write the audit trail; the admin shows them and links to
the app page.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from core.text import join_list

from .catalogue import Form
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


@admin.register(StepLimit)
class StepLimitAdmin(admin.ModelAdmin):
    list_display = ("place", "state", "max_days", "remind_before_days")
    list_filter = ("state", "place__kind")
    search_fields = ("place__name",)
    list_select_related = ("place",)
    autocomplete_fields = ("place",)
