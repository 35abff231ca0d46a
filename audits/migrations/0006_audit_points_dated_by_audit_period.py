"""Date every audit-fed point by the audit's own period, and keep counts out of the notes.

Points used to be dated ``min(audit.period_end, today)``: an audit of 30 Nov-6 Dec submitted
on 1 Dec was charted as "period ending 1 Dec". Each point an audit gave (``AuditDataPoint``)
moves to the audit's last day; effectiveness points (no link, one per period of the
measure's cadence) move to the last day of their period. The audit owns its period, so a
hand-entered point already on that day goes (its value is added to the note, as 0008 did);
another audit-fed point there is left alone and reported. Notes stop repeating the counts
("18 of 20 answers met the standard"): the page shows them from the point's own numerator
and denominator, which corrections update. Every measure's stored summary is then refilled,
also because a measure's state now takes its SPC assurance into account. Migrations write no
audit-trail entries; what moved is printed.
"""

import importlib
import re

from django.db import migrations

COUNTS_IN_NOTE = re.compile(r":? \d+(?:\.\d+)? of \d+(?:\.\d+)? answers met the standard")


def _move(DataPoint, db, point, day) -> str:
    """Move ``point`` to ``day``: "moved", "clash" (another audit point there) or "same"."""
    if point.period_date == day:
        return "same"
    other = (
        DataPoint.objects.using(db).filter(measure_id=point.measure_id, period_date=day).exclude(pk=point.pk).first()
    )
    if other is not None:
        if other.source == "audit":
            return "clash"
        point.note = f"{point.note} (replaced a hand-entered {other.value:g})"[:300]
        other.delete()
    point.period_date = day
    point.save(update_fields=["period_date", "note"])
    return "moved"


def redate(apps, schema_editor):
    from audits.periods import period_bounds

    DataPoint = apps.get_model("recovery", "DataPoint")
    Link = apps.get_model("audits", "AuditDataPoint")
    Feed = apps.get_model("audits", "MeasureFeed")
    db = schema_editor.connection.alias
    moved, clashes = 0, 0
    for link in Link.objects.using(db).select_related("audit", "data_point").order_by("pk"):
        outcome = _move(DataPoint, db, link.data_point, link.audit.period_end)
        moved += outcome == "moved"
        clashes += outcome == "clash"
    effectiveness = Feed.objects.using(db).filter(kind="effectiveness").select_related("measure")
    for feed in effectiveness:
        points = DataPoint.objects.using(db).filter(measure_id=feed.measure_id, source="audit").order_by("period_date")
        for point in points:
            outcome = _move(DataPoint, db, point, period_bounds(feed.measure.cadence, point.period_date)[1])
            moved += outcome == "moved"
            clashes += outcome == "clash"
    for point in DataPoint.objects.using(db).filter(source="audit", note__contains=" answers met the standard"):
        note = COUNTS_IN_NOTE.sub("", point.note)
        if note != point.note:
            point.note = note
            point.save(update_fields=["note"])
    if moved or clashes:
        print(f"\n  Audit-fed points re-dated to their audit's period: {moved} moved, {clashes} left (clash).")
    importlib.import_module("recovery.migrations.0005_fill_measure_summaries").fill(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0005_free_text_length_limits"),
        ("recovery", "0012_point_corrections"),
    ]

    operations = [migrations.RunPython(redate, migrations.RunPython.noop)]
