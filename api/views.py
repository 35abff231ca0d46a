"""The REST API, version 1 (``/api/v1/``): thin views over the selectors and services.

Every list starts from ``core.permissions.objects_for`` (or a selector built on it), so a token
sees what its user sees on the pages; one object is fetched with ``get_or_404`` (another
provider's object is 404). Lists are paginated and filterable by service and date, with
queries bounded whatever the page holds (``api/tests/test_reads.py``).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api import idempotency, serializers, services
from audits.models import Audit
from core import access
from core import permissions as policy
from core.models import Provider
from governance.flags import selectors as flag_selectors
from governance.reviews import selectors as review_selectors
from recovery.measures import selectors as measure_selectors
from recovery.models import DataPoint, FailureTheme, OutcomeMeasure, RecoveryAction
from recovery.reviewing.selectors import layers_prefetch

Verb = policy.Verb


def record_reads(request, response, objects, label: str) -> None:
    """Who read what through the API, as the pages record it (``core.access``): one object read
    is recorded as that object; a list page as its provider (one row per provider on the page,
    the list's own address in the path). Only a successful read by a signed-in token's user."""
    if request.method not in ("GET", "HEAD") or not 200 <= response.status_code < 300:
        return
    if not request.user.is_authenticated:
        return
    if isinstance(objects, list):
        providers = sorted({policy.scope_of(obj)[0] for obj in objects})
        subjects = [Provider(pk=pk) for pk in providers]
    else:
        subjects = [objects]
    for subject in subjects:
        access.write(request, access.Pending(kind=access.AccessKind.API, label=label, subject=subject))


def field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as ``{field: [messages]}`` (``non_field_errors`` for the rest)."""
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if k == NON_FIELD_ERRORS else k): v for k, v in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    """DRF's handler, plus a Django ValidationError from a service as 400 (never a 500), and
    one 404 answer whatever was missing or not the token's to see."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(field_errors(exc))
    return drf_exception_handler(exc, context)


def _parse_date(params, name: str) -> datetime.date | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise exceptions.ValidationError({name: ["Enter a date as YYYY-MM-DD."]}) from None


SERVICE_PARAM = OpenApiParameter("service", OpenApiTypes.STR, description="Only this service (its slug).")


def date_params(field: str) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            "since", OpenApiTypes.DATE, description=f"Only records whose {field} is on or after this date."
        ),
        OpenApiParameter(
            "until", OpenApiTypes.DATE, description=f"Only records whose {field} is on or before this date."
        ),
    ]


class Scoped(viewsets.ReadOnlyModelViewSet):
    """A read-only resource: the records the token's user may see, filtered by service and date."""

    date_field: str | None = None  # filtered by ?since= and ?until=
    service_field: str | None = "service__slug"

    def base_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        return self.base_queryset()

    def get_object(self):
        self._read = super().get_object()
        return self._read

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._read = list(page) if page is not None else list(queryset)
        return page

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        read = getattr(self, "_read", None)
        if read is not None:
            noun = self.get_queryset().model._meta.verbose_name_plural
            record_reads(request, response, read, f"API: {noun}" if isinstance(read, list) else f"API: one of {noun}")
        return response

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        params = self.request.query_params
        if self.service_field and params.get("service"):
            queryset = queryset.filter(**{self.service_field: params["service"]})
        if self.date_field:
            lookup = self.date_field
            field = queryset.model._meta.get_field(lookup)
            if field.get_internal_type() == "DateTimeField":
                lookup += "__date"
            since, until = _parse_date(params, "since"), _parse_date(params, "until")
            if since:
                queryset = queryset.filter(**{f"{lookup}__gte": since})
            if until:
                queryset = queryset.filter(**{f"{lookup}__lte": until})
        return queryset


def _documented(date_field: str | None, *, service: bool = True, extra: list | None = None):
    params = ([SERVICE_PARAM] if service else []) + (date_params(date_field) if date_field else []) + (extra or [])
    return extend_schema_view(list=extend_schema(parameters=params))


@_documented(None, service=False)
class ProviderViewSet(Scoped):
    serializer_class = serializers.ProviderSerializer
    service_field = None

    def base_queryset(self):
        return policy.providers(self.request.user).order_by("name", "pk")


@_documented(None, service=False)
class ServiceViewSet(Scoped):
    serializer_class = serializers.ServiceSerializer
    service_field = None

    def base_queryset(self):
        return policy.services(self.request.user).order_by("provider__name", "name", "pk")


