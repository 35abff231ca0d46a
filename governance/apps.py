from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models as m

        auditlog.register(m.Flag)
        auditlog.register(m.OversightReview, m2m_fields={"attendees"})
        auditlog.register(m.AgendaItem)
        auditlog.register(m.Challenge)
        auditlog.register(m.ReviewActionArising)
        auditlog.register(m.ReviewAmendment)
        auditlog.register(m.EvidencePack, exclude_fields=["progress", "progress_note"])

        # Flag badges on the service page (open flags by kind).
        from core.panels import register_service_panel

        from .views.flags import flag_panel_context

        register_service_panel(order=5, template="governance/flags/_panel.html", context=flag_panel_context)

        # The next oversight review of the service (and closure proposals awaiting the user).
        from .views.reviews import next_review_panel_context

        register_service_panel(
            order=50, template="governance/reviews/_panel_next.html", context=next_review_panel_context
        )

        # Evidence packs: recent packs and the "Generate pack" button.
        from .views.packs import pack_panel_context

        register_service_panel(order=60, template="governance/packs/_panel.html", context=pack_panel_context)
