"""Admin for API tokens: support staff see every token (never the token itself) and can revoke
one, e.g. a service account's when the system it belonged to is retired. Tokens are made with
``manage.py api_token`` or on the account page, where the token can be shown once."""

from django.contrib import admin, messages

from api.models import ApiToken
from api.services import token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "scope", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "user__email", "prefix")
    readonly_fields = ("user", "name", "scope", "prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    exclude = ("secret_hash",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row and its trail stay

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token, actor=request.user)
        messages.success(request, "Revoked: those tokens no longer work.")
