"""Audit templates and their versions.

A template's criteria live on a version. Editing the criteria of a template that has audits
creates a new version (past audits keep theirs); a version without audits is edited in place.
Each criterion keeps a stable ``key`` across versions so a measure fed by "the same criterion"
still follows it after an edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from core import events, limits
from core import permissions as policy
from core.models import FrameworkItem, Provider, Service

from ..models import AuditTemplate, AuditTemplateVersion, Criterion

MAX_SAMPLE = 100


@dataclass
class CriterionInput:
    """One criterion as typed. ``kind`` is yes/no, a number or a time within a limit
    (``audits.compliance``): a number may have a range (``min_value``/``max_value``) and a pass
    rule (``pass_rule`` "at_least"/"at_most" with ``pass_value``); a time has ``limit_minutes``."""

    text: str
    guidance: str = ""
    key: str = ""  # an existing criterion's key to keep; empty for a new criterion
    kind: str = Criterion.Kind.YES_NO
    unit: str = ""
    min_value: float | None = None
    max_value: float | None = None
    pass_rule: str = ""
    pass_value: float | None = None
    limit_minutes: int | None = None

    def how(self) -> tuple:
        """How it is answered and counted, as stored (a change of it is a change of criteria)."""
        if self.kind == Criterion.Kind.NUMBER:
            return (self.kind, self.unit.strip(), self.min_value, self.max_value, self.pass_rule, self.pass_value, None)
        if self.kind == Criterion.Kind.TIME:
            return (self.kind, "", None, None, "", None, self.limit_minutes)
        return (Criterion.Kind.YES_NO, "", None, None, "", None, None)


def _how(c: Criterion) -> tuple:
    return (c.kind, c.unit, c.min_value, c.max_value, c.pass_rule, c.pass_value, c.limit_minutes)


def _kind_problem(c: CriterionInput) -> str | None:
    """What is wrong with how a criterion is answered, if anything."""
    if c.kind not in Criterion.Kind.values:
        return "choose how it is answered"
    if c.kind == Criterion.Kind.TIME:
        if c.limit_minutes is None or c.limit_minutes <= 0:
            return "give the time limit it must be within (such as 4h)"
        if c.limit_minutes > 60 * 24 * 366:
            return "give a time limit of a year or less"
    if c.kind == Criterion.Kind.NUMBER:
        if c.min_value is not None and c.max_value is not None and c.min_value > c.max_value:
            return "the lowest number allowed is above the highest"
        if c.pass_rule and c.pass_rule not in (Criterion.PassRule.AT_LEAST, Criterion.PassRule.AT_MOST):
            return "choose when it meets the standard"
        if c.pass_rule and c.pass_value is None:
            return "give the number that meets the standard"
        if len(c.unit.strip()) > 30:
            return "keep the unit to 30 characters or fewer"
    return None


def _validate(
    *, provider: Provider, title: str, area: str, frequency: str, default_sample_size, services, criteria
) -> None:
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = "Give the template a title."
    errors.update(limits.problems(AuditTemplate, title=(title or "").strip()))
    if area not in AuditTemplate.Area.values:
        errors["area"] = "Choose the area this audit covers."
    if frequency not in AuditTemplate.Frequency.values:
        errors["frequency"] = "Choose how often it is due."
    if default_sample_size is None or not 1 <= int(default_sample_size) <= MAX_SAMPLE:
        errors["default_sample_size"] = f"Sample between 1 and {MAX_SAMPLE} records."
    if any(s.provider_id != provider.pk for s in services):
        errors["services"] = "Choose services of this provider."
    if not criteria:
        errors["criteria"] = "Add at least one criterion."
    else:
        missing = [str(i) for i, c in enumerate(criteria, 1) if not c.text.strip()]
        if missing:
            errors["criteria"] = f"Write the wording of criterion {', '.join(missing)}."
        for i, c in enumerate(criteria, 1):
            found = limits.problems(Criterion, text=c.text.strip(), guidance=c.guidance.strip())
            if "text" in found and "criteria" not in errors:
                errors["criteria"] = f"Criterion {i}: {found['text']} Put detail in its guidance."
            elif found and "criteria" not in errors:
                errors["criteria"] = f"Criterion {i}, guidance: {found['guidance']}"
        for i, c in enumerate(criteria, 1):
            problem = _kind_problem(c)
            if problem and "criteria" not in errors:
                errors["criteria"] = f"Criterion {i}: {problem}."
        if "criteria" not in errors and any("\x00" in c.text + c.guidance + c.unit for c in criteria):
            # PostgreSQL cannot store a NUL character (a 500); the form refuses it too.
            errors["criteria"] = "Remove the null character (\\x00) from the criteria; it cannot be stored."
    if "\x00" in (title or ""):
        errors["title"] = "Remove the null character (\\x00); it cannot be stored."
    if errors:
        raise ValidationError(errors)


def _assign_keys(criteria: Sequence[CriterionInput], allowed: set[str], used: set[str]) -> list[tuple]:
    """(key, text, guidance, how) per criterion: known keys kept, new ones made from the wording."""
    taken = set(used)
    out: list[tuple] = []
    seen: set[str] = set()
    for c in criteria:
        key = c.key if c.key in allowed and c.key not in seen else ""
        if not key:
            base = slugify(c.text)[:50] or "criterion"
            key, n = base, 2
            while key in taken or key in seen:
                key, n = f"{base}-{n}", n + 1
        seen.add(key)
        taken.add(key)
        out.append((key, c.text.strip(), c.guidance.strip(), c.how()))
    return out


def _write_criteria(version: AuditTemplateVersion, spec: list[tuple]) -> None:
    version.criteria.all().delete()
    fields = ("kind", "unit", "min_value", "max_value", "pass_rule", "pass_value", "limit_minutes")
    Criterion.objects.bulk_create(
        Criterion(
            version=version, key=key, order=i, text=text, guidance=guidance, **dict(zip(fields, how, strict=True))
        )
        for i, (key, text, guidance, how) in enumerate(spec, 1)
    )


def _check_and_save(
    template: AuditTemplate,
    *,
    title,
    area,
    frequency,
    default_sample_size,
    criteria,
    framework_items,
    services,
    is_active,
) -> None:
    """Validate the template's fields against its provider, then save them and its links."""
    _validate(
        provider=template.provider,
        title=title,
        area=area,
        frequency=frequency,
        default_sample_size=default_sample_size,
        services=services,
        criteria=criteria,
    )
    template.title = title.strip()
    template.area = area
    template.frequency = frequency
    template.default_sample_size = int(default_sample_size)
    template.is_active = is_active
    template.save()
    template.framework_items.set(framework_items)
    template.services.set(services)
    # Where and how often it is due decides the overdue-audit flags of every service.
    events.changed(template, reason="audit_schedule")


