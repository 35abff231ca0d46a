"""Reads for audits: lists, the schedule of due audits, effectiveness. Query counts are bounded."""

from __future__ import annotations

import datetime
import operator
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce

from django.db.models import BooleanField, Case, Count, Prefetch, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from core import permissions as policy
from core.exports import Column, Table
from core.models import Service
from recovery.models import FailureTheme, OutcomeMeasure, RecoveryAction

from . import compliance as comp
from .models import (
    Audit,
    AuditActionArising,
    AuditRecord,
    AuditTemplate,
    AuditTemplateVersion,
    Criterion,
    MeasureFeed,
    rules_of,
)
from .periods import period_bounds, period_label, periods_back, previous_period

DONE = "done"
DUE = "due"
OVERDUE = "overdue"
STATE_LABELS = {DONE: "Done", DUE: "Due", OVERDUE: "Overdue"}
STATE_BADGES = {DONE: "text-bg-success", DUE: "text-bg-warning", OVERDUE: "text-bg-danger"}
PERIODS_SHOWN = {"weekly": 8, "monthly": 6, "quarterly": 4}


def visible_templates(user, qs: QuerySet[AuditTemplate] | None = None) -> QuerySet[AuditTemplate]:
    """Templates are provider-level: anyone with a role at the provider may see them."""
    qs = AuditTemplate.objects.all() if qs is None else qs
    return qs.filter(provider__in=policy.providers(user, policy.Verb.VIEW))


def templates_for_user(user, provider) -> QuerySet[AuditTemplate]:
    return visible_templates(user, AuditTemplate.objects.filter(provider=provider))


def template_for_user(user, pk, verb: policy.Verb = policy.Verb.VIEW) -> AuditTemplate:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    qs = AuditTemplate.objects.select_related("provider")
    try:
        template = visible_templates(user, qs).get(pk=pk)
    except AuditTemplate.DoesNotExist:
        raise Http404("Not found") from None
    if verb != policy.Verb.VIEW and not policy.can(user, verb, template):
        raise PermissionDenied("Your role does not allow this.")
    return template


def template_list(user, provider) -> list[AuditTemplate]:
    """Templates with their current version number, criteria count and services (4 queries)."""
    latest = AuditTemplateVersion.objects.order_by("template_id", "-number")
    templates = list(
        templates_for_user(user, provider)
        .prefetch_related(
            "services",
            Prefetch("versions", queryset=latest.annotate(n_criteria=Count("criteria")), to_attr="version_list"),
        )
        .order_by("title")
    )
    for t in templates:
        t.latest = t.version_list[0] if t.version_list else None
    return templates


def applicable_templates(service: Service) -> QuerySet[AuditTemplate]:
    """Active templates of the service's provider that are due there (no services = everywhere)."""
    return (
        AuditTemplate.objects.filter(provider_id=service.provider_id, is_active=True)
        .filter(Q(services__isnull=True) | Q(services=service))
        .distinct()
        .order_by("title")
    )


def audit_list(service: Service) -> QuerySet[Audit]:
    return (
        Audit.objects.filter(service=service)
        .select_related("template_version__template", "auditor", "amends")
        .order_by("-period_end", "-pk")
    )


# --- the export ------------------------------------------------------------------------------


def audits_for_export(service: Service) -> list[Audit]:
    """The service's audits as the list shows them, with their criteria, sampled records and
    actions arising (four queries whatever the number of audits)."""
    return list(
        audit_list(service).prefetch_related(
            Prefetch("template_version__criteria", queryset=Criterion.objects.order_by("order", "pk")),
            Prefetch("records", queryset=AuditRecord.objects.order_by("order", "pk")),
            Prefetch(
                "actions_arising",
                queryset=AuditActionArising.objects.select_related("owner", "theme", "action").order_by("order", "pk"),
            ),
        )
    )


