"""Recovery data for pack tests: themes, learning, actions (closed, refused, open), measures,
audits, evidence with files, challenges and review decisions, ``size`` times over.

Rows are written directly (statuses included) so pack tests do not depend on the workflow
services' rules; the workflow has its own tests.
"""

from __future__ import annotations

import datetime
import hashlib

from django.core.files.base import ContentFile
from django.utils import timezone

from audits.models import Audit, AuditTemplate, AuditTemplateVersion
from core.models import FrameworkItem
from evidence.models import DEFAULT_NATURE, EvidenceItem, SourceType
from governance.models import AgendaItem, Challenge, EvidencePack, OversightReview
from recovery.models import (
    ActionStep,
    ActionTransition,
    DataPoint,
    FailureTheme,
    LeadershipLearning,
    OutcomeMeasure,
    RecoveryAction,
)

S = RecoveryAction.Status


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def evidence(provider, service, *, title, source_type, refers_to, user, with_file=True) -> EvidenceItem:
    item = EvidenceItem(
        provider=provider,
        service=service,
        title=title,
        refers_to=refers_to,
        source_type=source_type,
        nature=DEFAULT_NATURE[source_type],
        recorded_in="Senior oversight log",
        created_by=user,
    )
    if with_file:
        content = f"{title} – record ref R-{refers_to:%m%d}".encode()
        item.file.save("evidence.txt", ContentFile(content), save=False)
        item.file_name = f"{title[:40]}.txt"
        item.file_size = len(content)
        item.file_sha256 = hashlib.sha256(content).hexdigest()
        item.file_content_type = "text/plain"
    item.save()
    return item


