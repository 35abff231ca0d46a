"""Before one point per measure and period becomes a rule (0009), resolve the duplicates.

Duplicates came from double clicks, retries and audits submitted at once. For each measure
and period with more than one point, the one kept is the audit-fed one (the audit owns its
period), else the latest entered; the others are deleted (with their audit links) and the
kept point's note says what was merged, so the change is visible on the measure page.
Migrations write no audit-trail entries; the count of merged periods is printed.
Measures touched get their stored summary recomputed, as 0005 does.
"""

import importlib

from django.db import migrations
from django.db.models import Count


def merge(apps, schema_editor):
    DataPoint = apps.get_model("recovery", "DataPoint")
    try:  # present once audits is migrated (an empty database has no duplicates to merge)
        AuditDataPoint = apps.get_model("audits", "AuditDataPoint")
    except LookupError:
        AuditDataPoint = None
    db = schema_editor.connection.alias
    duplicated = (
        DataPoint.objects.using(db)
        .values("measure_id", "period_date")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by("measure_id", "period_date")
    )
    touched = set()
    for group in duplicated:
        points = list(
            DataPoint.objects.using(db).filter(measure_id=group["measure_id"], period_date=group["period_date"])
        )
        # Audit-fed first, then the latest entered.
        points.sort(key=lambda p: (p.source == "audit", p.recorded_at, p.pk), reverse=True)
        kept, dropped = points[0], points[1:]
        values = ", ".join(f"{p.value:g}" for p in dropped)
        kept.note = f"{kept.note} [merged: {len(dropped)} other value(s) for this period removed: {values}]".strip()[
            :300
        ]
        kept.save(update_fields=["note"])
        ids = [p.pk for p in dropped]
        if AuditDataPoint is not None:
            AuditDataPoint.objects.using(db).filter(data_point_id__in=ids).delete()
        DataPoint.objects.using(db).filter(pk__in=ids).delete()
        touched.add(group["measure_id"])
    if touched:
        print(f"\n  Merged duplicate data points in {len(duplicated)} period(s) of {len(touched)} measure(s).")
        fill = importlib.import_module("recovery.migrations.0005_fill_measure_summaries").fill
        fill(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("recovery", "0007_theme_transitions")]

    operations = [migrations.RunPython(merge, migrations.RunPython.noop)]
