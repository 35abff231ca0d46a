"""Store the values a measure's sparkline plots instead of the sparkline's SVG markup.

Lists now draw the sparkline when they are shown (``recovery.measures.charts.sparkline_svg``),
from ``summary_values`` and the stored variation. This fills ``summary_values`` from each
measure's points (the plotted values, oldest first, as the refresh writes them), then drops
the markup column. ``manage.py refresh_measure_summaries`` recomputes every summary at any time.
"""

from collections import defaultdict

from django.db import migrations, models

CHUNK = 500


def fill(apps, schema_editor):
    OutcomeMeasure = apps.get_model("recovery", "OutcomeMeasure")
    DataPoint = apps.get_model("recovery", "DataPoint")
    db = schema_editor.connection.alias
    ids = list(OutcomeMeasure.objects.using(db).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        batch = ids[start : start + CHUNK]
        values = defaultdict(list)
        rows = (
            DataPoint.objects.using(db)
            .filter(measure_id__in=batch)
            .order_by("measure_id", "period_date", "pk")
            .values_list("measure_id", "value")
        )
        for measure_id, value in rows:
            values[measure_id].append(value)
        changed = [OutcomeMeasure(pk=pk, summary_values=values[pk]) for pk in batch if values[pk]]
        OutcomeMeasure.objects.using(db).bulk_update(changed, ["summary_values"], batch_size=100)


class Migration(migrations.Migration):
    dependencies = [("recovery", "0005_fill_measure_summaries")]

    operations = [
        migrations.AddField(
            model_name="outcomemeasure",
            name="summary_values",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="The plotted values, oldest first (for the sparkline).",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RemoveField(model_name="outcomemeasure", name="summary_sparkline_svg"),
    ]
