"""Read-only admin views of consult's records.

Every change goes through consult.services (permission, step, audit chain), so
the admin shows the records and never edits them.
"""

from django.contrib import admin

from .models import (
    Attendance,
    Correction,
    Material,
    MaterialVersion,
    NoticeRound,
    Opinion,
    Participant,
    Plan,
    Session,
    SignInPhoto,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = ["person", "category", "topic", "platform", "created_at"]
    list_filter = ["category"]
    list_select_related = ["person", "topic", "platform"]
    search_fields = ["person__name", "topic__title"]


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = ["topic", "form", "starts_at", "location", "recorded_at"]
    list_filter = ["form"]
    list_select_related = ["topic"]
    search_fields = ["topic__title", "location"]


@admin.register(Opinion)
class OpinionAdmin(ReadOnlyAdmin):
    list_display = ["author_name", "kind", "source", "topic", "is_hidden", "created_at"]
    list_filter = ["source", "kind", "is_hidden"]
    list_select_related = ["topic"]
    search_fields = ["author_name", "content", "topic__title"]


@admin.register(MaterialVersion)
class MaterialVersionAdmin(ReadOnlyAdmin):
    list_display = ["name", "number", "material", "size", "sha256"]
    list_select_related = ["material"]
    exclude = ["file"]


for model in (Plan, Attendance, Correction, Material, NoticeRound, SignInPhoto):
    admin.site.register(model, ReadOnlyAdmin)