@transaction.atomic
def template_create(
    *,
    actor,
    provider: Provider,
    title: str,
    area: str,
    frequency: str = AuditTemplate.Frequency.WEEKLY,
    default_sample_size: int = 10,
    criteria: Sequence[CriterionInput],
    framework_items: Sequence[FrameworkItem] = (),
    services: Sequence[Service] = (),
    is_active: bool = True,
    check_permission: bool = True,
) -> AuditTemplate:
    if check_permission:
        policy.require(actor, policy.Verb.MANAGE_TEMPLATES, provider)
    template = AuditTemplate(provider=provider)
    _check_and_save(
        template,
        title=title,
        area=area,
        frequency=frequency,
        default_sample_size=default_sample_size,
        criteria=criteria,
        framework_items=framework_items,
        services=services,
        is_active=is_active,
    )
    version = AuditTemplateVersion.objects.create(
        template=template, number=1, created_by=actor, change_note="First version"
    )
    _write_criteria(version, _assign_keys(criteria, set(), set()))
    return template


@transaction.atomic
def template_update(
    *,
    actor,
    template: AuditTemplate,
    title: str,
    area: str,
    frequency: str,
    default_sample_size: int,
    criteria: Sequence[CriterionInput],
    framework_items: Sequence[FrameworkItem] = (),
    services: Sequence[Service] = (),
    is_active: bool = True,
    change_note: str = "",
) -> AuditTemplateVersion:
    """Save the template; returns its current version (new if used criteria changed)."""
    policy.require(actor, policy.Verb.MANAGE_TEMPLATES, template)
    limits.check(AuditTemplateVersion, change_note=change_note.strip())
    template = AuditTemplate.objects.select_for_update().get(pk=template.pk)
    _check_and_save(
        template,
        title=title,
        area=area,
        frequency=frequency,
        default_sample_size=default_sample_size,
        criteria=criteria,
        framework_items=framework_items,
        services=services,
        is_active=is_active,
    )

    current = template.current_version()
    old_spec = [(c.key, c.text, c.guidance, _how(c)) for c in current.criteria.all()] if current else []
    used = set(Criterion.objects.filter(version__template=template).values_list("key", flat=True))
    spec = _assign_keys(criteria, {row[0] for row in old_spec}, used)
    if current is not None and spec == old_spec:
        return current
    if current is not None and not current.audits.exists():
        _write_criteria(current, spec)
        if change_note.strip():
            current.change_note = change_note.strip()[:300]
            current.save(update_fields=["change_note"])
        return current
    number = current.number + 1 if current else 1
    version = AuditTemplateVersion.objects.create(
        template=template,
        number=number,
        created_by=actor,
        change_note=change_note.strip()[:300] or "Criteria changed",
    )
    _write_criteria(version, spec)
    return version
