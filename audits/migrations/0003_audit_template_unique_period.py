"""One audit per template, service and period, as a database constraint.

Concurrent starts of the same audit made several drafts, all submittable, each feeding the
same measure. The template moves onto the audit row (it was reachable only through the
version) so the constraint can name it. Existing rows take their version's template; if a
database already holds duplicates the migration stops and lists them, since an audit is a
record that is not deleted silently.
"""

import django.db.models.deletion
from django.db import migrations, models


def fill_template(apps, schema_editor):
    Audit = apps.get_model("audits", "Audit")
    versions = apps.get_model("audits", "AuditTemplateVersion").objects.values_list("pk", "template_id")
    for version_id, template_id in versions:
        Audit.objects.filter(template_version_id=version_id).update(template_id=template_id)
    duplicates = (
        Audit.objects.filter(amends__isnull=True)
        .values("service_id", "template_id", "period_end")
        .annotate(n=models.Count("pk"))
        .filter(n__gt=1)
    )
    if duplicates:
        listed = "; ".join(
            f"service {d['service_id']}, template {d['template_id']}, period ending {d['period_end']} ({d['n']} audits)"
            for d in duplicates[:20]
        )
        raise RuntimeError(
            "Several audits exist for the same template, service and period. Keep one (amend it with the others' "
            f"answers) and supersede the rest before migrating: {listed}"
        )


class Migration(migrations.Migration):
    dependencies = [("audits", "0002_effectiveness_and_arising")]

    operations = [
        migrations.AddField(
            model_name="audit",
            name="template",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audits",
                to="audits.audittemplate",
            ),
        ),
        migrations.RunPython(fill_template, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="audit",
            name="template",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audits",
                to="audits.audittemplate",
            ),
        ),
        migrations.AddConstraint(
            model_name="audit",
            constraint=models.UniqueConstraint(
                condition=models.Q(amends__isnull=True),
                fields=("service", "template", "period_end"),
                name="one_audit_per_template_and_period",
            ),
        ),
    ]
