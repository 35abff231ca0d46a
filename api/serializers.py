"""What the API shows of each record, and what a data point write accepts.

Read serializers are flat and read only; names are the models' own. A data point write takes
the same fields as the web form (``recovery.measures.forms.DataPointForm``): a date inside the
plausible window, whole numbers for numerator and denominator; the service does the rest.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audits.models import Audit
from core.forms import check_plausible
from core.models import Provider, Service
from governance.models import Flag, OversightReview
from recovery.models import DataPoint, FailureTheme, OutcomeMeasure, RecoveryAction, ReviewLayer

MAX_BULK_POINTS = 1000


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.email}


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ProviderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Provider
        fields = ["id", "slug", "name", "cqc_provider_id"]


class ServiceSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "slug",
            "name",
            "provider",
            "service_type",
            "cqc_location_id",
            "last_inspection_date",
            "overall_rating",
        ]


class _Tenant(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)


class ThemeSerializer(_Tenant):
    owner = serializers.SerializerMethodField()

    class Meta:
        model = FailureTheme
        fields = [
            "id",
            "provider",
            "service",
            "title",
            "weakness_found",
            "source",
            "source_date",
            "risk_level",
            "status",
            "owner",
            "created_at",
            "updated_at",
        ]

    def get_owner(self, obj) -> PersonSerializer:
        return _person(obj.owner)


class MeasureSummarySerializer(serializers.Serializer):
    """The measure's stored summary (kept current by every write to its points)."""

    state = serializers.CharField(source="summary_state")
    variation = serializers.CharField(source="summary_variation")
    assurance = serializers.CharField(source="summary_assurance")
    recent_concern = serializers.BooleanField(source="summary_recent_concern")
    latest_value = serializers.FloatField(source="summary_latest_value", allow_null=True)
    latest_date = serializers.DateField(source="summary_latest_date", allow_null=True)
    point_count = serializers.IntegerField(source="summary_point_count")


class MeasureBriefSerializer(serializers.ModelSerializer):
    summary = MeasureSummarySerializer(source="*", read_only=True)

    class Meta:
        model = OutcomeMeasure
        fields = ["id", "name", "unit", "summary"]


class ReviewLayerSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    reviewer = serializers.SerializerMethodField()

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_reviewer(self, obj) -> dict | None:
        return _person(obj.reviewer) if obj.reviewer_id else None

    class Meta:
        model = ReviewLayer
        fields = ["id", "name", "reviewer_role", "reviewer", "cadence", "last_reviewed_on", "next_due"]


class ActionSerializer(_Tenant):
    owner = serializers.SerializerMethodField()
    measures = MeasureBriefSerializer(many=True, read_only=True)
    review_route = ReviewLayerSerializer(source="current_layers", many=True, read_only=True)

    class Meta:
        model = RecoveryAction
        fields = [
            "id",
            "provider",
            "service",
            "theme",
            "title",
            "baseline_issue",
            "intended_outcome",
            "measurable_target",
            "status",
            "owner",
            "due_date",
            "risk_level",
            "review_route",
            "started_on",
            "closed_at",
            "measures",
            "created_at",
            "updated_at",
        ]

    def get_owner(self, obj) -> PersonSerializer:
        return _person(obj.owner)


class MeasureSerializer(_Tenant):
    summary = MeasureSummarySerializer(source="*", read_only=True)

    class Meta:
        model = OutcomeMeasure
        fields = [
            "id",
            "provider",
            "service",
            "action",
            "name",
            "kind",
            "direction",
            "unit",
            "baseline_value",
            "baseline_date",
            "target_value",
            "target_date",
            "sustain_periods",
            "cadence",
            "summary",
        ]


class PointSerializer(serializers.ModelSerializer):
    class Meta:
        model = DataPoint
        fields = ["id", "measure", "period_date", "numerator", "denominator", "value", "source", "note", "recorded_at"]


class SpcPointSerializer(serializers.Serializer):
    point = serializers.IntegerField(help_text="The data point's id.")
    period_date = serializers.DateField()
    value = serializers.FloatField()
    signal = serializers.CharField(allow_null=True, help_text='"improvement", "concern" or null (common cause).')
    rules = serializers.ListField(child=serializers.IntegerField(), help_text="Special-cause rules 1-4 that fired.")


class SpcSerializer(serializers.Serializer):
    variation = serializers.CharField()
    assurance = serializers.CharField(allow_null=True)
    mean = serializers.FloatField(allow_null=True)
    upper = serializers.FloatField(allow_null=True)
    lower = serializers.FloatField(allow_null=True)
    trial = serializers.BooleanField(help_text="Limits rest on fewer points than settled limits need.")
    baseline_size = serializers.IntegerField()
    points = SpcPointSerializer(many=True)


