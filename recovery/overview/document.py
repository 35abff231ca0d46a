"""The action plan as a Word document, for a commissioner: each theme, its actions, their
steps, measures and closure story, from an already-loaded ``ActionPlan`` (no queries here)."""

from __future__ import annotations

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt

from core.exports import xml_safe
from recovery.models import OutcomeMeasure, RecoveryAction
from recovery.overview import export as plan_export
from recovery.reviewing.selectors import current_layers, next_due, route_label

S = RecoveryAction.Status


def _t(value) -> str:
    return xml_safe("" if value is None else str(value))


def _facts(doc, pairs: list[tuple[str, str]]) -> None:
    """A two-column table of label / value, skipping empty values."""
    pairs = [(label, value) for label, value in pairs if value]
    if not pairs:
        return
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in pairs:
        cells = table.add_row().cells
        cells[0].text = _t(label)
        cells[0].paragraphs[0].runs[0].bold = True
        cells[0].width, cells[1].width = Cm(4.5), Cm(20)
        cells[1].text = _t(value)
    doc.add_paragraph()


def _grid(doc, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = _t(text)
        cell.paragraphs[0].runs[0].bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = _t(text)
    doc.add_paragraph()


def _label(doc, text: str) -> None:
    doc.add_paragraph().add_run(_t(text)).bold = True


def _action(doc, plan: plan_export.ActionPlan, a: RecoveryAction) -> None:
    doc.add_heading(_t(f"{a.reference} {a.title}"), level=2)
    deadline = plan_export.deadline_label(a, plan.today)
    impact, activity = plan_export.evidence_counts(a)
    layers = current_layers(a)
    next_review = next_due(layers)
    _facts(
        doc,
        [
            ("Owner", str(a.owner)),
            ("Where", a.service.name if a.service else "Provider-wide"),
            ("Due", plan_export.day(a.due_date) + (f" ({deadline.lower()})" if deadline else "")),
            ("Risk", a.get_risk_level_display()),
            ("Status", plan_export.closure_state(a)),
            ("Baseline issue", a.baseline_issue),
            ("Intended outcome", a.intended_outcome or "Not yet defined"),
            ("Measurable target", a.measurable_target),
            (
                "Review",
                route_label(layers)
                + (f"; next due {plan_export.day(next_review)}" if next_review and a.is_open else ""),
            ),
            ("Evidence", f"{impact} impact, {activity} activity"),
        ],
    )
    steps = list(a.steps.all())
    if steps:
        _label(doc, "Steps")
        for s in steps:
            text = f"{s.role}: {s.what}"
            if s.recorded_where:
                text += f" (recorded in {s.recorded_where})"
            if done := plan_export.step_done_text(s):
                text += f". {done}."
            doc.add_paragraph(_t(text), style="List Number")
    measures = list(a.measures.all())
    if measures:
        _label(doc, "How we will know")
        _grid(
            doc,
            ["Measure", "Baseline", "Target", "Latest", "State"],
            [
                [
                    m.name,
                    f"{plan_export.fmt_value(m.baseline_value, m.unit)} ({plan_export.day(m.baseline_date)})",
                    f"{plan_export.fmt_value(m.target_value, m.unit)} by {plan_export.day(m.target_date)}",
                    plan_export.measure_latest_text(m)
                    + (f" ({plan_export.day(m.summary_latest_date)})" if m.summary_latest_date else ""),
                    OutcomeMeasure.State(m.summary_state).label,
                ]
                for m in measures
            ],
        )
    if a.closure_events:
        _label(doc, "Closure")
        for t in a.closure_events:
            text = f"{plan_export.day(t.at)}: {plan_export.CLOSURE_EVENT_LABELS[t.to_status]} by {t.actor}."
            if t.reason:
                text += f" {t.reason}"
            if t.further_checks:
                text += f" Further checks: {t.further_checks}"
            doc.add_paragraph(_t(text), style="List Bullet")


def plan_document(plan: plan_export.ActionPlan, *, exported_by) -> Document:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    doc.styles["Normal"].font.size = Pt(10)
    title = f"Action plan: {plan.where}"
    doc.core_properties.title = _t(title)
    doc.core_properties.author = _t(plan.provider.name)
    doc.add_heading(_t(title), level=0)

    actions = plan.actions
    summary = (
        f"{plan.provider.name}. Exported on {plan_export.day(plan.today)} by {exported_by}. "
        f"{len(plan.themes)} theme{'s' if len(plan.themes) != 1 else ''}, {len(actions)} action"
        f"{'s' if len(actions) != 1 else ''}: "
        f"{sum(1 for a in actions if a.status == S.CLOSED)} closed, "
        f"{sum(1 for a in actions if a.is_overdue(plan.today))} overdue."
    )
    doc.add_paragraph(_t(summary))
    if plan.filters:
        doc.add_paragraph(_t("Filtered: " + "; ".join(f"{k}: {v}" for k, v in plan.filters.items()) + "."))
    if not plan.themes:
        doc.add_paragraph("No recovery themes match.")

    for theme in plan.themes:
        doc.add_heading(_t(theme.title), level=1)
        _facts(
            doc,
            [
                ("What was found", theme.weakness_found),
                (
                    "Source",
                    " · ".join(
                        p
                        for p in (
                            theme.get_source_display(),
                            theme.source_reference,
                            plan_export.day(theme.source_date) if theme.source_date else "",
                        )
                        if p
                    ),
                ),
                ("Where", theme.service.name if theme.service else "Provider-wide"),
                ("Key questions", ", ".join(plan_export.key_questions(theme))),
                ("Regulations", "; ".join(theme.regulation_labels())),
                ("Enforcement", theme.get_enforcement_display() if theme.enforcement else ""),
                ("Risk", theme.get_risk_level_display()),
                ("Status", theme.get_status_display()),
                ("Theme owner", str(theme.owner)),
                ("Leadership learning", "Recorded" if theme.has_learning else "Not yet recorded"),
            ],
        )
        if not theme.plan_actions:
            doc.add_paragraph("No actions yet on this theme.")
        for a in theme.plan_actions:
            _action(doc, plan, a)
    return doc
