"""Seed the CQC frameworks as versioned data (names and codes only)."""

import datetime

from django.db import migrations


def load(apps, schema_editor):
    from core.framework_data import CROSSWALK, DRAFT_2026, EVIDENCE_CATEGORIES, KEY_QUESTIONS, SAF_2023

    Version = apps.get_model("core", "FrameworkVersion")
    KeyQuestion = apps.get_model("core", "KeyQuestion")
    Item = apps.get_model("core", "FrameworkItem")
    Category = apps.get_model("core", "EvidenceCategory")
    Crosswalk = apps.get_model("core", "FrameworkCrosswalk")

    versions = {
        "saf-2023": (
            Version.objects.update_or_create(
                code="saf-2023",
                defaults=dict(
                    name="Single Assessment Framework 2023",
                    status="current",
                    published=datetime.date(2023, 11, 1),
                    item_label="Quality statement",
                    scored=True,
                ),
            )[0],
            SAF_2023,
        ),
        "asc-draft-2026": (
            Version.objects.update_or_create(
                code="asc-draft-2026",
                defaults=dict(
                    name="Adult social care framework 2026",
                    status="draft",
                    published=datetime.date(2026, 3, 1),
                    item_label="Key line of enquiry",
                    scored=False,
                ),
            )[0],
            DRAFT_2026,
        ),
    }
    items = {}
    for version, data in versions.values():
        for order, (code, name) in enumerate(KEY_QUESTIONS, start=1):
            kq, _ = KeyQuestion.objects.update_or_create(
                version=version, code=code, defaults={"name": name, "order": order}
            )
            for item_order, (item_code, item_name) in enumerate(data[code], start=1):
                items[item_code], _ = Item.objects.update_or_create(
                    version=version,
                    code=item_code,
                    defaults={"name": item_name, "key_question": kq, "order": item_order},
                )
    saf = versions["saf-2023"][0]
    for order, (code, name) in enumerate(EVIDENCE_CATEGORIES, start=1):
        Category.objects.update_or_create(version=saf, code=code, defaults={"name": name, "order": order})
    for source, target, strength in CROSSWALK:
        Crosswalk.objects.update_or_create(source=items[source], target=items[target], defaults={"strength": strength})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
