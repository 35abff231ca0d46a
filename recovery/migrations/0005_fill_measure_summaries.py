"""Fill the stored summary of every existing measure (see OutcomeMeasure.summary_*).

Reads only the columns the measuring functions need, through the historical models, so it
keeps working when later migrations add columns. ``manage.py refresh_measure_summaries``
does the same at any time.
"""

from collections import defaultdict

from django.db import migrations
from django.utils import timezone

CHUNK = 500
MEASURE_COLUMNS = (
    "id",
    "name",
    "kind",
    "direction",
    "unit",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
    "sustain_periods",
    "cadence",
    "limits_from_first",
)


def fill(apps, schema_editor):
    from recovery.measures.measuring import PointValue, snapshot_values, summarise
    from recovery.models import OutcomeMeasure as CurrentMeasure

    class MeasureRow:
        """The measure fields the measuring functions read, with the model's own target rule."""

        Direction = CurrentMeasure.Direction
        meets_target = CurrentMeasure.meets_target

        def __init__(self, row: dict) -> None:
            self.__dict__.update(row)
            self.pk = row["id"]

    OutcomeMeasure = apps.get_model("recovery", "OutcomeMeasure")
    DataPoint = apps.get_model("recovery", "DataPoint")
    db = schema_editor.connection.alias
    ids = list(OutcomeMeasure.objects.using(db).order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    # Only the summary columns this historical model has: later migrations change them
    # (0006 replaced the stored sparkline markup with ``summary_values`` and fills it itself).
    columns = {f.name for f in OutcomeMeasure._meta.get_fields()}
    for start in range(0, len(ids), CHUNK):
        batch = ids[start : start + CHUNK]
        points = defaultdict(list)
        rows = (
            DataPoint.objects.using(db)
            .filter(measure_id__in=batch)
            .order_by("measure_id", "period_date", "pk")
            .values_list("measure_id", "pk", "period_date", "value")
        )
        for measure_id, pk, period_date, value in rows:
            points[measure_id].append(PointValue(pk, period_date, value))
        for row in OutcomeMeasure.objects.using(db).filter(pk__in=batch).values(*MEASURE_COLUMNS):
            measure = MeasureRow(row)
            values = snapshot_values(summarise(measure, points.get(measure.pk, [])), now=now)
            values = {name: value for name, value in values.items() if name in columns}
            OutcomeMeasure.objects.using(db).filter(pk=measure.pk).update(**values)


class Migration(migrations.Migration):
    dependencies = [("recovery", "0004_measure_summary_snapshot")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