class MeasureDetailSerializer(MeasureSerializer):
    """A measure with every point and its SPC evaluation (one evaluation of ``measure_summary``)."""

    state = serializers.CharField()
    stale = serializers.BooleanField(allow_null=True)
    points = PointSerializer(many=True)
    spc = SpcSerializer()

    class Meta(MeasureSerializer.Meta):
        fields = [*MeasureSerializer.Meta.fields, "state", "stale", "points", "spc"]


def measure_detail_data(summary) -> dict:
    """The detail representation from a ``MeasureSummary`` (points and SPC already computed)."""
    spc = summary.spc
    data = dict(MeasureSerializer(summary.measure).data)
    data.update(
        state=summary.state,
        stale=summary.stale,
        points=PointSerializer(summary.points, many=True).data,
        spc={
            "variation": spc.variation,
            "assurance": spc.assurance,
            "mean": spc.mean,
            "upper": spc.upper,
            "lower": spc.lower,
            "trial": spc.trial,
            "baseline_size": spc.baseline_size,
            "points": [
                {
                    "point": p.pk,
                    "period_date": p.period_date,
                    "value": p.value,
                    "signal": s.signal,
                    "rules": sorted(s.rules),
                }
                for p, s in zip(summary.points, spc.points, strict=True)
            ],
        },
    )
    return data


class AuditSerializer(_Tenant):
    template = serializers.CharField(source="template_version.template.title", read_only=True)
    template_version = serializers.IntegerField(source="template_version.number", read_only=True)
    auditor = serializers.SerializerMethodField()

    class Meta:
        model = Audit
        fields = [
            "id",
            "provider",
            "service",
            "template",
            "template_version",
            "period_start",
            "period_end",
            "auditor",
            "status",
            "compliance",
            "is_effective",
            "impact_check_date",
            "submitted_at",
        ]

    def get_auditor(self, obj) -> PersonSerializer:
        return _person(obj.auditor)


class FlagSerializer(_Tenant):
    class Meta:
        model = Flag
        fields = [
            "id",
            "provider",
            "service",
            "kind",
            "subject_type",
            "subject_id",
            "subject_label",
            "cause",
            "detail",
            "raised_at",
            "last_seen_at",
            "acknowledged_at",
            "resolved_at",
        ]


class ReviewSerializer(_Tenant):
    chair = serializers.SerializerMethodField()

    class Meta:
        model = OversightReview
        fields = [
            "id",
            "provider",
            "service",
            "kind",
            "title",
            "scheduled_for",
            "status",
            "chair",
            "started_at",
            "finalised_at",
        ]

    def get_chair(self, obj) -> PersonSerializer:
        return _person(obj.chair)


# --- Writes -------------------------------------------------------------------------------


def _plausible(value):
    try:
        check_plausible(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


class PointWriteSerializer(serializers.Serializer):
    """One period's value. Percentage measures take ``numerator`` and ``denominator``; others ``value``."""

    period_date = serializers.DateField(validators=[_plausible], help_text="The last day of the period (YYYY-MM-DD).")
    numerator = serializers.IntegerField(required=False, allow_null=True, help_text="Items that met the standard.")
    denominator = serializers.IntegerField(required=False, allow_null=True, help_text="Items sampled.")
    value = serializers.FloatField(required=False, allow_null=True, help_text="The value for the period.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class PointCorrectionSerializer(serializers.Serializer):
    """A correction of a recorded value: the corrected fields and why (kept in the point's history)."""

    reason = serializers.CharField(max_length=2000, help_text="Why the value is corrected (shown on the measure page).")
    period_date = serializers.DateField(required=False, validators=[_plausible], help_text="Leave out to keep it.")
    numerator = serializers.IntegerField(required=False, allow_null=True, help_text="Items that met the standard.")
    denominator = serializers.IntegerField(required=False, allow_null=True, help_text="Items sampled.")
    value = serializers.FloatField(required=False, allow_null=True, help_text="The value for the period.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class BulkPointSerializer(PointWriteSerializer):
    measure = serializers.IntegerField(help_text="The measure's id.")


class BulkPointsSerializer(serializers.Serializer):
    points = BulkPointSerializer(many=True, allow_empty=False, max_length=MAX_BULK_POINTS)


class PointResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.IntegerField(help_text="201 recorded, 200 already there, 400/403/404/409 refused.")
    point = PointSerializer(required=False)
    errors = serializers.DictField(required=False)


class BulkResultSerializer(serializers.Serializer):
    recorded = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    results = PointResultSerializer(many=True)