@_documented("source_date")
class ThemeViewSet(Scoped):
    serializer_class = serializers.ThemeSerializer
    date_field = "source_date"

    def base_queryset(self):
        qs = FailureTheme.objects.select_related("provider", "service", "owner").order_by("pk")
        return policy.objects_for(self.request.user, qs)


@_documented("due_date")
class ActionViewSet(Scoped):
    serializer_class = serializers.ActionSerializer
    date_field = "due_date"

    def base_queryset(self):
        measures = OutcomeMeasure.objects.order_by("pk")
        qs = (
            RecoveryAction.objects.select_related("provider", "service", "owner")
            .prefetch_related(Prefetch("measures", queryset=measures), layers_prefetch())
            .order_by("pk")
        )
        return policy.objects_for(self.request.user, qs)


@_documented("target_date")
class MeasureViewSet(Scoped):
    """Measures with their stored summary; one measure with every point and its SPC evaluation."""

    serializer_class = serializers.MeasureSerializer
    date_field = "target_date"

    def base_queryset(self):
        qs = OutcomeMeasure.objects.select_related("provider", "service").order_by("pk")
        return policy.objects_for(self.request.user, qs)

    @extend_schema(responses=serializers.MeasureDetailSerializer)
    def retrieve(self, request, pk=None):
        measure = measure_selectors.measure_for(request.user, _int(pk))
        self._read = measure
        summary = measure_selectors.measure_summary(measure, today=timezone.localdate())
        return Response(serializers.measure_detail_data(summary))


def _int(pk) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise exceptions.NotFound() from None


@_documented("period_end")
class AuditViewSet(Scoped):
    """Submitted audits (drafts are still being logged; superseded ones were amended)."""

    serializer_class = serializers.AuditSerializer
    date_field = "period_end"

    def base_queryset(self):
        qs = (
            Audit.objects.filter(status=Audit.Status.SUBMITTED)
            .select_related("provider", "service", "auditor", "template_version__template")
            .order_by("pk")
        )
        return policy.objects_for(self.request.user, qs)


FLAG_STATE = OpenApiParameter(
    "state", OpenApiTypes.STR, enum=list(flag_selectors.STATES), description="Which flags (default: all)."
)


@_documented("raised_at", extra=[FLAG_STATE])
class FlagViewSet(Scoped):
    serializer_class = serializers.FlagSerializer
    date_field = "raised_at"

    def base_queryset(self):
        qs = flag_selectors.flags_visible(self.request.user).select_related("provider").order_by("pk")
        if self.action == "list":
            qs = flag_selectors.filter_flags(qs, state=self.request.query_params.get("state", "all"))
        return qs


@_documented("scheduled_for")
class ReviewViewSet(Scoped):
    serializer_class = serializers.ReviewSerializer
    date_field = "scheduled_for"

    def base_queryset(self):
        return review_selectors.reviews_for(self.request.user).order_by("pk")


# --- Data points --------------------------------------------------------------------------


