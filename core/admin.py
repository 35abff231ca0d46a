from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .mfa import services as mfa_services
from .models import (
    EvidenceCategory,
    FrameworkCrosswalk,
    FrameworkItem,
    FrameworkVersion,
    KeyQuestion,
    Membership,
    Provider,
    Service,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["provider", "service"]
    fk_name = "user"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "job_title", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [MembershipInline]
    actions = ["reset_second_factor"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "job_title", "digest_opt_in")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.action(description="Reset second factor (lost phone): remove the app and recovery codes")
    def reset_second_factor(self, request, queryset):
        reset = [user for user in queryset if mfa_services.second_factor_reset(user=user, by=request.user)]
        if reset:
            names = ", ".join(user.email for user in reset)
            self.message_user(request, f"Second factor reset for {names}; recorded on the audit trail.")
        else:
            self.message_user(request, "None of them had a second factor to reset.", messages.WARNING)


# django-otp's own device admins would let staff delete devices off the audit trail (and see
# keys): resets go through the user's "Reset second factor" action instead.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ["name", "slug", "service_type", "cqc_location_id", "last_inspection_date", "overall_rating"]
    show_change_link = True


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "cqc_provider_id"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ServiceInline]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "provider", "service_type", "overall_rating", "last_inspection_date", "mfa_required"]
    list_filter = ["provider", "service_type", "overall_rating", "mfa_required"]
    search_fields = ["name", "slug", "cqc_location_id"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "provider", "service"]
    list_filter = ["role", "provider"]
    search_fields = ["user__email", "provider__name", "service__name"]
    autocomplete_fields = ["user", "provider", "service"]


class KeyQuestionInline(admin.TabularInline):
    model = KeyQuestion
    extra = 0


@admin.register(FrameworkVersion)
class FrameworkVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "status", "published", "scored"]
    inlines = [KeyQuestionInline]


@admin.register(FrameworkItem)
class FrameworkItemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "key_question", "version"]
    list_filter = ["version", "key_question__code"]
    search_fields = ["code", "name"]


@admin.register(EvidenceCategory)
class EvidenceCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "version", "order"]


@admin.register(FrameworkCrosswalk)
class FrameworkCrosswalkAdmin(admin.ModelAdmin):
    list_display = ["source", "target", "strength", "note"]
    list_filter = ["source__version", "target__version", "strength"]
    autocomplete_fields = ["source", "target"]
    search_fields = ["source__code", "source__name", "target__code", "target__name"]
