"""Reads for evidence: the library, coverage by key question, links, and who may download.

Themes, learning, actions, measures, audits and reviews live in higher layers and point at
evidence; we reach them only through the reverse relations on ``EvidenceItem`` (by name,
never by import), so this app works whichever of those layers are installed.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, Model, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.urls import NoReverseMatch
from django.utils import timezone

from core import permissions as policy
from core.exports import Column, Table
from core.models import EvidenceCategory, FrameworkVersion, KeyQuestion, Provider, Service

from .models import EvidenceItem, Nature

# Many-to-many links declared on the recovery models: an item linked to any of these is
# "linked" in the library. Audits and reviews own their evidence item one-to-one.
LINK_RELATIONS = ("themes", "learning", "actions", "measures")
OWNER_RELATIONS = ("audit", "review")
PROVIDER_WIDE = "none"  # the library's service filter value for provider-wide items only


def _relation(name: str):
    """The reverse relation ``name`` on EvidenceItem, or None if that layer is absent."""
    for rel in EvidenceItem._meta.related_objects:
        if rel.name == name:
            return rel
    return None


def _link_exists(name: str):
    """An Exists() expression: this item is linked through relation ``name``."""
    rel = _relation(name)
    if rel is None:
        return None
    if rel.many_to_many:
        through = rel.through
        column = rel.field.m2m_reverse_field_name()
        return Exists(through.objects.filter(**{f"{column}_id": OuterRef("pk")}))
    return Exists(rel.related_model.objects.filter(**{f"{rel.field.name}_id": OuterRef("pk")}))


def _link_count(name: str):
    """How many rows link an item through relation ``name``, as a correlated ``COUNT(*)``.

    Written from the models' own table and column names (no user input): the ORM's grouped
    Subquery for six relations took about 3 ms a page to build and compile, more than the
    query took to run. It names the item's table unaliased, so annotate the outer query only."""
    rel = _relation(name)
    if rel is None:
        return Value(0)
    if rel.many_to_many:
        model = rel.through
        column = model._meta.get_field(rel.field.m2m_reverse_field_name()).column
    else:
        model, column = rel.related_model, rel.field.column
    qn = connection.ops.quote_name
    item = f"{qn(EvidenceItem._meta.db_table)}.{qn(EvidenceItem._meta.pk.column)}"
    sql = f"SELECT COUNT(*) FROM {qn(model._meta.db_table)} WHERE {qn(column)} = {item}"  # noqa: S608 - names only
    return RawSQL(sql, (), IntegerField())  # noqa: S611 - no parameters: table and column names from the models


def _linked_q() -> Q:
    q = Q(pk__in=[])
    for name in LINK_RELATIONS:
        expr = _link_exists(name)
        if expr is not None:
            q |= Q(expr)
    return q


def visible_evidence(user, verb: policy.Verb = policy.Verb.VIEW) -> QuerySet[EvidenceItem]:
    """Every evidence item (current or removed) the user may do ``verb`` on."""
    return policy.objects_for(user, EvidenceItem.objects.all(), verb)


def is_provider_level(user, provider: Provider, verb: policy.Verb = policy.Verb.VIEW) -> bool:
    """Whether a provider-wide role grants ``verb`` across ``provider``."""
    return provider.pk in policy.access_for(user).wide_provider_ids(verb)


@dataclass
class LibraryFilters:
    service: str = ""  # a service slug, PROVIDER_WIDE, or "" for everything in scope
    category: int | None = None  # an EvidenceCategory's id
    source_type: str = ""
    nature: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    linked: str = ""  # "linked", "unlinked" or ""
    theme: int | None = None  # a theme's id, one of ``theme_choices``
    q: str = ""


