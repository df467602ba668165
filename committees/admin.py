"""Admin for the organisation.

Places, role grants and roster additions are written by the services, never by the
admin's own save: a grant must carry its django-guardian group permissions, and
a roster must respect its size (§八) and leave an audit record.

The admin validates a form before it calls ``save_model`` and cannot show an
error raised there, so the forms below call the service in ``clean()``: a
refusal (a role not meant for this kind of place, a full roster, an actor
without the right) becomes a form error, and the transaction the admin holds
around the request keeps the write.

The (place, role) groups belong to the role services: the user page does not
offer them (and keeps them when it saves), and the group list does not show
them, so no one gains a role without a RoleGrant and its audit event.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin

from .models import Body, Membership, Person, Place, Platform, RoleGrant
from .roles import place_groups_q
from .services import (
    MEMBERSHIP_FIELDS,
    PLACE_FIELDS,
    membership_add,
    membership_update,
    place_create,
    place_update,
    role_grant,
    role_revoke,
)


def _through_service(write):
    """Call a service from a form's clean(): a refusal becomes a form error."""
    try:
        return write()
    except PermissionDenied as refused:
        raise ValidationError(str(refused)) from refused


class _ActorFormMixin:
    """Hands the requesting user to the form class the admin builds."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form


class _ServiceForm(forms.ModelForm):
    """A form whose clean() writes its values through a service (``write``).

    The service validates the model and saves it under its lock; the admin
    must not apply the form's values to the saved instance a second time.
    """

    actor = None

    def write(self, values: dict):
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            values = {name: cleaned[name] for name in self.fields if name in cleaned}
            self.instance = _through_service(lambda: self.write(values))
        return cleaned

    def _post_clean(self):
        pass


class PlaceAddForm(_ServiceForm):
    class Meta:
        model = Place
        fields = ("kind", "name", "code", "parent")

    def write(self, values: dict) -> Place:
        return place_create(actor=self.actor, **values)


class PlaceChangeForm(_ServiceForm):
    """Kind, name and parent change through place_update (its township follows)."""

    class Meta:
        model = Place
        fields = PLACE_FIELDS

    def write(self, values: dict) -> Place:
        return place_update(actor=self.actor, place=self.instance, **values)


@admin.register(Place)
class PlaceAdmin(_ActorFormMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "code", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    list_select_related = ("parent",)

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = PlaceAddForm if obj is None else PlaceChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # Role groups are named after the code (roles.group_name).
        return ("code",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        """Nothing to save: the form's clean() wrote it through the service."""


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


class MembershipAddForm(_ServiceForm):
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

    def write(self, values: dict) -> Membership:
        return membership_add(actor=self.actor, **values)


class MembershipChangeForm(_ServiceForm):
    """Term, category and appointment change through membership_update, which
    checks the roster as a whole under the platform's lock and audits."""

    class Meta:
        model = Membership
        fields = MEMBERSHIP_FIELDS

    def write(self, values: dict) -> Membership:
        return membership_update(actor=self.actor, membership=self.instance, **values)


@admin.register(Membership)
class MembershipAdmin(_ActorFormMixin, admin.ModelAdmin):
    list_display = ("person", "platform", "category", "term_start", "term_end")
    list_filter = ("platform", "category")
    search_fields = ("person__name", "platform__name")
    list_select_related = ("person", "platform")
    autocomplete_fields = ("person",)

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = MembershipAddForm if obj is None else MembershipChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # A term ends by its end date; who served when stays on record.
        return ("platform", "person", "term_start") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        """Nothing to save: the form's clean() wrote it through the service."""

    def save_related(self, request, form, formsets, change):
        """Membership has no relations the admin edits."""

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
        self.instance = _through_service(
            lambda: role_grant(actor=self.actor, **cleaned)
        )
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


User = get_user_model()


class UserWithoutPlaceGroupsAdmin(UserAdmin):
    """The user page offers only groups that carry no role.

    Roles are granted in 角色授权 (RoleGrant), which writes the place group;
    saving a user here keeps the place groups the user holds.
    """

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.exclude(place_groups_q())
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        kept = list(form.instance.groups.filter(place_groups_q())) if change else []
        super().save_related(request, form, formsets, change)
        if kept:
            form.instance.groups.add(*kept)


class GroupWithoutPlaceGroupsAdmin(GroupAdmin):
    """Place groups are not listed: their permissions follow the role table."""

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(place_groups_q())


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserWithoutPlaceGroupsAdmin)
if admin.site.is_registered(Group):
    admin.site.unregister(Group)
admin.site.register(Group, GroupWithoutPlaceGroupsAdmin)
