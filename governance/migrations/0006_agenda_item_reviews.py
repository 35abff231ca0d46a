"""Links from agenda items to the review records they wrote, and open overdue-review flags
re-keyed to the review layer that replaced their subject's single cadence (so an open flag and
its acknowledgement carry on instead of being resolved and raised again)."""

import django.db.models.deletion
from django.db import migrations, models


def rekey_review_flags(apps, schema_editor):
    Flag = apps.get_model("governance", "Flag")
    ReviewLayer = apps.get_model("recovery", "ReviewLayer")
    for cause, field in (("action_review", "action_id"), ("theme_review", "theme_id")):
        flags = Flag.objects.filter(kind="overdue_review", cause=cause, resolved_at__isnull=True)
        for flag in flags:
            layer = ReviewLayer.objects.filter(**{field: flag.subject_id}).order_by("order", "pk").first()
            if layer is not None:
                Flag.objects.filter(pk=flag.pk).update(cause=f"layer:{layer.pk}")


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0005_free_text_length_limits'),
        ('recovery', '0012_review_layers'),
    ]

    operations = [
        migrations.CreateModel(
            name='AgendaItemReview',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('agenda_item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='layer_reviews', to='governance.agendaitem')),
                ('record', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='agenda_link', to='recovery.reviewrecord')),
            ],
            options={
                'ordering': ['pk'],
            },
        ),
        migrations.RunPython(rekey_review_flags, migrations.RunPython.noop),
    ]
