"""Evidence packs: PDFs for inspectors and commissioners, rendered in the background.

- ``context``: one selector per pack kind builds a plain dict (bounded queries).
- ``rendering``: template -> HTML -> PDF with WeasyPrint and a restricted URL fetcher.
- ``chunked``: a long full pack laid out in bounded chunks and joined with pikepdf (qpdf).
- ``services``: request a pack (queues the job after commit) and render it (claims the row).
- ``selectors``: which packs a user may see, per service and per provider.
- ``tasks``: the Celery job, a thin wrapper over ``services.pack_render``.
"""
