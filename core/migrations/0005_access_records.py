"""Who looked at what (``AccessRecord``): append-only from the start, like the audit trail."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.db import append_only


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_audit_chain"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("page", "Page view"),
                            ("download", "File download"),
                            ("export", "Export"),
                            ("pack", "Evidence pack download"),
                        ],
                        max_length=10,
                    ),
                ),
                ("label", models.CharField(max_length=80)),
                ("object_type", models.CharField(blank=True, max_length=100)),
                ("object_id", models.BigIntegerField(blank=True, null=True)),
                ("url_name", models.CharField(blank=True, max_length=120)),
                ("path", models.CharField(max_length=500)),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, max_length=300)),
                ("at", models.DateTimeField()),
                (
                    "provider",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.provider"
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
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["-at", "-pk"],
                "indexes": [
                    models.Index(fields=["provider", "-at"], name="core_access_provider_at"),
                    models.Index(fields=["service", "-at"], name="core_access_service_at"),
                    models.Index(fields=["user", "-at"], name="core_access_user_at"),
                ],
            },
        ),
        append_only("core_accessrecord"),
    ]