def _remote_addr(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


IDEMPOTENCY_PARAM = OpenApiParameter(
    idempotency.HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description="Optional. The same key with the same body replays the first answer; with another body, 422.",
)


class MeasurePointsView(mixins.ListModelMixin, generics.GenericAPIView):
    """A measure's data points: list them, or record one period's value."""

    serializer_class = serializers.PointSerializer

    def get_queryset(self):
        measure = self._measure = measure_selectors.measure_for(self.request.user, _int(self.kwargs["pk"]))
        qs = DataPoint.objects.filter(measure=measure).order_by("period_date", "pk")
        params = self.request.query_params
        since, until = _parse_date(params, "since"), _parse_date(params, "until")
        if since:
            qs = qs.filter(period_date__gte=since)
        if until:
            qs = qs.filter(period_date__lte=until)
        return qs

    @extend_schema(parameters=date_params("period_date"))
    def get(self, request, pk):
        response = self.list(request)
        record_reads(request, response, self._measure, "API: data points of a measure")
        return response

    @extend_schema(
        request=serializers.PointWriteSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={
            201: serializers.PointSerializer,
            200: OpenApiResponse(serializers.PointSerializer, description="The identical point was already there."),
            400: OpenApiResponse(description="A field is missing or wrong: {field: [messages]}."),
            403: OpenApiResponse(description="A read-only token, or a role that may not record data."),
            404: OpenApiResponse(description="No such measure that this token may see."),
            409: OpenApiResponse(description="The period already has a different value."),
            422: OpenApiResponse(description="The Idempotency-Key was used with a different request."),
        },
    )
    def post(self, request, pk):
        return idempotency.once(request, lambda: self._record(request, _int(pk)))

    def _record(self, request, pk: int) -> Response:
        measure = measure_selectors.measure_for(request.user, pk, Verb.RECORD_DATA)
        form = serializers.PointWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            recorded = services.point_put(
                actor=request.user, measure=measure, remote_addr=_remote_addr(request), **form.validated_data
            )
        except services.Conflict as conflict:
            return Response(
                {"detail": conflict.message, "point": serializers.PointSerializer(conflict.point).data},
                status=status.HTTP_409_CONFLICT,
            )
        data = serializers.PointSerializer(recorded.point).data
        return Response(data, status=status.HTTP_201_CREATED if recorded.created else status.HTTP_200_OK)


class PointCorrectionView(generics.GenericAPIView):
    """Correct one recorded value, with a reason: the same service and history as the measure page."""

    serializer_class = serializers.PointCorrectionSerializer

    @extend_schema(
        request=serializers.PointCorrectionSerializer,
        responses={
            200: serializers.PointSerializer,
            400: OpenApiResponse(description="No reason, a wrong field, or a value that comes from an audit."),
            403: OpenApiResponse(description="A read-only token, or a role that may not record data."),
            404: OpenApiResponse(description="No such point that this token may see."),
        },
    )
    def post(self, request, pk):
        point = measure_selectors.point_for(request.user, _int(pk), Verb.RECORD_DATA)
        form = serializers.PointCorrectionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        if point.measure.kind == OutcomeMeasure.Kind.PERCENTAGE:
            data.setdefault("numerator", point.numerator)
            data.setdefault("denominator", point.denominator)
        else:
            data.setdefault("value", point.value)
        corrected = services.point_correct(actor=request.user, point=point, remote_addr=_remote_addr(request), **data)
        return Response(serializers.PointSerializer(corrected).data)


class BulkPointsView(generics.GenericAPIView):
    """Up to 1,000 data points, for any measures, in one call: all or nothing."""

    serializer_class = serializers.BulkPointsSerializer

    @extend_schema(
        request=serializers.BulkPointsSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={
            200: serializers.BulkResultSerializer,
            400: OpenApiResponse(serializers.BulkResultSerializer, description="Nothing recorded: see each result."),
            409: OpenApiResponse(serializers.BulkResultSerializer, description="Nothing recorded: only conflicts."),
        },
    )
    def post(self, request):
        return idempotency.once(request, lambda: self._record(request))

    def _record(self, request) -> Response:
        form = serializers.BulkPointsSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        items = form.validated_data["points"]
        user = request.user
        ids = {item["measure"] for item in items}
        qs = OutcomeMeasure.objects.filter(pk__in=ids).select_related("action", "service", "provider")
        visible = {m.pk: m for m in policy.objects_for(user, qs, Verb.VIEW)}
        pairs, results = [], []
        for index, item in enumerate(items):
            fields = dict(item)
            measure = visible.get(fields.pop("measure"))
            if measure is None:
                results.append({"index": index, "status": 404, "errors": {"measure": ["No such measure."]}})
            elif not policy.can(user, Verb.RECORD_DATA, measure):
                results.append(
                    {"index": index, "status": 403, "errors": {"measure": ["Your role does not allow this."]}}
                )
            else:
                results.append({"index": index})
                pairs.append((index, measure, fields))
        try:
            with transaction.atomic():
                outcomes = services.points_put(
                    actor=user, items=[(m, f) for _, m, f in pairs], remote_addr=_remote_addr(request)
                )
                for (index, _, _), outcome in zip(pairs, outcomes, strict=True):
                    results[index].update(_outcome(outcome))
                refused = [r for r in results if r["status"] >= 400]
                if refused:
                    raise _RollBack
        except _RollBack:
            worst = status.HTTP_409_CONFLICT if all(r["status"] == 409 for r in refused) else 400
            return Response({"recorded": 0, "unchanged": 0, "results": refused}, status=worst)
        created = sum(1 for r in results if r["status"] == 201)
        return Response({"recorded": created, "unchanged": len(results) - created, "results": results})


def _outcome(outcome) -> dict:
    if isinstance(outcome, services.Conflict):
        return {"status": 409, "errors": {"period_date": [outcome.message]}}
    if isinstance(outcome, DjangoValidationError):
        return {"status": 400, "errors": field_errors(outcome)}
    return {"status": 201 if outcome.created else 200, "point": serializers.PointSerializer(outcome.point).data}


class _RollBack(Exception):
    """Raised to undo every point of a bulk call when one of them was refused."""
