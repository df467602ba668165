"""Admin for the organisation.

Role grants and roster additions are written by the services, never by the
admin's own save: a grant must carry its django-guardian group permissions, and
a roster must respect its size (§八) and leave an audit record.

The admin validates a form before it calls ``save_model`` and cannot show an
error raised there, so the add forms below call the service in ``clean()``: a
refusal (a role not meant for this kind of place, a full roster) becomes a form
error, and the transaction the admin holds around the request keeps the write.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin

from .models import Body, Membership, Person, Place, Platform, RoleGrant
from .services import membership_add, role_grant, role_revoke


class _ActorFormMixin:
    """Hands the requesting user to the form class the admin builds."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "code", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    list_select_related = ("parent",)

    def get_readonly_fields(self, request, obj=None):
        # Role groups are named after the code (roles.group_name).
        return ("code",) if obj is not None else ()


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "place")
    list_filter = ("kind",)
    search_fields = ("name", "place__name")
    list_select_related = ("place",)


class MembershipInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The roster, read-only here; members are added in 平台成员."""

    model = Membership
    fields = ("person", "category", "position", "term_start", "term_end")
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "place")
    list_filter = ("kind",)
    search_fields = ("name", "place__name")
    list_select_related = ("place",)
    readonly_fields = ("add_member",)
    inlines = [MembershipInline]

    @admin.display(description=_("名册"))
    def add_member(self, obj):
        if obj.pk is None:
            return "-"
        url = reverse("admin:committees_membership_add")
        return format_html(
            '<a href="{}?platform={}">{}</a>', url, obj.pk, _("添加平台成员")
        )


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "place", "phone", "organisation")
    search_fields = ("name", "phone", "organisation")
    list_select_related = ("user", "place")
    autocomplete_fields = ("user", "place")


class MembershipAddForm(forms.ModelForm):
    actor = None

    class Meta:
        model = Membership
        fields = (
            "platform",
            "person",
            "category",
            "position",
            "term_start",
            "term_end",
            "appointed_by",
            "appointed_on",
        )

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.instance = membership_add(actor=self.actor, **cleaned)
        return cleaned


@admin.register(Membership)
class MembershipAdmin(_ActorFormMixin, admin.ModelAdmin):
    list_display = ("person", "platform", "category", "term_start", "term_end")
    list_filter = ("platform", "category")
    search_fields = ("person__name", "platform__name")
    list_select_related = ("person", "platform")
    autocomplete_fields = ("person",)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = MembershipAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # A term ends by its end date; who served when stays on record.
        return ("platform", "person", "term_start") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        """Save a change; an addition was written in MembershipAddForm.clean."""
        if change:
            super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False


class RoleGrantAddForm(forms.ModelForm):
    actor = None

    class Meta:
        model = RoleGrant
        fields = ("user", "place", "role")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if RoleGrant.objects.filter(**cleaned).exists():
            raise ValidationError(_("该账号在这个地方已有这一角色。"))
        self.instance = role_grant(actor=self.actor, **cleaned)
        return cleaned


@admin.register(RoleGrant)
class RoleGrantAdmin(_ActorFormMixin, admin.ModelAdmin):
    """Grants are added and revoked, never edited: revoke and grant anew."""

    form = RoleGrantAddForm
    list_display = ("user", "place", "role", "granted_by", "granted_at")
    list_filter = ("role", "place__kind")
    search_fields = ("user__username", "place__name")
    list_select_related = ("user", "place", "granted_by")
    autocomplete_fields = ("user", "place")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "place", "role")
        return ("user", "place", "role", "granted_by", "granted_at")

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Nothing to save: RoleGrantAddForm.clean wrote the grant via role_grant."""

    def delete_model(self, request, obj):
        role_revoke(actor=request.user, grant=obj)

    def delete_queryset(self, request, queryset):
        for grant in queryset.select_related("user", "place"):
            role_revoke(actor=request.user, grant=grant)
