"""Evidence packs: PDFs for inspectors and commissioners, rendered in the background.

- ``parameters``: what a pack may ask for, and the check of its stored parameters.
- ``loading``: what every pack kind loads (themes, actions, measures, evidence in scope).
- ``context``: one selector per pack kind builds a plain dict (bounded queries).
- ``models``, ``forms``, ``views``, ``urls``: the pack row, the request form and its pages.
- ``rendering``: template -> HTML -> PDF with WeasyPrint and a restricted URL fetcher.
- ``chunked``: a long full pack laid out in bounded chunks; ``merge`` joins them with pikepdf (qpdf).
- ``services``: request a pack (queues the job after commit) and render it (claims the row).
- ``selectors``: which packs a user may see, per service and per provider.
- ``tasks``: the Celery job, a thin wrapper over ``services.pack_render``.
"""
