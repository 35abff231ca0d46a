"""Outcome measure pages: create and edit a measure, its chart and data, add and correct points."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core import permissions as policy
from core.access import AccessKind, records_access
from core.forms import apply_errors
from core.selectors import history_for
from recovery.measures import charts, rebases
from recovery.measures import selectors as selectors
from recovery.measures import services as services
from recovery.measures.forms import DataPointForm, MeasureForm, PointCorrectionForm, RebaseForm, RebaseRemoveForm
from recovery.measures.links import measure_links
from recovery.measures.measuring import explain
from recovery.measures.spc import segment_starts_for
from recovery.models import DataPoint

Verb = policy.Verb


def link(name: str, **kwargs) -> str:
    """A URL, or "" while the page it names does not exist (pages owned by other parts of the app)."""
    try:
        return reverse(f"recovery:{name}", kwargs=kwargs)
    except NoReverseMatch:
        return ""


def _day(d) -> str:
    return f"{d.day} {d:%b %Y}"


def _measure_context(measure) -> dict:
    action = measure.action
    return {
        "measure": measure,
        "action": action,
        "service": measure.service,
        "provider": measure.provider,
        "action_url": link("action_detail", pk=action.pk),
    }


@login_required
def measure_create(request, action_pk: int):
    action = selectors.action_for_measures(request.user, action_pk, Verb.EDIT_PLAN)
    form = MeasureForm(request.POST if request.method == "POST" else None, submit_label="Add measure")
    if request.method == "POST" and form.is_valid():
        try:
            measure = services.measure_create(actor=request.user, action=action, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Measure \u201c{measure.name}\u201d added. Record its first data point below.")
            return redirect(measure.get_absolute_url())
    return render(
        request,
        "recovery/measures/measure_form.html",
        {
            "form": form,
            "action": action,
            "service": action.service,
            "provider": action.provider,
            "action_url": link("action_detail", pk=action.pk),
            "title": "Add an outcome measure",
        },
    )


@login_required
def measure_edit(request, pk: int):
    measure = selectors.measure_for(request.user, pk, Verb.EDIT_PLAN)
    form = MeasureForm(request.POST if request.method == "POST" else None, measure=measure)
    if request.method == "POST" and form.is_valid():
        try:
            services.measure_update(actor=request.user, measure=measure, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Measure saved.")
            return redirect(measure.get_absolute_url())
    return render(
        request,
        "recovery/measures/measure_form.html",
        {**_measure_context(measure), "form": form, "title": f"Edit measure: {measure.name}"},
    )


@login_required
@records_access(AccessKind.PAGE, label="Measure")
def measure_detail(request, pk: int):
    measure = selectors.measure_for(request.user, pk, Verb.VIEW)
    summary = selectors.measure_summary(measure, today=timezone.localdate())
    corrections = selectors.corrections_for(measure)
    corrected = {c.point_id for c in corrections}
    rows = [
        {
            "point": p,
            "spc": s,
            "meets": measure.meets_target(p.value),
            "text": summary.value_text(p.value),
            "corrected": p.pk in corrected,
        }
        for p, s in zip(summary.points, summary.spc.points, strict=True)
    ]
    user = request.user
    return render(
        request,
        "recovery/measures/measure_detail.html",
        {
            **_measure_context(measure),
            "summary": summary,
            "chart": summary.chart_svg(),
            "description": charts.describe(
                summary.spc,
                unit=measure.unit,
                latest_date=summary.latest.period_date if summary.latest else None,
            ),
            "explanation": explain(summary),
            "rows": list(reversed(rows)),  # newest first in the table
            "can_edit": policy.can(user, Verb.EDIT_PLAN, measure),
            "can_record": policy.can(user, Verb.RECORD_DATA, measure),
            "history": history_for(measure),
            **_rebase_context(measure, summary, can_edit=policy.can(user, Verb.EDIT_PLAN, measure)),
            "corrections": corrections,
            "links": measure_links(user, measure),
        },
    )


def _rebase_context(measure, summary, *, can_edit: bool) -> dict:
    """The measure page's rebases: every one with who and why, and the form offering a new one."""
    offered = rebases.default_rebase_date(measure)
    live = set(measure.spc_rebase_dates or ())
    # Worth offering only when the start falls between values (some before it, some after).
    useful = offered is not None and bool(segment_starts_for([p.period_date for p in summary.points], [offered]))
    return {
        "rebases": rebases.rebases_for(measure),
        "rebase_offered": offered if useful else None,
        "rebase_offered_taken": offered is not None and offered.isoformat() in live,
        "rebase_form": RebaseForm(initial={"from_date": offered}) if can_edit else None,
    }


