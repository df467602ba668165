from django.contrib import admin

from core.admin import ReadOnlyAdminMixin

from .models import Delivery, Notification, Preference

DELIVERY_FIELDS = (
    "person",
    "channel",
    "status",
    "address",
    "attempts",
    "last_error",
    "skip_reason",
    "created_at",
    "next_attempt_at",
    "claimed_at",
    "sent_at",
    "read_at",
    "receipt_signed_by",
    "receipt_recorded_by",
)


class DeliveryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Delivery
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("person", "receipt_recorded_by")
        )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "subject",
        "kind",
        "about_type",
        "about_id",
        "created_at",
        "created_by",
    )
    list_filter = ("kind", "about_type")
    list_select_related = ("about_type", "created_by")
    search_fields = ("subject", "key")
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "notification",
        "person",
        "channel",
        "status",
        "attempts",
        "sent_at",
        "read_at",
    )
    list_filter = ("status", "channel")
    list_select_related = ("notification", "person")
    search_fields = ("person__name", "notification__subject", "address")
    date_hierarchy = "created_at"


# Preferences change only through services.preference_save (the person's own
# page), so the admin shows them and edits nothing.
@admin.register(Preference)
class PreferenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("person", "email", "sms", "daily_digest")
    list_filter = ("email", "sms", "daily_digest")
    list_select_related = ("person",)
    search_fields = ("person__name",)
    raw_id_fields = ("person",)
