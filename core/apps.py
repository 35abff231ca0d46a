from django.apps import AppConfig

# Django refuses a multipart request whose part headers pass 1 KB (MAX_TOTAL_HEADER_SIZE) with a
# bare 400 page, before any form sees it: a file named with 1,000 characters lost everything
# typed on the form with it. 16 KB still bounds the header of each part (names in 4-byte UTF-8,
# escaped, fit), and the evidence form then says the name is too long, with the form kept.
MULTIPART_PART_HEADER_LIMIT = 16 * 1024


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Providers, people and the CQC framework"

    def ready(self) -> None:
        from celery.signals import before_task_publish
        from django.http import multipartparser

        from . import audit  # noqa: F401  (registers models with the audit trail)
        from . import permissions as policy
        from .health import stamp_sent_at
        from .mfa import policy as mfa_policy  # noqa: F401  (the MFA_REQUIRED_ROLES check)
        from .mfa import signals  # noqa: F401  (sign-in hooks)
        from .panels import register_nav_link

        # Every published job notes when it was sent: the readiness check reads the queue's age.
        before_task_publish.connect(stamp_sent_at, dispatch_uid="core.health.stamp_sent_at")

        register_nav_link(
            order=90,
            label="Who looked at what",
            url_name="core:access_records",
            visible=lambda user: policy.can(user, policy.Verb.VIEW_ACCESS_RECORDS),
        )

        multipartparser.MAX_TOTAL_HEADER_SIZE = max(multipartparser.MAX_TOTAL_HEADER_SIZE, MULTIPART_PART_HEADER_LIMIT)