@login_required
def point_add(request, pk: int):
    measure = selectors.measure_for(request.user, pk, Verb.RECORD_DATA)
    data = request.POST if request.method == "POST" else None
    form = DataPointForm(data, measure=measure, initial={"period_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            point = services.point_record(actor=request.user, measure=measure, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            value = charts.fmt_value(point.value, measure.unit)
            messages.success(request, f"Data point for {_day(point.period_date)} saved: {value}.")
            if "save_another" in request.POST:
                return redirect(reverse("recovery:point_add", kwargs={"pk": measure.pk}))
            return redirect(measure.get_absolute_url())
    return render(
        request,
        "recovery/measures/point_form.html",
        {**_measure_context(measure), "form": form, "title": "Add a data point", "adding": True},
    )


@login_required
def point_edit(request, pk: int):
    point = selectors.point_for(request.user, pk, Verb.RECORD_DATA)
    measure = point.measure
    context = {
        **_measure_context(measure),
        "point": point,
        "title": f"Correct the data point for {_day(point.period_date)}",
    }
    if point.source == DataPoint.Source.AUDIT:
        # The audit owns this value: correcting it here would make the two disagree.
        context["from_audit"] = True
        return render(
            request, "recovery/measures/point_form.html", context, status=409 if request.method == "POST" else 200
        )
    initial = {
        "period_date": point.period_date,
        "numerator": _whole(point.numerator),
        "denominator": _whole(point.denominator),
        "value": point.value,
        "note": point.note,
    }
    form = PointCorrectionForm(request.POST if request.method == "POST" else None, measure=measure, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.point_correct(actor=request.user, point=point, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Data point for {_day(point.period_date)} corrected.")
            return redirect(measure.get_absolute_url())
    context.update(form=form, history=history_for(point), corrections=selectors.corrections_for(measure, point=point))
    return render(request, "recovery/measures/point_form.html", context)


def _whole(v: float | None):
    return int(v) if v is not None and float(v).is_integer() else v


@login_required
def measure_rebase(request, pk: int):
    """Recalculate the limits from a date (the form also sits on the measure page)."""
    measure = selectors.measure_for(request.user, pk, Verb.EDIT_PLAN)
    form = RebaseForm(
        request.POST if request.method == "POST" else None,
        initial={"from_date": rebases.default_rebase_date(measure)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            rebase = rebases.measure_rebase_add(actor=request.user, measure=measure, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"The limits are now recalculated from {_day(rebase.from_date)}.")
            return redirect(measure.get_absolute_url())
    return render(
        request,
        "recovery/measures/rebase_form.html",
        {**_measure_context(measure), "form": form, "title": "Recalculate the chart's limits"},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def rebase_remove(request, pk: int):
    rebase = rebases.rebase_for(request.user, pk, Verb.EDIT_PLAN)
    measure = rebase.measure
    form = RebaseRemoveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            rebases.measure_rebase_remove(actor=request.user, rebase=rebase, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"The limits are no longer recalculated from {_day(rebase.from_date)}.")
            return redirect(measure.get_absolute_url())
    return render(
        request,
        "recovery/measures/rebase_form.html",
        {
            **_measure_context(measure),
            "form": form,
            "rebase": rebase,
            "title": f"Stop recalculating the limits from {_day(rebase.from_date)}",
        },
        status=400 if request.method == "POST" else 200,
    )
