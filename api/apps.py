from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from api.models import ApiToken
        from core.panels import register_account_link

        # Creating and revoking a token is on the trail; the hash never is, and neither is the
        # last-used time (a plain UPDATE on every request, see api/authentication.py).
        auditlog.register(ApiToken, exclude_fields=["secret_hash", "last_used_at"])
        register_account_link(order=10, label="API tokens", url_name="api:tokens")
