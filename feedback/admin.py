"""Admin for steps 4 and 5.

The records of a topic are written only by ``feedback.services`` (which keep the
seal and the audit chain), so the admin shows them read-only. The rule data a
township edits — which categories need a statutory vote, and the quorum and
majority of each meeting kind — is editable here.
"""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin

from . import models


@admin.register(models.VoteCategory)
class VoteCategoryAdmin(admin.ModelAdmin):
    list_display = ("township", "category", "needs_vote")
    list_filter = ("needs_vote", "township")


@admin.register(models.MeetingRule)
class MeetingRuleAdmin(admin.ModelAdmin):
    list_display = (
        "township",
        "kind",
        "quorum_num",
        "quorum_den",
        "pass_num",
        "pass_den",
        "pass_base",
    )
    list_filter = ("kind", "township")


class RecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_select_related = ("topic",)
    list_display = ("__str__", "topic")


for model in (
    models.Compilation,
    models.Disposition,
    models.Decision,
    models.VoteMark,
    models.Vote,
    models.Task,
    models.PublicNotice,
    models.Attachment,
    models.Bulletin,
    models.Note,
):
    admin.site.register(model, RecordAdmin)


@admin.register(models.Explanation)
class ExplanationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "disposition", "method")


@admin.register(models.ProgressReport)
class ProgressReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "task", "percent", "reported_on")


@admin.register(models.SupervisionNote)
class SupervisionNoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "task", "written_at")


@admin.register(models.NoticeResponse)
class NoticeResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "notice", "kind", "answered_at")
