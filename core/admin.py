from django.contrib import admin

from .models import AuditEvent, ChainHead


class ReadOnlyAdminMixin:
    """For records written only by services: the admin shows, never changes."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "subject_type",
        "subject_id",
        "seq",
        "verb",
        "actor",
        "key_id",
    )
    list_filter = ("verb", "subject_type")
    list_select_related = ("subject_type", "actor")


@admin.register(ChainHead)
class ChainHeadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("subject_type", "subject_id", "count", "verified_at")
    list_filter = ("subject_type",)
    list_select_related = ("subject_type",)
