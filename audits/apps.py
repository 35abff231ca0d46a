from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = "Audits"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from core.panels import register_service_panel

        from . import models as m

        auditlog.register(m.AuditTemplate, m2m_fields={"framework_items", "services"})
        auditlog.register(m.AuditTemplateVersion)
        auditlog.register(m.Criterion)
        auditlog.register(m.Audit, exclude_fields=["last_save_id"])  # a device's id per save: noise
        auditlog.register(m.AuditRecord)
        auditlog.register(m.AuditActionArising)
        auditlog.register(m.MeasureFeed)
        auditlog.register(m.AuditDataPoint)

        from recovery.measures.services import register_hand_entry_rule

        from .services.feeds import fed_by_audit

        register_hand_entry_rule(fed_by_audit)

        register_service_panel(order=30, template="audits/panel.html", context=_panel_context)
        from core.panels import register_provider_link

        register_provider_link(order=35, label="Audit templates", url_name="audits:template_list")

        # "My work" on the home page and in digests (core.work): audits due, audit effectiveness.
        from core import permissions as policy
        from core.work import register_work_source

        from .work import audit_effectiveness, audits_due

        register_work_source(
            order=10,
            key="audits",
            heading="Audits due this week",
            items=audits_due,
            empty="No audits are due at your services this week.",
            visible=lambda user: policy.can(user, policy.Verb.LOG_AUDIT),
        )
        register_work_source(
            order=80,
            key="effectiveness",
            heading="Audits that did not show the actions working",
            items=audit_effectiveness,
            empty="Every audit of the last three months showed its findings, owners and an impact check.",
            visible=lambda user: policy.can(user, policy.Verb.MANAGE_TEMPLATES),
        )


def _panel_context(request, service) -> dict:
    from django.utils import timezone

    from .selectors import service_panel

    return service_panel(request.user, service, timezone.localdate())
