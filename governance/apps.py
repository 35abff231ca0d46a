from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from governance import models as m

        auditlog.register(m.Flag)
        auditlog.register(m.FlagTrigger)
        auditlog.register(m.OversightReview, m2m_fields={"attendees"})
        auditlog.register(m.AgendaItem)
        auditlog.register(m.AgendaItemReview)
        auditlog.register(m.Challenge, m2m_fields={"evidence"})
        auditlog.register(m.ReviewActionArising)
        auditlog.register(m.ReviewAmendment)
        auditlog.register(m.ReviewAttendance)
        auditlog.register(m.ReviewSeries, m2m_fields={"attendees"})
        auditlog.register(m.ReviewTransition)
        auditlog.register(
            m.EvidencePack,
            # Progress and the bookkeeping of a render spread over workers are not changes to the pack.
            exclude_fields=["progress", "progress_note", "parts_done", "touched_at", "front", "merge_started_at"],
        )

        # Flags follow events: a changed subject re-evaluates its service's flags after commit.
        from governance.flags import events as flag_events

        flag_events.register()

        # "Add a trigger" on a measure's page (a threshold on that measure, at its service).
        from django.urls import reverse

        from core import permissions as policy
        from recovery.measures.links import register_measure_link

        register_measure_link(
            order=10,
            label="Add a trigger",
            url=lambda m: (
                reverse("governance:trigger_new", kwargs={"service": m.service.slug, "kind": "measure"})
                + f"?measure={m.pk}"
            ),
            visible=lambda user, m: m.service_id is not None and policy.can(user, policy.Verb.EDIT_PLAN, m),
        )

        # Flag badges on the service page (open flags by kind).
        from core.panels import register_service_panel
        from governance.flags.views import flag_panel_context

        register_service_panel(order=5, template="governance/flags/_panel.html", context=flag_panel_context)

        # The next oversight review of the service (and closure proposals awaiting the user).
        from governance.reviews.views import next_review_panel_context

        register_service_panel(
            order=50, template="governance/reviews/_panel_next.html", context=next_review_panel_context
        )

        # Evidence packs: recent packs and the "Generate pack" button.
        from governance.packs.views import pack_panel_context

        register_service_panel(order=60, template="governance/packs/_panel.html", context=pack_panel_context)

        # Links across the provider and in the main navigation.
        from core.panels import register_nav_link, register_provider_link
        from governance.dashboard.views import may_see_dashboard

        register_provider_link(
            order=10, label="Provider dashboard", url_name="governance:provider_dashboard", visible=may_see_dashboard
        )
        register_provider_link(order=40, label="Flags", url_name="governance:provider_flag_list")
        register_provider_link(order=50, label="Oversight reviews", url_name="governance:provider_review_list")
        register_provider_link(order=60, label="Evidence packs", url_name="governance:provider_pack_list")
        register_nav_link(order=10, label="Governance calendar", url_name="governance:calendar")
        register_nav_link(order=15, label="Requests", url_name="governance:my_requests")
        register_nav_link(
            order=20,
            label="Closure decisions",
            url_name="governance:closure_queue",
            visible=lambda user: (
                policy.can(user, policy.Verb.DECIDE_CLOSURE) or policy.can(user, policy.Verb.DECIDE_HIGH_RISK_CLOSURE)
            ),
        )

        # Requests and challenges addressed to a person are their work on the home page.
        from core.work import register_work_source
        from governance.reviews.request_work import request_work

        register_work_source(
            order=40,
            key="requests",
            heading="Requests waiting for your answer",
            items=request_work,
            empty="Nothing waits for your answer.",
        )

        # Challenges and review decisions appear on each action's timeline.
        from governance.reviews.timeline import action_timeline_entries
        from recovery.plan.timeline import register_timeline_source

        register_timeline_source(action_timeline_entries)

        # "My work" on the home page and in digests (core.work). Order 40 is "requests"
        # (evidence requests and challenges addressed to the person), registered with reviews.
        from core.work import register_work_source
        from governance.closure_review.work import closures_waiting, may_decide
        from governance.flags.work import flags_mine
        from governance.packs.work import may_generate, packs_mine
        from governance.reviews.work import reviews_next

        register_work_source(
            order=30,
            key="closures",
            heading="Closures waiting for your decision",
            items=closures_waiting,
            visible=may_decide,
            empty="No closure proposals wait for your decision.",
        )
        register_work_source(
            order=50,
            key="reviews",
            heading="Your next reviews",
            items=reviews_next,
            empty="No review is scheduled that you chair or attend: see the governance calendar.",
        )
        register_work_source(order=60, key="flags", heading="Flags on what you own or oversee", items=flags_mine)
        register_work_source(
            order=70,
            key="packs",
            heading="Evidence packs you asked for",
            items=packs_mine,
            visible=may_generate,
            empty="You have not asked for an evidence pack in the last 30 days.",
        )
