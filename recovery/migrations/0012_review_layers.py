"""Review routes of several layers, and append-only review records.

Each existing action and theme had one review cadence (and an action one reviewer role) and
one "last reviewed" date. Each becomes the first layer of its route, with the same meaning:
- an action's layer: its reviewer role and cadence, last reviewed as before, next due one
  cadence after the last review or, if never reviewed, after work started (none for an action
  not started, as before);
- a theme's layer: its cadence, reviewed by the registered manager for a service's theme and by
  the nominated individual for a provider-wide one (the old theme named no reviewer), next due
  one cadence after the last review or the theme's creation.
Then the old columns go.
"""

import datetime

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

import core.limits
from core.db import append_only

# A frozen copy of core.choices.CADENCE_DAYS as it was when this migration was written.
CADENCE_DAYS = {"weekly": 7, "fortnightly": 14, "monthly": 31, "quarterly": 92}


def routes_from_single_cadence(apps, schema_editor):
    RecoveryAction = apps.get_model("recovery", "RecoveryAction")
    FailureTheme = apps.get_model("recovery", "FailureTheme")
    ReviewLayer = apps.get_model("recovery", "ReviewLayer")
    layers = []
    for a in RecoveryAction.objects.only(
        "id", "provider_id", "service_id", "review_role", "review_cadence", "last_reviewed_at", "started_on"
    ).iterator():
        cadence = a.review_cadence if a.review_cadence in CADENCE_DAYS else "weekly"
        start = a.last_reviewed_at or a.started_on
        layers.append(
            ReviewLayer(
                provider_id=a.provider_id,
                service_id=a.service_id,
                action_id=a.pk,
                reviewer_role=a.review_role or "registered_manager",
                cadence=cadence,
                order=1,
                last_reviewed_on=a.last_reviewed_at,
                next_due=start + datetime.timedelta(days=CADENCE_DAYS[cadence]) if start else None,
            )
        )
    for t in FailureTheme.objects.only(
        "id", "provider_id", "service_id", "review_cadence", "last_reviewed_at", "created_at"
    ).iterator():
        cadence = t.review_cadence if t.review_cadence in CADENCE_DAYS else "monthly"
        start = t.last_reviewed_at or timezone.localdate(t.created_at)
        layers.append(
            ReviewLayer(
                provider_id=t.provider_id,
                service_id=t.service_id,
                theme_id=t.pk,
                reviewer_role="registered_manager" if t.service_id else "nominated_individual",
                cadence=cadence,
                order=1,
                last_reviewed_on=t.last_reviewed_at,
                next_due=start + datetime.timedelta(days=CADENCE_DAYS[cadence]),
            )
        )
    ReviewLayer.objects.bulk_create(layers, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_free_text_length_limits"),
        ("recovery", "0011_free_text_length_limits"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReviewLayer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "reviewer_role",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("registered_manager", "Registered manager"),
                            ("deputy_manager", "Deputy manager"),
                            ("lead", "Lead"),
                            ("action_owner", "Action owner"),
                            ("quality_lead", "Quality lead"),
                            ("nominated_individual", "Nominated individual"),
                            ("board_member", "Provider board member"),
                            ("viewer", "Read-only viewer"),
                        ],
                        max_length=30,
                        verbose_name="reviewed by (role)",
                    ),
                ),
                (
                    "cadence",
                    models.CharField(
                        choices=[
                            ("weekly", "Weekly"),
                            ("fortnightly", "Fortnightly"),
                            ("monthly", "Monthly"),
                            ("quarterly", "Quarterly"),
                        ],
                        max_length=20,
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=0)),
                ("last_reviewed_on", models.DateField(blank=True, editable=False, null=True)),
                ("next_due", models.DateField(blank=True, editable=False, null=True)),
                ("retired_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "action",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="review_layers",
                        to="recovery.recoveryaction",
                    ),
                ),
                (
                    "provider",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.provider"
                    ),
                ),
                (
                    "reviewer",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="reviewed by (person)",
                    ),
                ),
                (
                    "service",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.service",
                    ),
                ),
                (
                    "theme",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="review_layers",
                        to="recovery.failuretheme",
                    ),
                ),
            ],
            options={
                "ordering": ["order", "pk"],
            },
        ),
        migrations.CreateModel(
            name="ReviewRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("reviewed_on", models.DateField()),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("assured", "Assured"),
                            ("not_assured", "Not assured"),
                            ("further_checks", "Further checks needed"),
                            ("decision_recorded", "Decision recorded"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "looked_at",
                    models.TextField(
                        max_length=2000, validators=[core.limits.MaxChars(2000)], verbose_name="what was looked at"
                    ),
                ),
                ("place", models.CharField(blank=True, max_length=250)),
                ("place_url", models.CharField(blank=True, max_length=250)),
                ("recorded_at", models.DateTimeField(auto_now_add=True)),
                (
                    "action",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="review_records",
                        to="recovery.recoveryaction",
                    ),
                ),
                (
                    "layer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="records", to="recovery.reviewlayer"
                    ),
                ),
                (
                    "provider",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.provider"
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "service",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.service",
                    ),
                ),
                (
                    "theme",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="review_records",
                        to="recovery.failuretheme",
                    ),
                ),
            ],
            options={
                "ordering": ["-reviewed_on", "-pk"],
            },
        ),
        migrations.AddIndex(
            model_name="reviewlayer",
            index=models.Index(fields=["provider", "next_due"], name="recovery_re_provide_98bf72_idx"),
        ),
        migrations.AddConstraint(
            model_name="reviewlayer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("action__isnull", False), ("theme__isnull", True)),
                    models.Q(("action__isnull", True), ("theme__isnull", False)),
                    _connector="OR",
                ),
                name="review_layer_one_subject",
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewlayer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("reviewer_role", ""), _negated=True), ("reviewer__isnull", False), _connector="OR"
                ),
                name="review_layer_names_a_reviewer",
            ),
        ),
        migrations.AddIndex(
            model_name="reviewrecord",
            index=models.Index(fields=["action", "reviewed_on"], name="recovery_re_action__4af7cf_idx"),
        ),
        migrations.AddIndex(
            model_name="reviewrecord",
            index=models.Index(fields=["theme", "reviewed_on"], name="recovery_re_theme_i_e84f39_idx"),
        ),
        migrations.AddConstraint(
            model_name="reviewrecord",
            constraint=core.limits.LengthCheck(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("looked_at"), 2000
                ),
                name="recovery_reviewrecord_looked_at_max_length",
            ),
        ),
        migrations.RunPython(routes_from_single_cadence, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="failuretheme",
            name="last_reviewed_at",
        ),
        migrations.RemoveField(
            model_name="failuretheme",
            name="review_cadence",
        ),
        migrations.RemoveField(
            model_name="recoveryaction",
            name="last_reviewed_at",
        ),
        migrations.RemoveField(
            model_name="recoveryaction",
            name="review_cadence",
        ),
        migrations.RemoveField(
            model_name="recoveryaction",
            name="review_role",
        ),
        append_only("recovery_reviewrecord"),
    ]