AUDIT_COLUMNS = (
    Column("ID", 7),
    Column("Audit", 36, wrap=True),
    Column("Version", 8),
    Column("Area", 22),
    Column("Period start", 12),
    Column("Period end", 12),
    Column("Auditor", 20),
    Column("Status", 14),
    Column("Compliance %", 11, "0.0"),
    Column("Effective", 9),
    Column("Effectiveness gaps", 36, wrap=True),
    Column("Findings", 50, wrap=True),
    Column("Impact check", 12),
    Column("Records sampled", 9),
    Column("Actions arising", 9),
    Column("Submitted", 16),
    Column("Amends audit", 9),
    Column("Amendment reason", 36, wrap=True),
)


def audits_table(audits: list[Audit]) -> Table:
    """One row per audit (the CSV, and the workbook's first sheet)."""

    def rows():
        for a in audits:
            template = a.template_version.template
            yield (
                a.pk,
                template.title,
                a.template_version.number,
                template.get_area_display(),
                a.period_start,
                a.period_end,
                str(a.auditor),
                a.get_status_display(),
                a.compliance,
                a.is_effective,
                "; ".join(a.effectiveness_gap_labels()),
                a.findings,
                a.impact_check_date,
                len(a.records.all()),
                len(a.actions_arising.all()),
                a.submitted_at,
                a.amends_id,
                a.amendment_reason,
            )

    return Table("Audits", AUDIT_COLUMNS, rows())


ANSWER_LABELS = {comp.YES: "Yes", comp.NO: "No", comp.NA: "Not applicable"}
OUTCOME_LABELS = {comp.YES: "Yes", comp.NO: "No", comp.NA: "Not counted"}
ANSWER_COLUMNS = (
    Column("Audit ID", 8),
    Column("Audit", 30),
    Column("Period end", 12),
    Column("Record", 14),
    Column("Criterion", 6),
    Column("Question", 50, wrap=True),
    Column("Answer", 14),
    Column("Meets the standard", 12),
    Column("Comment", 40, wrap=True),
)


def answers_table(audits: list[Audit]) -> Table:
    """One row per sampled record and criterion: what the auditor answered."""

    def rows():
        for a in audits:
            criteria = list(a.template_version.criteria.all())
            for record in a.records.all():
                for c in criteria:
                    answer = record.answers.get(c.key, "")
                    rule = c.rule
                    outcome = rule.outcome(answer)
                    yield (
                        a.pk,
                        a.template_version.template.title,
                        a.period_end,
                        record.record_ref,
                        c.order,
                        c.text + (f" ({c.standard()})" if c.standard() else ""),
                        ANSWER_LABELS.get(answer, "Not answered") if rule.is_yes_no else rule.display(answer),
                        OUTCOME_LABELS.get(outcome, "") if answer else "",
                        record.comment,
                    )

    return Table("Answers", ANSWER_COLUMNS, rows())


COMPLIANCE_COLUMNS = (
    Column("Audit ID", 8),
    Column("Audit", 30),
    Column("Period end", 12),
    Column("Criterion", 6),
    Column("Question", 50, wrap=True),
    Column("Yes", 6),
    Column("No", 6),
    Column("Not applicable", 8),
    Column("Not answered", 8),
    Column("Compliance %", 11, "0.0"),
)


def compliance_table(audits: list[Audit]) -> Table:
    """Compliance per criterion (yes / (yes + no)), worked out as the audit page does."""

    def rows():
        for a in audits:
            criteria = list(a.template_version.criteria.all())
            result = comp.compute([r.answers for r in a.records.all()], [c.key for c in criteria], rules_of(criteria))
            for c in criteria:
                t = result.per_criterion[c.key]
                yield (
                    a.pk,
                    a.template_version.template.title,
                    a.period_end,
                    c.order,
                    c.text + (f" ({c.standard()})" if c.standard() else ""),
                    t.yes,
                    t.no,
                    t.na,
                    t.blank,
                    t.percent,
                )

    return Table("Compliance by criterion", COMPLIANCE_COLUMNS, rows())


