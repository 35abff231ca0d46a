from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = "Audits"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models as m

        auditlog.register(m.AuditTemplate, m2m_fields={"framework_items", "services"})
        auditlog.register(m.AuditTemplateVersion)
        auditlog.register(m.Criterion)
        auditlog.register(m.Audit)
        auditlog.register(m.AuditRecord)
        auditlog.register(m.AuditActionArising)
        auditlog.register(m.MeasureFeed)