def populate(provider, service, *, user, approver, size: int = 1, today: datetime.date | None = None) -> dict:
    """``size`` sets of recovery data at ``service``; returns some of the rows for assertions."""
    today = today or timezone.localdate()
    start = today - datetime.timedelta(days=120)
    safe_item = FrameworkItem.objects.filter(key_question__code="safe").first()
    template = AuditTemplate.objects.create(
        provider=provider, title=f"Escalation record sample {service.pk}", area="deterioration"
    )
    version = AuditTemplateVersion.objects.create(template=template, number=1)
    review = OversightReview.objects.create(
        provider=provider,
        service=service,
        kind=OversightReview.Kind.MONTHLY_LEADERSHIP,
        title="Monthly leadership review",
        scheduled_for=_aware(today - datetime.timedelta(days=20)),
        chair=approver,
    )
    made: dict = {"themes": [], "closed": [], "refused": [], "open": [], "evidence": [], "review": review}
    for n in range(size):
        theme = FailureTheme.objects.create(
            provider=provider,
            service=service,
            title=f"Late escalation of deterioration {n + 1}",
            weakness_found="Changes in mobility and appetite were noted but escalated late.",
            source=FailureTheme.Source.INSPECTION,
            source_reference="CQC inspection report",
            source_date=start,
            owner=user,
            status=FailureTheme.Status.MONITORING if n % 2 else FailureTheme.Status.OPEN,
            keep_visible_until=today + datetime.timedelta(days=60),
        )
        if safe_item:
            theme.framework_items.add(safe_item)
        theme_ev = evidence(
            provider,
            service,
            title=f"Inspection findings {n}",
            source_type=SourceType.OTHER,
            refers_to=start,
            user=user,
        )
        theme.evidence.add(theme_ev)
        learning = LeadershipLearning.objects.create(
            provider=provider,
            service=service,
            theme=theme,
            factors=["oversight", "escalation"],
            why_it_happened="Nobody senior sampled the daily notes.",
            governance_change="Weekly record sampling by the registered manager.",
            how_tested="The quality lead re-samples five records a month.",
            recorded_by=user,
        )
        obs = evidence(
            provider,
            service,
            title=f"Observation of handover {n}",
            source_type=SourceType.OBSERVATION,
            refers_to=today - datetime.timedelta(days=15),
            user=user,
        )
        learning.evidence.add(obs)
        for kind in ("closed", "refused", "open"):
            action = RecoveryAction.objects.create(
                provider=provider,
                service=service,
                theme=theme,
                title=f"{kind.title()} action {n + 1}",
                baseline_issue="Escalation was late in 6 of 10 sampled records.",
                intended_outcome="People whose health changes are seen promptly.",
                measurable_target="95% escalated on time",
                owner=user,
                due_date=today + datetime.timedelta(days=30),
                status={"closed": S.CLOSED, "refused": S.IN_PROGRESS, "open": S.IN_PROGRESS}[kind],
                started_on=start,
                closed_at=_aware(today - datetime.timedelta(days=5)) if kind == "closed" else None,
                closed_by=approver if kind == "closed" else None,
            )
            ActionStep.objects.create(action=action, order=1, role="Senior carer", what="Check notes each shift")
            ev = evidence(
                provider,
                service,
                title=f"Record sample {kind} {n}",
                source_type=SourceType.CARE_RECORD,
                refers_to=today - datetime.timedelta(days=10),
                user=user,
            )
            action.evidence.add(ev)
            made["evidence"].append(ev)
            ActionTransition.objects.create(
                action=action, from_status=S.OPEN, to_status=S.IN_PROGRESS, actor=user, at=_aware(start)
            )
            if kind in ("closed", "refused"):
                ActionTransition.objects.create(
                    action=action,
                    from_status=S.IN_PROGRESS,
                    to_status=S.CLOSURE_PROPOSED,
                    actor=user,
                    at=_aware(today - datetime.timedelta(days=9)),
                    reason="Four weeks at target.",
                )
            if kind == "closed":
                ActionTransition.objects.create(
                    action=action,
                    from_status=S.CLOSURE_PROPOSED,
                    to_status=S.CLOSED,
                    actor=approver,
                    at=_aware(today - datetime.timedelta(days=5)),
                    reason="Re-audit and family feedback show the change held.",
                )
                made["closed"].append(action)
            elif kind == "refused":
                ActionTransition.objects.create(
                    action=action,
                    from_status=S.CLOSURE_PROPOSED,
                    to_status=S.REFUSED,
                    actor=approver,
                    at=_aware(today - datetime.timedelta(days=7)),
                    reason="Only training records: no sign practice changed.",
                    further_checks="Observe two handovers.",
                )
                made["refused"].append(action)
            else:
                made["open"].append(action)
            measure = OutcomeMeasure.objects.create(
                provider=provider,
                service=service,
                action=action,
                name=f"Escalated on time ({kind} {n + 1})",
                kind=OutcomeMeasure.Kind.PERCENTAGE,
                direction=OutcomeMeasure.Direction.HIGHER,
                unit="%",
                baseline_value=60,
                baseline_date=start,
                target_value=95,
                target_date=today + datetime.timedelta(days=30),
            )
            DataPoint.objects.bulk_create(
                DataPoint(
                    measure=measure,
                    period_date=start + datetime.timedelta(days=7 * (w + 1)),
                    numerator=6 + min(w, 4),
                    denominator=10,
                    value=10.0 * (6 + min(w, 4)),
                )
                for w in range(12)
            )
            measure.evidence.add(ev)
        Audit.objects.create(
            provider=provider,
            service=service,
            template_id=version.template_id,
            template_version=version,
            period_start=today - datetime.timedelta(days=14 + 7 * n),
            period_end=today - datetime.timedelta(days=8 + 7 * n),
            auditor=user,
            status=Audit.Status.SUBMITTED,
            findings="Two records lacked a clear rationale for the escalation decision.",
            compliance=70 + 5 * (n % 5),
            is_effective=True,
            submitted_at=_aware(today - datetime.timedelta(days=7)),
        )
        for stype, title in (
            (SourceType.COMPETENCY_CHECK, "Escalation competency check"),
            (SourceType.TRAINING_RECORD, "Deterioration training"),
            (SourceType.FAMILY_FEEDBACK, "Family said calls came sooner"),
            (SourceType.PEOPLES_FEEDBACK, "Resident meeting feedback"),
        ):
            made["evidence"].append(
                evidence(
                    provider,
                    service,
                    title=f"{title} {n}",
                    source_type=stype,
                    refers_to=today - datetime.timedelta(days=12),
                    user=user,
                )
            )
        item = AgendaItem.objects.create(
            review=review,
            order=n,
            kind=AgendaItem.Kind.CLOSURE_PROPOSAL,
            subject_type="action",
            subject_id=made["closed"][-1].pk,
            title=f"Closure of {made['closed'][-1].title}",
            decision=AgendaItem.Decision.PARTLY_ASSURED,
            rationale="Sampling shows improvement; wants one more month of data.",
            decided_by=approver,
            decided_at=_aware(today - datetime.timedelta(days=20)),
        )
        Challenge.objects.create(
            provider=provider,
            service=service,
            review=review,
            agenda_item=item,
            action=made["refused"][-1],
            text="What shows staff escalate at night as well as in the day?",
            raised_by=approver,
            response="Night records are now in the weekly sample.",
            responded_by=user,
            responded_at=timezone.now(),
        )
        made["themes"].append(theme)
    return made


def pack(provider, services, *, user, kind=EvidencePack.Kind.FULL, parameters=None, action=None) -> EvidencePack:
    p = EvidencePack.objects.create(
        provider=provider,
        service=services[0] if len(services) == 1 else None,
        kind=kind,
        action=action,
        parameters=parameters or {},
        requested_by=user,
    )
    p.services.set(services)
    return p
