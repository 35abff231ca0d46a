from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Providers, people and the CQC framework"

    def ready(self) -> None:
        from . import audit  # noqa: F401  (registers models with the audit trail)
        from .mfa import policy, signals  # noqa: F401  (the MFA_REQUIRED_ROLES check; sign-in hooks)
