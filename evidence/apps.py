from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from .models import EvidenceItem

        auditlog.register(EvidenceItem, m2m_fields={"framework_items"})
