"""Seed the CQC frameworks as versioned data (names and codes only)."""

from django.db import migrations


def load(apps, schema_editor):
    from core.framework_data import load as load_frameworks

    load_frameworks(apps)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
