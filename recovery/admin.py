"""Admin for recovery plans: for support staff. Statuses and transitions are read-only here."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from core import limits
from core.forms import BoundedCharField, PlausibleDateField, apply_errors
from recovery.measures.services import measure_refresh_summary, point_correct, validate_point
from recovery.models import (
    ActionRisk,
    ActionStep,
    ActionTransition,
    DataPoint,
    FailureTheme,
    LeadershipLearning,
    OutcomeMeasure,
    PointCorrection,
    RecoveryAction,
    ReviewRecord,
    ThemeTransition,
)


class StepInline(admin.TabularInline):
    model = ActionStep
    extra = 0
    raw_id_fields = ("owner", "done_by", "not_needed_by")


class RiskInline(admin.TabularInline):
    model = ActionRisk
    extra = 0
    raw_id_fields = ("created_by",)


class AppendOnlyInline(admin.TabularInline):
    """A record's transitions, shown read-only under it: none added or deleted here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TransitionInline(AppendOnlyInline):
    model = ActionTransition
    fields = ("at", "from_status", "to_status", "actor", "reason", "further_checks")
    readonly_fields = fields


class ThemeTransitionInline(AppendOnlyInline):
    model = ThemeTransition
    fields = ("at", "move", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields


@admin.register(FailureTheme)
class FailureThemeAdmin(admin.ModelAdmin):
    list_display = ("title", "provider", "service", "risk_level", "status", "keep_visible_until")
    list_filter = ("status", "risk_level", "provider")
    search_fields = ("title",)
    readonly_fields = ("status", "closed_at", "keep_visible_until")
    raw_id_fields = ("owner", "created_by", "evidence")
    inlines = [ThemeTransitionInline]


@admin.register(LeadershipLearning)
class LeadershipLearningAdmin(admin.ModelAdmin):
    list_display = ("theme", "recorded_by", "reviewed_by", "reviewed_at")
    raw_id_fields = ("theme", "recorded_by", "reviewed_by", "evidence")


@admin.register(RecoveryAction)
class RecoveryActionAdmin(admin.ModelAdmin):
    list_display = ("title", "provider", "service", "status", "risk_level", "owner", "due_date")
    list_filter = ("status", "risk_level", "provider")
    search_fields = ("title",)
    raw_id_fields = ("theme", "owner", "created_by", "evidence")
    readonly_fields = ("status", "started_on", "proposed_by", "proposed_at", "closed_by", "closed_at")
    inlines = [StepInline, RiskInline, TransitionInline]


class AppendOnlyAdmin(admin.ModelAdmin):
    """A record of what happened: nobody adds, changes or deletes one here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ActionTransition)
class ActionTransitionAdmin(AppendOnlyAdmin):
    """Append-only: nobody adds, changes or deletes a transition here."""

    list_display = ("action", "from_status", "to_status", "actor", "at")
    list_filter = ("to_status",)


@admin.register(ThemeTransition)
class ThemeTransitionAdmin(AppendOnlyAdmin):
    """Append-only, like action transitions: the theme's moves are made on the theme page."""

    list_display = ("theme", "move", "from_status", "to_status", "actor", "at")
    list_filter = ("move",)


@admin.register(ReviewRecord)
class ReviewRecordAdmin(AppendOnlyAdmin):
    """Append-only: reviews are recorded in meetings or on the action and theme pages."""

    list_display = ("layer", "action", "theme", "reviewed_on", "reviewed_by", "outcome")
    list_filter = ("outcome",)


@admin.register(OutcomeMeasure)
class OutcomeMeasureAdmin(admin.ModelAdmin):
    list_display = ("name", "action", "kind", "direction", "target_value", "target_date", "summary_state")
    raw_id_fields = ("action", "evidence")
    readonly_fields = ("summary_state", "summary_variation", "summary_latest_date", "summary_updated_at")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        measure_refresh_summary(obj)  # the stored summary follows the target, direction, name


class DataPointCorrectionForm(forms.ModelForm):
    """The admin's change form for a point: a correction, which needs a reason (see ``point_correct``)."""

    reason = BoundedCharField(
        label="Reason for the correction",
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Needed when the value, a count or the date changes; shown on the measure page's history.",
    )

    period_date = PlausibleDateField(label="Period ending")
    note = BoundedCharField(label="Note", max_length=limits.SHORT_NOTE, required=False)

    class Meta:
        model = DataPoint
        fields = ("period_date", "numerator", "denominator", "value", "note")

    def clean(self):
        data = super().clean()
        point = self.instance
        measure = point.measure
        original = DataPoint.objects.get(pk=point.pk)
        counts = {name: data.get(name) for name in ("numerator", "denominator", "value")}
        if measure.kind == OutcomeMeasure.Kind.PERCENTAGE:
            typed = counts["value"]
            counts["value"] = None  # worked out from the counts, as on the measure page
            numerator, denominator = data.get("numerator"), data.get("denominator")
            if typed is not None and numerator is not None and denominator and typed != original.value:
                worked_out = round(100.0 * numerator / denominator, 2)
                if typed != worked_out:
                    self.add_error(
                        "value",
                        f"This measure's value is worked out from the counts ({numerator:g} of {denominator:g} "
                        f"is {worked_out:g}%): correct the counts instead.",
                    )
                    return data
        try:
            plotted = validate_point(measure, period_date=data.get("period_date"), source=original.source, **counts)
        except ValidationError as exc:
            apply_errors(self, exc, skip_fields_with_errors=True)
            return data

        def num(v):
            return None if v is None else float(v)

        changed = (plotted, num(data.get("numerator")), num(data.get("denominator")), data.get("period_date")) != (
            original.value,
            original.numerator,
            original.denominator,
            original.period_date,
        )
        if changed and not (data.get("reason") or "").strip():
            self.add_error(
                "reason", "Say why the value is being corrected: the reason is kept with the old and new values."
            )
        clash = (
            DataPoint.objects.filter(measure=measure, period_date=data.get("period_date")).exclude(pk=point.pk).first()
        )
        if clash is not None and not (
            original.source == DataPoint.Source.AUDIT and clash.source == DataPoint.Source.MANUAL
        ):
            self.add_error("period_date", "There is already a value for that period; correct that one instead.")
        self.plotted_counts = counts
        return data


@admin.register(DataPoint)
class DataPointAdmin(admin.ModelAdmin):
    """Support corrections go through ``point_correct``: a reason, the correction history, the summary.

    No point is added or deleted here (points come from the measure page, the API and audits;
    deleting one would change a measure without a trace on its page).
    """

    form = DataPointCorrectionForm
    list_display = ("measure", "period_date", "value", "numerator", "denominator", "source")
    readonly_fields = ("measure", "source", "recorded_by", "recorded_at")
    fields = ("measure", "source", "period_date", "numerator", "denominator", "value", "note", "reason")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        point_correct(
            actor=request.user,
            point=obj,
            reason=data.get("reason", ""),
            period_date=data["period_date"],
            note=data.get("note", ""),
            via=PointCorrection.Via.ADMIN,
            check_permission=False,  # support staff: the admin's own permissions apply
            **form.plotted_counts,
        )


@admin.register(PointCorrection)
class PointCorrectionAdmin(AppendOnlyAdmin):
    """Append-only: the history of corrected values, made through the point's change form."""

    list_display = ("measure", "period_date", "old_value", "new_value", "via", "corrected_by", "corrected_at")
    list_filter = ("via",)
