"""Admin for recovery plans: for support staff. Statuses and transitions are read-only here."""

from django.contrib import admin

from recovery.measures.services import measure_refresh_summaries, measure_refresh_summary
from recovery.models import (
    ActionRisk,
    ActionStep,
    ActionTransition,
    DataPoint,
    FailureTheme,
    LeadershipLearning,
    OutcomeMeasure,
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


@admin.register(DataPoint)
class DataPointAdmin(admin.ModelAdmin):
    """Support corrections keep the measure's stored summary in step, as the services do."""

    list_display = ("measure", "period_date", "value", "source")
    raw_id_fields = ("measure", "recorded_by")

    def save_model(self, request, obj, form, change):
        previous = DataPoint.objects.filter(pk=obj.pk).values_list("measure_id", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        measure_refresh_summaries(OutcomeMeasure.objects.filter(pk__in={obj.measure_id, previous} - {None}))

    def delete_model(self, request, obj):
        measure_id = obj.measure_id
        super().delete_model(request, obj)
        measure_refresh_summaries(OutcomeMeasure.objects.filter(pk=measure_id))

    def delete_queryset(self, request, queryset):
        measure_ids = set(queryset.values_list("measure_id", flat=True))
        super().delete_queryset(request, queryset)
        measure_refresh_summaries(OutcomeMeasure.objects.filter(pk__in=measure_ids))
