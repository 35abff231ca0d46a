"""Pages of the plan import: upload -> columns -> preview (fix or skip rows) -> confirm.

Thin: look up through the policy, bind a form, call a service. The parsed rows wait in a
``PlanImport`` between the steps; the file is never stored or served.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core import permissions as policy
from core.forms import apply_errors, posted
from core.selectors import service_for_slug
from core.views import form_page, redrawn_status, saved
from recovery.importing import selectors, services
from recovery.importing.forms import ConfirmForm, FixFormSet, MappingForm, UploadForm
from recovery.importing.interpret import Context, text_of
from recovery.importing.mapping import FIELDS
from recovery.importing.models import PlanImport

V = policy.Verb
FIX_FORMS = 100


def _crumbs(service, *more):
    return [(service.name, service.get_absolute_url()), *more]


def _import_for(request, pk: int) -> PlanImport:
    return policy.get_or_404(
        request.user, PlanImport.objects.select_related("service", "provider", "created_by"), V.EDIT_PLAN, pk=pk
    )


@login_required
def upload(request, service: str):
    service_obj = service_for_slug(request.user, service)
    policy.require(request.user, V.EDIT_PLAN, service_obj)
    form = UploadForm(posted(request), request.FILES or None)

    def save(data):
        file = data["file"]
        return services.plan_import_start(actor=request.user, service=service_obj, filename=file.name, data=file.read())

    def draw():
        context = {
            "service": service_obj,
            "form": form,
            "imports": selectors.imports_at(request.user, service_obj),
            "crumbs": _crumbs(service_obj),
        }
        return render(request, "recovery/importing/upload.html", context, status=redrawn_status(request))

    return form_page(
        request,
        form,
        save=save,
        success=lambda imp: saved(request, f"Read {imp.row_count} rows from {imp.filename}.", imp.get_absolute_url()),
        render=draw,
    )


@login_required
def mapping(request, pk: int):
    plan_import = _import_for(request, pk)
    if plan_import.stage == PlanImport.Stage.IMPORTED:
        return redirect("recovery:plan_import_preview", pk=pk)
    heads = selectors.heads_of(plan_import)
    samples = selectors.samples(plan_import, len(heads))
    form = MappingForm(posted(request), heads=heads, mapping=plan_import.mapping, samples=samples)

    def draw():
        context = {
            "plan_import": plan_import,
            "form": form,
            "service": plan_import.service,
            "crumbs": _crumbs(plan_import.service, ("Import a plan", _upload_url(plan_import))),
        }
        return render(request, "recovery/importing/mapping.html", context, status=redrawn_status(request))

    return form_page(
        request,
        form,
        save=lambda data: services.plan_import_map(actor=request.user, plan_import=plan_import, mapping=form.mapping()),
        success=lambda imp: redirect("recovery:plan_import_preview", pk=imp.pk),
        render=draw,
    )


def _upload_url(plan_import: PlanImport) -> str:
    return reverse("recovery:plan_import_upload", kwargs={"service": plan_import.service.slug})


@login_required
def preview(request, pk: int):
    plan_import = _import_for(request, pk)
    if plan_import.stage == PlanImport.Stage.MAPPING:
        return redirect("recovery:plan_import_mapping", pk=pk)
    done = plan_import.stage == PlanImport.Stage.IMPORTED
    ctx = Context.load(plan_import.service)
    rows = [] if done else selectors.preview(plan_import, ctx)
    problem_rows = [r for r in rows if r.problems]
    skipped = set(plan_import.skipped)
    # A fix form for the first FIX_FORMS rows with problems; beyond that the page would be too
    # long to use: those rows are listed with their problems and skipped unless fixed in the file.
    fixable = problem_rows[:FIX_FORMS]
    initial = [{"row": r.number, "skip": r.number in skipped, **_fixed(plan_import, r.number)} for r in fixable]
    formset = FixFormSet(posted(request), initial=initial, prefix="rows", people=ctx.people)
    if request.method == "POST" and not done and formset.is_valid():
        fixes = {f.cleaned_data["row"]: f.fixes() for f in formset.forms if f.cleaned_data.get("row")}
        skips = {f.cleaned_data["row"] for f in formset.forms if f.cleaned_data.get("skip")}
        try:
            services.plan_import_fix(actor=request.user, plan_import=plan_import, fixes=fixes, skipped=skips)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return saved(request, "Your changes to the rows were kept. Nothing is imported yet.", request.path)
    forms_by_row = {f.initial.get("row") or _posted_row(f): f for f in formset.forms}
    context = {
        "plan_import": plan_import,
        "service": plan_import.service,
        "done": done,
        "rows": [_row_view(r, forms_by_row.get(r.number), skipped, ctx) for r in rows],
        "heads": selectors.heads_of(plan_import),
        "mapped": [
            (h, FIELDS[m]) for h, m in zip(selectors.heads_of(plan_import), plan_import.mapping, strict=False) if m
        ],
        "formset": formset,
        "confirm_form": ConfirmForm(),
        "problem_count": len(problem_rows),
        "unfixable_count": max(len(problem_rows) - FIX_FORMS, 0),
        "ready_count": sum(1 for r in rows if not r.problems and r.number not in skipped),
        "result": plan_import.result,
        "crumbs": _crumbs(plan_import.service, ("Import a plan", _upload_url(plan_import))),
    }
    return render(request, "recovery/importing/preview.html", context, status=redrawn_status(request))


def _posted_row(form):
    try:
        return int(form["row"].value())
    except (TypeError, ValueError):
        return None


def _fixed(plan_import: PlanImport, number: int) -> dict:
    return dict(plan_import.fixes.get(str(number), {}))


def _row_view(row, form, skipped, ctx) -> dict:
    return {
        "number": row.number,
        "issue": row.issue,
        "action": row.action,
        "owner": ctx.people.get(row.owner_id, row.owner_text),
        "due": row.due,
        "due_text": row.due_text,
        "outcome": row.outcome,
        "opens": row.can_open,
        "problems": list(row.problems.values()),
        "skipped": row.number in skipped,
        "notes": " · ".join(f"{k}: {text_of(v)}" for k, v in row.notes.items()),
        "form": form,
    }


@login_required
@require_POST
def confirm(request, pk: int):
    plan_import = _import_for(request, pk)
    form = ConfirmForm(request.POST)
    form.is_valid()
    try:
        result = services.plan_import_confirm(actor=request.user, plan_import=plan_import)
    except ValidationError as exc:
        apply_errors(form, exc)
        messages.error(request, " ".join(exc.messages))
        return redirect("recovery:plan_import_preview", pk=pk)
    return saved(
        request,
        f"Imported {len(result.imported)} row(s), updated {len(result.updated)}, skipped {len(result.skipped)}.",
        "recovery:plan_import_preview",
        pk=pk,
    )
