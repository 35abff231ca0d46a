from django.apps import AppConfig


def _service_panel(request, service) -> dict:
    from core import permissions as policy

    from .selectors import service_panel_counts

    return {
        "counts": service_panel_counts(service),
        "can_add": policy.can(request.user, policy.Verb.ADD_EVIDENCE, service),
    }


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from core.panels import register_service_panel

        from .models import EvidenceItem

        auditlog.register(EvidenceItem, m2m_fields={"framework_items"})
        register_service_panel(order=40, template="evidence/panel.html", context=_service_panel)

        from core.panels import register_provider_link

        from .selectors import is_provider_level

        register_provider_link(
            order=30, label="Evidence library", url_name="evidence:provider_library", visible=is_provider_level
        )
