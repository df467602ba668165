"""Admin for steps 4 and 5.

The records of a topic are written only by ``feedback.services`` (which keep the
seal and the audit chain), so the admin shows them read-only. The rule data a
township edits — which categories need a statutory vote, and the meeting kinds
and their quorum and majority per level — is saved by
``services.rule_data`` (called from the form's ``clean()``, as in
topics/admin.py, so a refusal is a form error), which checks the township's
administrator and audits the change.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError

from core.admin import ReadOnlyAdminMixin

from . import models
from .services import rule_data


class RuleDataForm(forms.ModelForm):
    """Saves through ``save_row`` in ``clean()``; the key fields of a row stay."""

    actor = None
    key_fields: tuple[str, ...] = ()

    def validate_unique(self):
        """An existing key is changed by the service, not refused."""

    def save_row(self, cleaned: dict):
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if self.instance.pk is not None:
            for name in self.key_fields:
                cleaned[name] = getattr(self.instance, name)
        try:
            self.instance = self.save_row(cleaned)
        except PermissionDenied as refused:
            raise ValidationError(str(refused)) from refused
        return cleaned


class VoteCategoryForm(RuleDataForm):
    key_fields = ("township", "category")

    class Meta:
        model = models.VoteCategory
        fields = ("township", "category", "needs_vote")

    def save_row(self, cleaned):
        return rule_data.vote_category_save(actor=self.actor, **cleaned)


class MeetingRuleForm(RuleDataForm):
    key_fields = ("township", "level", "kind")

    class Meta:
        model = models.MeetingRule
        fields = (
            "township",
            "level",
            "kind",
            "quorum_num",
            "quorum_den",
            "quorum_strict",
            "pass_num",
            "pass_den",
            "pass_strict",
            "pass_base",
        )

    def save_row(self, cleaned):
        return rule_data.meeting_rule_save(actor=self.actor, **cleaned)


class RuleDataAdmin(admin.ModelAdmin):
    """Writes go through the form's service call; deletes through ``delete_row``."""

    def delete_row(self, *, actor, row):
        raise NotImplementedError

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        # Another key is another row: delete this one and add that.
        return self.form.key_fields if obj is not None else ()

    def save_model(self, request, obj, form, change):
        """Nothing to save: the form's clean() wrote it through the service."""

    def delete_model(self, request, obj):
        self.delete_row(actor=request.user, row=obj)

    def delete_queryset(self, request, queryset):
        for row in queryset.select_related("township"):
            self.delete_row(actor=request.user, row=row)


@admin.register(models.VoteCategory)
class VoteCategoryAdmin(RuleDataAdmin):
    form = VoteCategoryForm
    list_display = ("township", "category", "needs_vote")
    list_filter = ("needs_vote", "township")

    def delete_row(self, *, actor, row):
        rule_data.vote_category_delete(actor=actor, vote_category=row)


@admin.register(models.MeetingRule)
class MeetingRuleAdmin(RuleDataAdmin):
    form = MeetingRuleForm
    list_display = (
        "township",
        "level",
        "kind",
        "quorum_num",
        "quorum_den",
        "pass_num",
        "pass_den",
        "pass_base",
    )
    list_filter = ("level", "kind", "township")

    def delete_row(self, *, actor, row):
        rule_data.meeting_rule_delete(actor=actor, meeting_rule=row)


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