ARISING_COLUMNS = (
    Column("Audit ID", 8),
    Column("Audit", 30),
    Column("Period end", 12),
    Column("Finding turned into work", 50, wrap=True),
    Column("Kind", 22),
    Column("Owner", 20),
    Column("Due", 12),
    Column("Theme", 30),
    Column("Recovery action", 30),
    Column("Linked on", 16),
)


def arising_table(audits: list[Audit]) -> Table:
    def rows():
        for a in audits:
            for x in a.actions_arising.all():
                yield (
                    a.pk,
                    a.template_version.template.title,
                    a.period_end,
                    x.description,
                    x.get_kind_display(),
                    str(x.owner) if x.owner else "",
                    x.due_date,
                    x.theme.title if x.theme else "",
                    f"{x.action.reference} {x.action.title}" if x.action else "",
                    x.linked_at,
                )

    return Table("Actions arising", ARISING_COLUMNS, rows())


def standard_lines(criteria, records) -> list[str]:
    """For each number or time criterion with a standard, how many sampled records met it, in
    words, from loaded criteria and records: "Escalated within 4 hours (within 4 h): 8 of 10
    met the standard; longest 6 h 10 min". For the pack's audit section."""
    out = []
    for c in criteria:
        if c.is_yes_no or not c.standard():
            continue
        rule = c.rule
        values = [r.answers.get(c.key, "") for r in records]
        outcomes = [rule.outcome(v) for v in values]
        met, counted = outcomes.count(comp.YES), outcomes.count(comp.YES) + outcomes.count(comp.NO)
        line = f"{c.text} ({c.standard()}): {met} of {counted} met the standard"
        if c.kind == Criterion.Kind.TIME:
            times = [int(v) for v in values if v.isdigit()]
            if times:
                line += f"; longest {comp.format_minutes(max(times))}"
        out.append(line)
    return out


def audit_tables(audits: list[Audit]) -> list[Table]:
    return [audits_table(audits), answers_table(audits), compliance_table(audits), arising_table(audits)]


def audit_for_user(user, pk, verb: policy.Verb = policy.Verb.VIEW) -> Audit:
    qs = Audit.objects.select_related(
        "template_version__template", "service__provider", "provider", "auditor", "amends", "evidence_item"
    )
    return policy.get_or_404(user, qs, verb, pk=pk)


def criteria_of(audit: Audit) -> list[Criterion]:
    return list(audit.template_version.criteria.all())


def amendment_of(audit: Audit) -> Audit | None:
    return Audit.objects.filter(amends=audit).select_related("auditor").first()


def version_chain(audit: Audit) -> list[Audit]:
    """Every version of this audit, oldest first (bounded by the number of amendments)."""
    first = audit
    chain_back = []
    while first.amends_id:
        first = Audit.objects.select_related("auditor").get(pk=first.amends_id)
        chain_back.append(first)
    chain = [*reversed(chain_back), audit]
    nxt = amendment_of(audit)
    while nxt is not None:
        chain.append(nxt)
        nxt = amendment_of(nxt)
    return chain


def owner_choices(service: Service):
    """People who can be given an action at this service (they can see it)."""
    return policy.users_with(policy.Verb.VIEW, service).order_by("first_name", "last_name", "email")


def theme_choices(service: Service) -> list[FailureTheme]:
    return list(
        FailureTheme.objects.filter(service=service).exclude(status=FailureTheme.Status.CLOSED).order_by("title")
    )


def action_choices(service: Service) -> list[RecoveryAction]:
    return list(
        RecoveryAction.objects.filter(service=service).exclude(status=RecoveryAction.Status.CLOSED).order_by("title")
    )


