from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Recovery plans"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from recovery import models as m

        auditlog.register(m.FailureTheme, m2m_fields={"framework_items", "evidence"})
        auditlog.register(m.LeadershipLearning, m2m_fields={"evidence"})
        auditlog.register(m.RecoveryAction, m2m_fields={"evidence"})
        auditlog.register(m.ActionStep)
        auditlog.register(m.ActionRisk)
        auditlog.register(m.ActionTransition)
        auditlog.register(m.ThemeTransition)
        auditlog.register(m.OutcomeMeasure, m2m_fields={"evidence"})
        auditlog.register(m.DataPoint)
        auditlog.register(m.MeasureRebase)
        auditlog.register(m.ReviewLayer)
        auditlog.register(m.ReviewRecord)
        auditlog.register(m.PointCorrection)
        auditlog.register(m.LearningShare)
        # Plan imports (PlanImport, ImportedRow) are working data and bookkeeping: the confirm
        # writes one entry with the file's SHA-256 and row count, and the actions it creates,
        # updates and opens are logged as any others (recovery.importing.services).

        from recovery.importing.timeline import action_timeline_entries
        from recovery.plan.timeline import register_timeline_source

        register_timeline_source(action_timeline_entries)

        from core.panels import register_service_panel
        from recovery.overview.views import dashboard_panel_context

        register_service_panel(
            order=10, template="recovery/overview/dashboard_panel.html", context=dashboard_panel_context
        )
        from recovery.plan.views import themes_panel

        register_service_panel(order=20, template="recovery/plan/panel_themes.html", context=themes_panel)
        from core.work import register_work_source
        from recovery.learning.selectors import unanswered_work
        from recovery.learning.views import shared_with_us_panel

        register_work_source(order=65, key="shared_learning", heading="Learning shared with you", items=unanswered_work)

        register_service_panel(
            order=25, template="recovery/learning/panel_shared_with_us.html", context=shared_with_us_panel
        )

        from core.panels import register_provider_link

        register_provider_link(order=20, label="Recovery map", url_name="recovery:map_provider")

        # "My work" on the home page and in digests (core.work): owned actions; progress for followers.
        from core.work import register_work_source
        from recovery.overview.work import follows_only, progress
        from recovery.plan.work import actions_owned

        register_work_source(
            order=20,
            key="actions",
            heading="Your actions",
            items=actions_owned,
            empty="None of your actions is overdue, due soon or waiting on a step.",
        )
        register_work_source(
            order=90,
            key="progress",
            heading="Progress at your services",
            items=progress,
            visible=follows_only,
            empty="No recovery actions at your services yet.",
        )
