"""Scans as a whole: bounded queries, the command and the tasks in-process.

The real worker, started as production starts it, is tests/test_worker_processes.py.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits.tests.factories import RecordFactory, SubmittedAuditFactory, TemplateFactory
from core.choices import RiskLevel
from evidence.models import SourceType
from evidence.tests.factories import EvidenceFactory
from governance.flags import tasks
from governance.flags.services import flags_scan_provider
from governance.flags.tests.factories import MeasureTriggerFactory
from governance.models import Challenge, Flag, FlagTrigger
from governance.reviews.tests.factories import OversightReviewFactory
from recovery.models import ActionTransition, OutcomeMeasure, RecoveryAction, ReviewLayer
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

S = RecoveryAction.Status
TODAY = datetime.date.today()


def populate(world, n: int) -> None:
    """``n`` actions across two services touching every rule (closed, open, proposed, overdue...)."""
    statuses = [S.CLOSED, S.IN_PROGRESS, S.CLOSURE_PROPOSED, S.OPEN, S.DRAFT]
    themes = [ThemeFactory(service=s, owner=world.rm) for s in (world.service, world.sibling)]
    # Both themes' review layers were last reviewed 40 days ago: overdue.
    ReviewLayer.objects.filter(theme__in=themes).update(
        last_reviewed_on=TODAY - datetime.timedelta(days=40), next_due=TODAY - datetime.timedelta(days=9)
    )
    for i in range(n):
        theme = themes[i % 2]
        status = statuses[i % len(statuses)]
        action = ActionFactory(
            theme=theme,
            owner=world.rm,
            status=status,
            risk_level=RiskLevel.HIGH if i % 3 == 0 else RiskLevel.MEDIUM,
            started_on=TODAY - datetime.timedelta(days=60),
            due_date=TODAY + datetime.timedelta(days=(-5 if i % 4 == 0 else 30)),
            proposed_at=timezone.now() - datetime.timedelta(days=20) if status == S.CLOSURE_PROPOSED else None,
            closed_at=timezone.now() - datetime.timedelta(days=30) if status == S.CLOSED else None,
        )
        measure = MeasureFactory(action=action)
        # Weekly points up to 15 days ago (stale by then); closed actions end on a sharp drop (drift).
        values = [90, 91, 89, 90, 92, 88, 90, 91, 89, 90, 40] if status == S.CLOSED else [70, 72, 71, 73, 72]
        for j, value in enumerate(reversed(values)):
            DataPointFactory(
                measure=measure,
                period_date=TODAY - datetime.timedelta(days=15 + 7 * j),
                numerator=value,
                denominator=100,
            )
        if i % 5 == 1:  # an evidence request on it, unanswered past its date (overdue request)
            Challenge.objects.create(
                provider=action.provider,
                service=action.service,
                action=action,
                kind=Challenge.Kind.EVIDENCE_REQUEST,
                text="Show the re-audit.",
                raised_by=world.ni,
                addressed_to=world.rm,
                due_on=TODAY - datetime.timedelta(days=3),
            )
        if status == S.CLOSED:
            action.evidence.add(EvidenceFactory(service=theme.service, source_type=SourceType.TRAINING_RECORD))
            ActionTransition.objects.create(
                action=action, from_status=S.CLOSURE_PROPOSED, to_status=S.CLOSED, actor=world.rm
            )
    template = TemplateFactory(provider=world.provider)
    type(template).objects.filter(pk=template.pk).update(created_at=timezone.now() - datetime.timedelta(days=60))
    # Triggers as data: a threshold that holds (a closed action's latest point is 40) and a
    # repeated finding (criterion c1 failed in two weekly audits at Oak House).
    closed = OutcomeMeasure.objects.filter(provider=world.provider, action__status=S.CLOSED).order_by("-pk").first()
    MeasureTriggerFactory(measure=closed, person=world.rm, threshold=50, periods=1)
    for weeks_ago in (1, 2):
        start = TODAY - datetime.timedelta(days=TODAY.weekday() + 7 * weeks_ago)
        audit = SubmittedAuditFactory(service=world.service, template=template, period_start=start)
        RecordFactory(audit=audit, answers={"c1": "no"})
    FlagTrigger.objects.create(
        provider=world.provider,
        service=world.service,
        kind=FlagTrigger.Kind.REPEATED_FINDING,
        name="Escalation missed again",
        person=world.ni,
        created_by=world.ni,
        template=template,
        criterion_key="c1",
        count=2,
        weeks=8,
    )
    OversightReviewFactory(
        service=world.service, chair=world.rm, scheduled_for=timezone.now() - datetime.timedelta(days=3)
    )


def scan_queries(world) -> tuple[int, int]:
    """(queries other than flag INSERTs, flag INSERT statements) of one scan."""
    with CaptureQueriesContext(connection) as ctx:
        flags_scan_provider(provider=world.provider, today=TODAY)
    inserts = sum(1 for q in ctx.captured_queries if q["sql"].startswith("INSERT"))
    return len(ctx.captured_queries) - inserts, inserts


def insert_batches(new_flags: int) -> int:
    """INSERT statements bulk_create needs for ``new_flags`` rows on this database."""
    fields = [f for f in Flag._meta.concrete_fields if not f.primary_key]
    per_batch = min(1000, connection.ops.bulk_batch_size(fields, [Flag()] * new_flags) or 1000)
    return -(-new_flags // per_batch)


def test_scan_query_count_is_the_same_at_10_and_200_actions(world):
    populate(world, 10)
    first_small, inserts_small = scan_queries(world)
    again_small = scan_queries(world)
    Flag.objects.all().delete()
    populate(world, 190)
    assert RecoveryAction.objects.filter(provider=world.provider).count() == 200
    first_large, inserts_large = scan_queries(world)
    again_large = scan_queries(world)
    assert first_small == first_large, "a first scan must not issue a query per action"
    assert again_small == again_large, "a re-scan must not issue a query per action"
    assert again_large[1] == 0
    # New flags are written in batches (one statement on PostgreSQL at this size; SQLite
    # caps a statement at 999 parameters, so a few there), never one per flag.
    assert inserts_small == 1
    assert inserts_large == insert_batches(Flag.objects.count())
    kinds = set(Flag.objects.values_list("kind", flat=True))
    assert kinds == set(Flag.Kind.values), f"every kind should appear in this data, got {sorted(kinds)}"


def test_a_rerun_changes_nothing(world):
    populate(world, 15)
    flags_scan_provider(provider=world.provider, today=TODAY)
    before = list(Flag.objects.order_by("pk").values_list("pk", "kind", "cause", "resolved_at"))
    result = flags_scan_provider(provider=world.provider, today=TODAY)
    after = list(Flag.objects.order_by("pk").values_list("pk", "kind", "cause", "resolved_at"))
    assert before == after
    assert sum(result.raised.values()) == 0 and sum(result.resolved.values()) == 0
    assert sum(result.still_open.values()) == len(before)


def test_run_scans_command_prints_a_summary(world):
    populate(world, 10)
    out = io.StringIO()
    call_command("run_scans", "--provider", world.provider.slug, stdout=out)
    text = out.getvalue()
    assert world.provider.name in text
    for label in Flag.Kind.labels:
        assert label in text
    assert Flag.objects.filter(provider=world.provider).exists()
    out = io.StringIO()
    call_command("run_scans", stdout=out)
    assert "All providers" in out.getvalue()


def test_run_scans_rejects_an_unknown_provider(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("run_scans", "--provider", "nope", stdout=io.StringIO())


def test_tasks_run_in_process_when_eager(world):
    populate(world, 5)
    result = tasks.scan_provider.delay(world.provider.pk).get()
    assert result["provider"] == world.provider.pk and sum(result["raised"].values()) > 0
    assert tasks.scan_all.delay().get() == 2  # both providers queued
    assert tasks.scan_provider.delay(999999).get() == {}


def test_beat_schedule_names_real_tasks():
    from django.conf import settings

    from config.celery_app import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