def editable_measures(user, template: AuditTemplate) -> QuerySet[OutcomeMeasure]:
    """Percentage measures of the template's provider the user may edit, not yet fed."""
    qs = OutcomeMeasure.objects.filter(provider_id=template.provider_id, kind=OutcomeMeasure.Kind.PERCENTAGE)
    qs = qs.filter(feed__isnull=True).select_related("service", "action")
    return policy.objects_for(user, qs, policy.Verb.EDIT_PLAN).order_by("service__name", "name")


def may_edit_plans_at(user, provider) -> bool:
    return policy.objects_for(user, Service.objects.filter(provider=provider), policy.Verb.EDIT_PLAN).exists()


def feeds_of(template: AuditTemplate) -> list[MeasureFeed]:
    return list(template.feeds.select_related("measure__service").order_by("measure__name"))


# --- Effectiveness -------------------------------------------------------------------------


def effectiveness_share(audits: QuerySet[Audit]) -> tuple[int, int]:
    """(effective, submitted) among current submitted audits of ``audits``."""
    counts = audits.filter(status=Audit.Status.SUBMITTED).aggregate(
        total=Count("pk"), effective=Count("pk", filter=Q(is_effective=True))
    )
    return counts["effective"], counts["total"]


# --- The schedule --------------------------------------------------------------------------


@dataclass
class PeriodStatus:
    start: datetime.date
    end: datetime.date
    label: str
    state: str
    audit: Audit | None = None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def badge(self) -> str:
        return STATE_BADGES[self.state]


@dataclass
class ScheduleRow:
    template: AuditTemplate
    periods: list[PeriodStatus] = field(default_factory=list)
    draft: Audit | None = None

    @property
    def current(self) -> PeriodStatus | None:
        return self.periods[0] if self.periods else None

    @property
    def overdue_count(self) -> int:
        return sum(1 for p in self.periods if p.state == OVERDUE)


def _since(template: AuditTemplate) -> datetime.date:
    return timezone.localdate(template.created_at) if template.created_at else datetime.date.min


# What the schedule (the page and the service page's panel) shows of an audit.
_SCHEDULE_AUDIT_FIELDS = ("id", "provider_id", "service_id", "template_id", "period_end", "status", "compliance")


def schedule(service: Service, today: datetime.date) -> list[ScheduleRow]:
    """Per template due at the service: recent periods as done / due / overdue (2 queries).

    Periods before the template was created are not shown. The current period is "due"
    until an audit is submitted; a past period without one is "overdue".
    """
    return _schedule(service, today)[0]


def _schedule(service: Service, today: datetime.date, *, last_submitted: bool = False):
    """``schedule``'s rows, and (``last_submitted``) the service's last submitted audit, read
    with the schedule's audits rather than in a query of its own: (rows, last or None)."""
    templates = list(applicable_templates(service).only("id", "title", "frequency", "created_at"))
    windows = {t.pk: periods_back(t.frequency, today, PERIODS_SHOWN.get(t.frequency, 8)) for t in templates}
    conditions = []
    if templates:
        oldest = min(w[-1][0] for w in windows.values())
        conditions.append(Q(template__in=templates, period_end__gte=oldest))
    if last_submitted:
        last_pk = (
            Audit.objects.filter(service=service, status=Audit.Status.SUBMITTED)
            .order_by("-submitted_at", "-period_end", "-pk")
            .values("pk")[:1]
        )
        conditions.append(is_last := Q(pk=Subquery(last_pk)))
    if not conditions:
        return [], None
    qs = Audit.objects.filter(reduce(operator.or_, conditions), service=service).order_by()
    if last_submitted:
        qs = qs.select_related("template").only(*_SCHEDULE_AUDIT_FIELDS, "template__title")
        flag = Case(When(is_last, then=Value(True)), default=Value(False), output_field=BooleanField())
        qs = qs.annotate(is_last=flag)
    else:
        qs = qs.only(*_SCHEDULE_AUDIT_FIELDS)
    audits = list(qs)
    last = next((a for a in audits if getattr(a, "is_last", False)), None)
    by_template: dict[int, list[Audit]] = defaultdict(list)
    for a in audits:
        by_template[a.template_id].append(a)
    rows = []
    for t in templates:
        row = ScheduleRow(template=t)
        mine = by_template.get(t.pk, [])
        done = [a for a in mine if a.status == Audit.Status.SUBMITTED]
        drafts = [a for a in mine if a.status == Audit.Status.DRAFT]
        since = _since(t)
        for start, end in windows[t.pk]:
            hit = next((a for a in done if start <= a.period_end <= end), None)
            if hit is None and end < since:
                break
            state = DONE if hit else (DUE if end >= today else OVERDUE)
            draft = next((a for a in drafts if start <= a.period_end <= end), None)
            row.periods.append(PeriodStatus(start, end, period_label(t.frequency, start, end), state, hit or draft))
        row.draft = next((a for a in drafts if row.current and a.period_end == row.current.end), None)
        rows.append(row)
    return rows, last


