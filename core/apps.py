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
        from django.http import multipartparser

        from . import audit  # noqa: F401  (registers models with the audit trail)

        multipartparser.MAX_TOTAL_HEADER_SIZE = max(multipartparser.MAX_TOTAL_HEADER_SIZE, MULTIPART_PART_HEADER_LIMIT)
