from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Providers, people and the CQC framework"

    def ready(self) -> None:
        from . import audit  # noqa: F401  (registers models with the audit trail)
        from . import permissions as policy
        from .panels import register_nav_link

        register_nav_link(
            order=90,
            label="Who looked at what",
            url_name="core:access_records",
            visible=lambda user: policy.can(user, policy.Verb.VIEW_ACCESS_RECORDS),
        )