@dataclass(frozen=True)
class OverdueAudit:
    service: Service
    template: AuditTemplate
    period_start: datetime.date
    period_end: datetime.date

    @property
    def days_overdue(self) -> int:
        return (timezone.localdate() - self.period_end).days


def overdue_audits(services_queryset: QuerySet[Service], today: datetime.date) -> list[OverdueAudit]:
    """Services whose audit for the last completed period of a template was not submitted.

    Set-based: services, templates (+ their services) and the submitted audits in the
    relevant window are read in four queries, whatever the number of services.
    """
    services = list(services_queryset.select_related("provider"))
    if not services:
        return []
    provider_ids = {s.provider_id for s in services}
    templates = list(
        AuditTemplate.objects.filter(provider_id__in=provider_ids, is_active=True).prefetch_related(
            Prefetch("services", queryset=Service.objects.only("pk"))
        )
    )
    if not templates:
        return []
    windows = {t.pk: previous_period(t.frequency, today) for t in templates}
    oldest = min(start for start, _ in windows.values())
    done = set(
        Audit.objects.filter(
            service__in=[s.pk for s in services],
            template_version__template__in=[t.pk for t in templates],
            status__in=[Audit.Status.SUBMITTED, Audit.Status.SUPERSEDED],
            period_end__gte=oldest,
        ).values_list("service_id", "template_version__template_id", "period_end")
    )
    done_index: dict[tuple[int, int], list[datetime.date]] = defaultdict(list)
    for service_id, template_id, period_end in done:
        done_index[(service_id, template_id)].append(period_end)
    out = []
    for s in services:
        for t in templates:
            if t.provider_id != s.provider_id:
                continue
            where = {x.pk for x in t.services.all()}
            if where and s.pk not in where:
                continue
            start, end = windows[t.pk]
            if end < _since(t):
                continue
            if not any(start <= d <= end for d in done_index.get((s.pk, t.pk), [])):
                out.append(OverdueAudit(s, t, start, end))
    out.sort(key=lambda o: (o.service.name, o.template.title))
    return out


def service_panel(user, service: Service, today: datetime.date) -> dict:
    """The service page's audits panel: the schedule and the last submitted audit (2 queries)."""
    rows, last = _schedule(service, today, last_submitted=True)
    weekly = [r for r in rows if r.template.frequency == "weekly"]
    due_now = [r for r in rows if r.current and r.current.state == DUE]
    overdue = [r for r in rows if r.overdue_count]
    return {
        "rows": rows,
        "last": last,
        "due_now": due_now,
        "overdue": overdue,
        "log_template": (due_now or weekly or rows or [None])[0],
        "can_log": policy.can(user, policy.Verb.LOG_AUDIT, service),
        "this_week": period_bounds("weekly", today),
    }


def submitted_in(audits: Iterable[Audit]) -> list[Audit]:
    return [a for a in audits if a.status == Audit.Status.SUBMITTED]
