"""Theme status moves: the append-only ThemeTransition record; status fields no longer editable."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from core.db import append_only


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0006_measure_summary_values"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="failuretheme",
            name="closed_at",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="failuretheme",
            name="status",
            field=models.CharField(
                choices=[("open", "Open"), ("monitoring", "Monitoring"), ("closed", "Closed")],
                default="open",
                editable=False,
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="ThemeTransition",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "move",
                    models.CharField(
                        choices=[
                            ("monitor", "Move to monitoring"),
                            ("close", "Close the theme"),
                            ("reopen", "Reopen the theme"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "from_status",
                    models.CharField(
                        choices=[("open", "Open"), ("monitoring", "Monitoring"), ("closed", "Closed")], max_length=20
                    ),
                ),
                (
                    "to_status",
                    models.CharField(
                        choices=[("open", "Open"), ("monitoring", "Monitoring"), ("closed", "Closed")], max_length=20
                    ),
                ),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                ("reason", models.TextField()),
                (
                    "actor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "theme",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="transitions",
                        to="recovery.failuretheme",
                    ),
                ),
            ],
            options={
                "ordering": ["at", "pk"],
            },
        ),
        append_only("recovery_themetransition"),
    ]
