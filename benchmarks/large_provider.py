"""A "large provider" for benchmarks: 20 services, 2,000 actions, 20,000 evidence items,
10,000 audits and 100,000 data points, written with bulk_create in well under a minute.

Rows are written directly (not through the services) with the audit trail switched off: this
is synthetic load, not a history anyone will read. Never run it against a real database: it
refuses db.sqlite3, and the benchmark scripts refuse to start without their own DATABASE_URL.

The benchmark scripts build it on first use (``_setup.provider()``). To build it alone:

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python benchmarks/_setup.py

(sign in as ``ni@large-provider.example``, password ``large-provider-bench``).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from auditlog.context import disable_auditlog
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from audits.models import Audit, AuditTemplate, AuditTemplateVersion, Criterion
from core.choices import CADENCE_DAYS, Cadence, RiskLevel
from core.models import Membership, Provider, Rating, Role, Service, ServiceType, User
from evidence.models import DEFAULT_NATURE, EvidenceItem, SourceType
from recovery.measures.services import measure_refresh_summaries
from recovery.models import ActionTransition, DataPoint, FailureTheme, OutcomeMeasure, RecoveryAction, ReviewLayer

SLUG = "large-provider"
PASSWORD = "large-provider-bench"  # noqa: S105 - synthetic benchmark accounts only


@dataclass(frozen=True)
class Size:
    services: int = 20
    themes_per_service: int = 10
    actions_per_service: int = 100  # 2,000
    evidence_per_service: int = 1_000  # 20,000
    audits_per_service: int = 500  # 10,000
    points_per_measure: int = 50  # 100,000 (one measure per action)
    evidence_links_per_action: int = 5


LARGE = Size()
# A quick check that a benchmark script still runs (BENCH_SIZE=small), not a measurement.
SMALL = Size(
    services=2,
    themes_per_service=2,
    actions_per_service=10,
    evidence_per_service=20,
    audits_per_service=10,
    points_per_measure=5,
    evidence_links_per_action=2,
)
BATCH = 2_000


def _bulk(model, rows):
    return model.objects.bulk_create(rows, batch_size=BATCH)


def large_provider() -> Provider | None:
    return Provider.objects.filter(slug=SLUG).first()


def refuse_default_database() -> None:
    """Stop before filling the development database (db.sqlite3) with synthetic data."""
    name = str(connection.settings_dict.get("NAME", ""))
    if name.endswith("db.sqlite3"):
        raise RuntimeError(
            "Refusing to fill db.sqlite3 with synthetic data. Point DATABASE_URL at a separate database, "
            "e.g. DATABASE_URL=sqlite:////tmp/bench.sqlite3."
        )


def build_large_provider(size: Size = LARGE, *, seed: int = 7) -> Provider:
    """Build the large provider once; returns the existing one if it is already there."""
    refuse_default_database()
    existing = large_provider()
    if existing is not None:
        return existing
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    with disable_auditlog(), transaction.atomic():
        provider = Provider.objects.create(name="Large Care Group (benchmark)", slug=SLUG)
        ratings = [Rating.REQUIRES_IMPROVEMENT, Rating.INADEQUATE, Rating.GOOD]
        services = _bulk(
            Service,
            [
                Service(
                    provider=provider,
                    name=f"Benchmark Service {i + 1:02d}",
                    slug=f"{SLUG}-{i + 1:02d}",
                    service_type=ServiceType.RESIDENTIAL if i % 3 else ServiceType.HOMECARE,
                    overall_rating=ratings[i % 3],
                )
                for i in range(size.services)
            ],
        )
        password = make_password(PASSWORD)
        leaders = _bulk(
            User,
            [
                User(email=f"{role}@{SLUG}.example", first_name=role.title(), last_name="Bench", password=password)
                for role in ("ni", "quality", "board")
            ],
        )
        managers = _bulk(
            User,
            [
                User(
                    email=f"rm{i + 1:02d}@{SLUG}.example", first_name="Manager", last_name=str(i + 1), password=password
                )
                for i in range(size.services)
            ],
        )
        ni, quality, board = leaders
        _bulk(
            Membership,
            [
                Membership(user=ni, provider=provider, role=Role.NOMINATED_INDIVIDUAL),
                Membership(user=quality, provider=provider, role=Role.QUALITY_LEAD),
                Membership(user=board, provider=provider, role=Role.BOARD_MEMBER),
                *[
                    Membership(user=rm, provider=provider, service=s, role=Role.REGISTERED_MANAGER)
                    for rm, s in zip(managers, services, strict=True)
                ],
            ],
        )
        rm_of = {s.pk: rm for rm, s in zip(managers, services, strict=True)}

        themes = _bulk(
            FailureTheme,
            [
                FailureTheme(
                    provider=provider,
                    service=s,
                    title=f"Theme {t + 1} at {s.name}",
                    weakness_found="Found at inspection.",
                    source=FailureTheme.Source.INSPECTION,
                    risk_level=RiskLevel.HIGH if t % 3 == 0 else RiskLevel.MEDIUM,
                    owner=rm_of[s.pk],
                    status=FailureTheme.Status.MONITORING if t % 5 == 4 else FailureTheme.Status.OPEN,
                    keep_visible_until=today + datetime.timedelta(days=30) if t % 5 == 4 else None,
                )
                for s in services
                for t in range(size.themes_per_service)
            ],
        )
        themes_of: dict[int, list[FailureTheme]] = {}
        for t in themes:
            themes_of.setdefault(t.service_id, []).append(t)

        S = RecoveryAction.Status
        mix = [S.IN_PROGRESS] * 4 + [S.CLOSED] * 2 + [S.CLOSURE_PROPOSED, S.OPEN, S.DRAFT, S.REOPENED]
        actions = []
        for s in services:
            for a in range(size.actions_per_service):
                status = mix[a % len(mix)]
                started = today - datetime.timedelta(days=rng.randint(30, 200))
                actions.append(
                    RecoveryAction(
                        provider=provider,
                        service=s,
                        theme=themes_of[s.pk][a % size.themes_per_service],
                        title=f"Action {a + 1} at {s.name}",
                        baseline_issue="Sampled records show the gap.",
                        intended_outcome="People get timely, safe care.",
                        measurable_target="95% of sampled records meet the standard",
                        owner=rm_of[s.pk],
                        due_date=today + datetime.timedelta(days=rng.randint(-40, 120)),
                        risk_level=RiskLevel.HIGH if a % 4 == 0 else RiskLevel.MEDIUM,
                        status=status,
                        started_on=None if status == S.DRAFT else started,
                        proposed_at=now - datetime.timedelta(days=rng.randint(1, 30))
                        if status == S.CLOSURE_PROPOSED
                        else None,
                        closed_at=now - datetime.timedelta(days=rng.randint(1, 60)) if status == S.CLOSED else None,
                        closed_by=rm_of[s.pk] if status == S.CLOSED else None,
                    )
                )
        actions = _bulk(RecoveryAction, actions)
        # Review routes: each theme reviewed monthly by the NI; each action weekly or monthly by
        # the RM, and monthly by the NI when high risk. Last reviews spread over the past weeks.
        layers = []
        for t in themes:
            last = today - datetime.timedelta(days=rng.randint(0, 45))
            layers.append(
                ReviewLayer(
                    provider=provider,
                    service_id=t.service_id,
                    theme=t,
                    reviewer_role=Role.NOMINATED_INDIVIDUAL,
                    cadence=Cadence.MONTHLY,
                    order=1,
                    last_reviewed_on=last,
                    next_due=last + datetime.timedelta(days=CADENCE_DAYS[Cadence.MONTHLY]),
                )
            )
        for i, a in enumerate(actions):
            route = [(Role.REGISTERED_MANAGER, Cadence.WEEKLY if i % 2 else Cadence.MONTHLY)]
            if a.risk_level == RiskLevel.HIGH:
                route.append((Role.NOMINATED_INDIVIDUAL, Cadence.MONTHLY))
            for order, (role, cadence) in enumerate(route, start=1):
                last = today - datetime.timedelta(days=rng.randint(0, 40))
                layers.append(
                    ReviewLayer(
                        provider=provider,
                        service_id=a.service_id,
                        action=a,
                        reviewer_role=role,
                        cadence=cadence,
                        order=order,
                        last_reviewed_on=None if a.started_on is None else last,
                        next_due=None
                        if a.started_on is None
                        else last + datetime.timedelta(days=CADENCE_DAYS[cadence]),
                    )
                )
        _bulk(ReviewLayer, layers)
        _bulk(
            ActionTransition,
            [
                ActionTransition(
                    action=a,
                    from_status=S.CLOSURE_PROPOSED,
                    to_status=S.CLOSED,
                    actor=ni if i % 2 else rm_of[a.service_id],
                    at=a.closed_at,
                )
                for i, a in enumerate(x for x in actions if x.status == S.CLOSED)
            ],
        )

        measures = _bulk(
            OutcomeMeasure,
            [
                OutcomeMeasure(
                    provider=provider,
                    service_id=a.service_id,
                    action=a,
                    name=f"Sampled records meeting the standard (A-{a.pk})",
                    kind=OutcomeMeasure.Kind.PERCENTAGE,
                    direction=OutcomeMeasure.Direction.HIGHER,
                    unit="%",
                    baseline_value=60,
                    baseline_date=today - datetime.timedelta(days=7 * size.points_per_measure),
                    target_value=95,
                    target_date=today + datetime.timedelta(days=60),
                    cadence=Cadence.WEEKLY,
                )
                for a in actions
            ],
        )
        points = []
        for m in measures:
            level = rng.uniform(60, 95)
            lag = rng.choice([0, 0, 0, 3, 10])  # some measures have gone quiet (stale)
            for k in range(size.points_per_measure):
                value = max(0.0, min(100.0, level + rng.gauss(0, 4) + k * 0.1))
                if k == size.points_per_measure - 1 and m.pk % 7 == 0:
                    value = max(0.0, value - 35)  # a late drop: a concern signal
                period = today - datetime.timedelta(days=7 * (size.points_per_measure - 1 - k + lag))
                points.append(DataPoint(measure=m, period_date=period, numerator=value, denominator=100, value=value))
                if len(points) >= 20_000:
                    _bulk(DataPoint, points)
                    points = []
        _bulk(DataPoint, points)
        # Points written directly, so fill the measures' stored summaries as the services would.
        measure_refresh_summaries(OutcomeMeasure.objects.filter(provider=provider))

        sources = [SourceType.CARE_RECORD, SourceType.OBSERVATION, SourceType.TRAINING_RECORD, SourceType.AUDIT]
        evidence = _bulk(
            EvidenceItem,
            [
                EvidenceItem(
                    provider=provider,
                    service=s,
                    title=f"Evidence {e + 1} at {s.name}",
                    refers_to=today - datetime.timedelta(days=rng.randint(0, 300)),
                    source_type=sources[e % len(sources)],
                    nature=DEFAULT_NATURE[sources[e % len(sources)]],
                    recorded_in="Care records system",
                )
                for s in services
                for e in range(size.evidence_per_service)
            ],
        )
        evidence_of: dict[int, list[EvidenceItem]] = {}
        for e in evidence:
            evidence_of.setdefault(e.service_id, []).append(e)
        through = RecoveryAction.evidence.through
        links = []
        for a in actions:
            pool = evidence_of[a.service_id]
            for e in rng.sample(pool, size.evidence_links_per_action):
                links.append(through(recoveryaction_id=a.pk, evidenceitem_id=e.pk))
        _bulk(through, links)

        templates = _bulk(
            AuditTemplate,
            [
                AuditTemplate(provider=provider, title=f"{area.label} audit", area=area.value, frequency="weekly")
                for area in list(AuditTemplate.Area)[:5]
            ],
        )
        # Templates in use for a year (created "now" they would not be due yet).
        AuditTemplate.objects.filter(provider=provider).update(created_at=now - datetime.timedelta(days=365))
        versions = _bulk(AuditTemplateVersion, [AuditTemplateVersion(template=t, number=1) for t in templates])
        _bulk(
            Criterion,
            [
                Criterion(version=v, key=f"c{c}", order=c, text=f"Criterion {c} is met")
                for v in versions
                for c in range(1, 6)
            ],
        )
        audits = []
        per_template = size.audits_per_service // len(versions)
        for s in services:
            for v_index, v in enumerate(versions):
                # One service has let one template lapse: its latest audit is weeks old.
                gap = 4 if (s.pk % 5 == 0 and v_index == 0) else 1
                for w in range(per_template):
                    end = today - datetime.timedelta(days=today.weekday() + 1 + 7 * (w + gap - 1))
                    audits.append(
                        Audit(
                            provider=provider,
                            service=s,
                            template_id=v.template_id,
                            template_version=v,
                            period_start=end - datetime.timedelta(days=6),
                            period_end=end,
                            auditor=rm_of[s.pk],
                            status=Audit.Status.SUBMITTED,
                            findings="Two records lacked a timed escalation entry.",
                            compliance=rng.uniform(60, 100),
                            submitted_at=now,
                        )
                    )
        _bulk(Audit, audits)
    # Planner statistics for the bulk-loaded tables, as a real database has once it has been
    # in use (autovacuum on PostgreSQL, ``PRAGMA optimize`` on SQLite): without them both
    # planners guess, and e.g. the evidence library's "service or provider-wide" filter
    # reads every provider item instead of two ranges of its index.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return provider
