"""Evidence packs: PDFs for inspectors and commissioners, rendered in the background.

- ``parameters``: what a pack may ask for, and the check of its stored parameters.
- ``loading``: what every pack kind loads (themes, actions, measures, evidence in scope).
- ``context``: one selector per pack kind builds a plain dict (bounded queries).
- ``models``, ``forms``, ``views``, ``urls``: the pack row, the request form and its pages.
- ``rendering``: template -> HTML -> PDF with WeasyPrint and a restricted URL fetcher.
- ``chunked``: a long full pack laid out in bounded chunks; ``merge`` joins them with pikepdf (qpdf).
- ``services``: request a pack (queues the job after commit; a broker that is down leaves it
  queued with a note) and render it (claims the row, counting attempts).
- ``selectors``: which packs a user may see, per service and per provider.
- ``stuck``: the reaper (re-sends or fails stuck packs) and "Try again".
- ``tasks``: the Celery jobs, thin wrappers over ``services.pack_render`` and ``stuck.packs_reap``.
"""