def library_items(
    user, *, provider: Provider, service: Service | None = None, filters: LibraryFilters | None = None
) -> QuerySet[EvidenceItem]:
    """Current evidence the user can see at a service (with provider-wide items) or across a
    provider, narrowed by ``filters``. Not annotated: use ``with_links`` to list it."""
    f = filters or LibraryFilters()
    qs = visible_evidence(user).current().filter(provider=provider)
    if service is not None:
        qs = qs.filter(Q(service=service) | Q(service__isnull=True))
    if f.service == PROVIDER_WIDE:
        qs = qs.filter(service__isnull=True)
    elif f.service:
        qs = qs.filter(service__slug=f.service)
    if f.category is not None:
        qs = qs.filter(category_id=f.category)
    if f.source_type:
        qs = qs.filter(source_type=f.source_type)
    if f.nature:
        qs = qs.filter(nature=f.nature)
    if f.date_from:
        qs = qs.filter(refers_to__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(refers_to__lte=f.date_to)
    if f.linked == "linked":
        qs = qs.filter(_linked_q())
    elif f.linked == "unlinked":
        qs = qs.exclude(_linked_q())
    if f.theme is not None:
        qs = qs.filter(pk__in=_theme_evidence_ids(f.theme))
    if f.q:
        for word in f.q.split()[:8]:
            qs = qs.filter(Q(title__icontains=word) | Q(description__icontains=word))
    return qs


def _theme_evidence_ids(theme: int) -> QuerySet:
    """Ids of items linked to the theme (by id) itself, its learning or its actions."""
    q = Q(pk__in=[])
    if _relation("themes") is not None:
        q |= Q(themes=theme)
    if _relation("actions") is not None:
        q |= Q(actions__theme=theme)
    if _relation("learning") is not None:
        q |= Q(learning__theme=theme)
    return EvidenceItem.objects.filter(q).values("pk")


@functools.cache
def _link_counts() -> dict:
    """The link-count annotations, built once: annotating copies them, never changes them."""
    return {f"n_{name}": _link_count(name) for name in LINK_RELATIONS + OWNER_RELATIONS}


def with_links(qs: QuerySet[EvidenceItem]) -> QuerySet[EvidenceItem]:
    """The queryset ready to list: related rows joined, link counts annotated (no N+1)."""
    return qs.select_related("service", "category", "created_by").annotate(**_link_counts())


# What a library row shows (templatetags/evidence_library.py); the rest of an item stays in the table.
LIBRARY_ROW_FIELDS = ("title", "file_name", "refers_to", "source_type", "nature", "service__name", "category__name")


def library_page(pks: QuerySet) -> QuerySet[EvidenceItem]:
    """One page of the library ready to list, in one query: ``pks`` is the page's slice of
    ``library_items(...).values_list("pk")`` (a subquery), joined and counted for its rows only.

    Paged bare first: with the link counts in the paged query itself, PostgreSQL counts links
    for every matching item before sorting out the page (a service's items and the provider-wide
    ones are two index ranges, so they are sorted)."""
    return (
        EvidenceItem.objects.filter(pk__in=pks)
        .select_related("service", "category")
        .only(*LIBRARY_ROW_FIELDS)
        .annotate(**_link_counts())
        .order_by(*EvidenceItem._meta.ordering)
    )


def link_summary(item: EvidenceItem) -> str:
    """'2 themes; 1 action' from the ``with_links`` annotations, or '' when unlinked."""
    parts = []
    for name in LINK_RELATIONS + OWNER_RELATIONS:
        n = getattr(item, f"n_{name}", 0) or 0
        rel = _relation(name)
        if n and rel is not None:
            meta = rel.related_model._meta
            label = meta.verbose_name if n == 1 else meta.verbose_name_plural
            parts.append(f"{n} {label}")
    return "; ".join(parts)


# --- the export -----------------------------------------------------------------------

LIBRARY_COLUMNS = (
    Column("ID", 8),
    Column("Title", 40, wrap=True),
    Column("Service", 20),
    Column("Refers to", 12),
    Column("Uploaded", 12),
    Column("Category", 22),
    Column("Source type", 24),
    Column("Impact or activity", 12),
    Column("Where it is recorded", 28),
    Column("File name", 24),
    Column("SHA-256", 20),
    Column("Linked to", 30),
)


def library_table(items: QuerySet[EvidenceItem]) -> Table:
    """The library's items as export rows: metadata only, never a file's contents.

    ``items`` is ``library_items`` (the page's own filters and scope); two queries whatever
    its size (the items with their link counts, and nothing per row)."""

    def rows():
        for item in with_links(items).order_by("-refers_to", "-pk"):
            yield (
                item.pk,
                item.title,
                item.service.name if item.service else "Provider-wide",
                item.refers_to,
                timezone.localtime(item.created_at).date(),
                item.category.name if item.category else "",
                item.get_source_type_display(),
                item.get_nature_display(),
                item.recorded_in,
                item.file_name,
                item.file_sha256,
                link_summary(item),
            )

    return Table("Evidence", LIBRARY_COLUMNS, rows())


def theme_choices(user, *, provider: Provider, service: Service | None = None) -> list[tuple[int, str]] | None:
    """(id, title) of the themes the user can see here, for the library's theme filter (None
    without recovery). Values, not instances: a provider-wide library offers hundreds."""
    rel = _relation("themes")
    if rel is None:
        return None
    qs = rel.related_model.objects.filter(provider=provider)
    if service is not None:
        qs = qs.filter(Q(service=service) | Q(service__isnull=True))
    return list(policy.objects_for(user, qs, policy.Verb.VIEW).order_by("title").values_list("pk", "title"))


# --- coverage -------------------------------------------------------------------------


@dataclass
class CoverageRow:
    key_question: KeyQuestion
    cells: list[tuple[EvidenceCategory, int]] = field(default_factory=list)
    uncategorised: int = 0

    @property
    def gaps(self) -> int:
        return sum(1 for _, n in self.cells if n == 0)


@dataclass
class Coverage:
    version: FrameworkVersion | None
    categories: list[EvidenceCategory]
    rows: list[CoverageRow]
    untagged: int

    @property
    def gaps(self) -> int:
        return sum(row.gaps for row in self.rows)


def current_framework() -> FrameworkVersion | None:
    return (
        FrameworkVersion.objects.filter(status=FrameworkVersion.Status.CURRENT).order_by("-published").first()
        or FrameworkVersion.objects.order_by("-published").first()
    )


@dataclass
class LibraryFramework:
    """The current framework's CQC evidence categories and key questions: the library's
    category filter and its coverage grid share them (three plain queries for the page: with the
    version as a subquery, two queries cost more to build than the third took to run)."""

    version: FrameworkVersion | None
    categories: list[EvidenceCategory]
    key_questions: list[KeyQuestion]


def library_framework(*, key_questions: bool = True) -> LibraryFramework:
    """The framework for the library; its key questions only if asked (the coverage grid's rows)."""
    version = current_framework()
    categories = list(EvidenceCategory.objects.filter(version=version).order_by("order"))
    questions = list(KeyQuestion.objects.filter(version=version).order_by("order")) if key_questions else []
    return LibraryFramework(version, categories, questions)


def coverage(
    items: QuerySet[EvidenceItem], *, total: int | None = None, framework: LibraryFramework | None = None
) -> Coverage:
    """Current items per key question x CQC evidence category: one query given ``total``
    (``items.count()``) and ``framework`` (``library_framework()``), five without, whatever the size.
    The library loads it after the page (views.coverage).

    An item tagged to several statements of one key question counts once in that row.
    Key questions are matched by code, so items tagged to any framework version count.
    One aggregate over the tagged items only (read from their tags, never a scan of every item)
    gives, per category, the items tagged at all and those tagged to each key question: an item
    has one category, so the tagged items are the sum of the first and the rest are untagged.
    """
    framework = framework or library_framework()
    categories, key_questions = framework.categories, framework.key_questions
    if total is None:
        total = items.count()
    tagged_items = items.filter(framework_items__isnull=False).annotate(kq=F("framework_items__key_question__code"))
    per_question = {f"kq_{n}": Count("pk", distinct=True, filter=Q(kq=kq.code)) for n, kq in enumerate(key_questions)}
    counts: dict[tuple[str, int | None], int] = {}
    tagged = 0
    for row in (
        tagged_items.order_by().values("category_id").annotate(tagged=Count("pk", distinct=True), **per_question)
    ):
        tagged += row["tagged"]
        for n, kq in enumerate(key_questions):
            counts[(kq.code, row["category_id"])] = row[f"kq_{n}"]
    rows = []
    for kq in key_questions:
        row = CoverageRow(kq, [(cat, counts.get((kq.code, cat.pk), 0)) for cat in categories])
        row.uncategorised = counts.get((kq.code, None), 0)
        rows.append(row)
    return Coverage(framework.version, categories, rows, total - tagged)


# --- one item --------------------------------------------------------------------------


@dataclass
class LinkedObject:
    label: str
    url: str | None


@dataclass
class LinkGroup:
    label: str
    objects: list[LinkedObject]


def _url(obj: Model) -> str | None:
    try:
        return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else None
    except NoReverseMatch:  # that layer's pages are not wired up (yet)
        return None


def linked_objects(user, item: EvidenceItem) -> list[LinkGroup]:
    """Where the item is used (themes, learning, actions, measures, audit, review), limited
    to what the user may see."""
    groups = []
    for name in LINK_RELATIONS + OWNER_RELATIONS:
        rel = _relation(name)
        if rel is None:
            continue
        model = rel.related_model
        field_names = {f.name for f in model._meta.get_fields()}
        lookup = rel.field.name
        qs = model.objects.filter(**{lookup: item})
        related = [
            n for n in ("theme", "action", "service", "template_version__template") if n.split("__")[0] in field_names
        ]
        if related:
            qs = qs.select_related(*related)
        if "provider" in field_names:
            qs = policy.objects_for(
                user, qs, policy.Verb.VIEW, service_field="service" if "service" in field_names else ""
            )
        objects = [LinkedObject(str(obj), _url(obj)) for obj in qs]
        if objects:
            groups.append(LinkGroup(str(model._meta.verbose_name_plural).capitalize(), objects))
    return groups


def is_linked(item: EvidenceItem) -> bool:
    return EvidenceItem.objects.filter(pk=item.pk).filter(_linked_q()).exists()


def can_download(user, item: EvidenceItem) -> bool:
    """Who may download a file.

    A current item's file: anyone who may see the item. A removed item's file stays on
    record (removal is a soft delete) but only provider-level roles that may remove
    evidence (the quality lead) can still download it, to check a removal; for everyone
    else it is gone.
    """
    if not item.file:
        return False
    if not item.is_removed:
        return policy.can(user, policy.Verb.VIEW, item)
    return item.provider_id in policy.access_for(user).wide_provider_ids(policy.Verb.REMOVE_EVIDENCE)


def service_panel_counts(service: Service) -> dict[str, int]:
    """Current items at one service: total, impact and activity (one query)."""
    rows = dict(
        EvidenceItem.objects.current()
        .filter(service=service)
        .order_by()
        .values_list("nature")
        .annotate(n=Count("pk"))
        .values_list("nature", "n")
    )
    impact, activity = rows.get(Nature.IMPACT, 0), rows.get(Nature.ACTIVITY, 0)
    return {"total": impact + activity, "impact": impact, "activity": activity}


def services_for_adding(user, provider: Provider) -> tuple[list[Service], bool]:
    """(services of ``provider`` where the user may add evidence, whether provider-wide too)."""
    services = list(policy.services(user, policy.Verb.ADD_EVIDENCE).filter(provider=provider).order_by("name"))
    return services, is_provider_level(user, provider, policy.Verb.ADD_EVIDENCE)
