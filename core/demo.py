"""Demo providers, services and people (one per role). Idempotent.

Used by ``manage.py seed_demo`` (governance, the top layer, runs every app's demo step).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from .models import Membership, Provider, Rating, Role, Service, ServiceType, User

DEMO_PASSWORD = "recovery-demo-2026"

R = Rating


@dataclass
class DemoWorld:
    provider: Provider
    services: dict[str, Service]
    other_provider: Provider
    other_service: Service
    users: dict[str, User] = field(default_factory=dict)


SERVICES = [
    # slug, name, type, location id, inspected, overall, (safe, effective, caring, responsive, well-led)
    (
        "oakfield-house",
        "Oakfield House",
        ServiceType.RESIDENTIAL,
        "1-1000000001",
        datetime.date(2026, 5, 12),
        R.REQUIRES_IMPROVEMENT,
        (R.REQUIRES_IMPROVEMENT, R.REQUIRES_IMPROVEMENT, R.GOOD, R.GOOD, R.INADEQUATE),
    ),
    (
        "meadowbank-nursing",
        "Meadowbank Nursing Home",
        ServiceType.NURSING,
        "1-1000000002",
        datetime.date(2026, 3, 3),
        R.REQUIRES_IMPROVEMENT,
        (R.REQUIRES_IMPROVEMENT, R.GOOD, R.GOOD, R.REQUIRES_IMPROVEMENT, R.REQUIRES_IMPROVEMENT),
    ),
    (
        "oakfield-home-support",
        "Oakfield Home Support",
        ServiceType.HOMECARE,
        "1-1000000003",
        datetime.date(2026, 7, 21),
        R.INADEQUATE,
        (R.INADEQUATE, R.REQUIRES_IMPROVEMENT, R.GOOD, R.REQUIRES_IMPROVEMENT, R.INADEQUATE),
    ),
]

# email, first, last, job title, role, service slug (None = provider-wide)
PEOPLE = [
    ("rm@oakfield.example", "Priya", "Shah", "Registered manager", Role.REGISTERED_MANAGER, "oakfield-house"),
    ("deputy@oakfield.example", "Tom", "Evans", "Deputy manager", Role.DEPUTY_MANAGER, "oakfield-house"),
    ("lead@oakfield.example", "Grace", "Okafor", "Safeguarding lead", Role.LEAD, "oakfield-house"),
    ("owner@oakfield.example", "Sam", "Taylor", "Senior carer", Role.ACTION_OWNER, "oakfield-house"),
    (
        "rm.meadowbank@oakfield.example",
        "Helen",
        "Price",
        "Registered manager",
        Role.REGISTERED_MANAGER,
        "meadowbank-nursing",
    ),
    (
        "rm.homesupport@oakfield.example",
        "Daniel",
        "Hughes",
        "Registered manager",
        Role.REGISTERED_MANAGER,
        "oakfield-home-support",
    ),
    ("quality@oakfield.example", "Aisha", "Rahman", "Quality lead", Role.QUALITY_LEAD, None),
    ("ni@oakfield.example", "Margaret", "Collins", "Nominated individual", Role.NOMINATED_INDIVIDUAL, None),
    ("board@oakfield.example", "Robert", "King", "Board member", Role.BOARD_MEMBER, None),
    ("viewer@oakfield.example", "Lucy", "Morgan", "Commissioner (ICB)", Role.VIEWER, "oakfield-house"),
    ("viewer@oakfield.example", "Lucy", "Morgan", "Commissioner (ICB)", Role.VIEWER, "meadowbank-nursing"),
    ("rm@riverside.example", "Oliver", "Bennett", "Registered manager", Role.REGISTERED_MANAGER, "riverside-lodge"),
]


def _service(provider: Provider, slug, name, stype, location, inspected, overall, kq) -> Service:
    safe, effective, caring, responsive, well_led = kq
    service, _ = Service.objects.update_or_create(
        slug=slug,
        defaults=dict(
            provider=provider,
            name=name,
            service_type=stype,
            cqc_location_id=location,
            last_inspection_date=inspected,
            overall_rating=overall,
            rating_safe=safe,
            rating_effective=effective,
            rating_caring=caring,
            rating_responsive=responsive,
            rating_well_led=well_led,
        ),
    )
    return service


def seed() -> DemoWorld:
    provider, _ = Provider.objects.update_or_create(
        slug="oakfield", defaults={"name": "Oakfield Care Group", "cqc_provider_id": "1-100000000"}
    )
    services = {row[0]: _service(provider, *row) for row in SERVICES}
    other, _ = Provider.objects.update_or_create(
        slug="riverside", defaults={"name": "Riverside Care Ltd", "cqc_provider_id": "1-200000000"}
    )
    other_service = _service(
        other,
        "riverside-lodge",
        "Riverside Lodge",
        ServiceType.RESIDENTIAL,
        "1-2000000001",
        datetime.date(2026, 4, 2),
        R.REQUIRES_IMPROVEMENT,
        (R.REQUIRES_IMPROVEMENT,) * 5,
    )
    all_services = {**services, other_service.slug: other_service}
    world = DemoWorld(provider, services, other, other_service)
    for email, first, last, title, role, slug in PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, first_name=first, last_name=last, job_title=title)
        service = all_services[slug] if slug else None
        Membership.objects.get_or_create(
            user=user, provider=service.provider if service else provider, service=service, role=role
        )
        world.users.setdefault(email, user)
    if not User.objects.filter(email="admin@oakfield.example").exists():
        User.objects.create_superuser(
            "admin@oakfield.example", DEMO_PASSWORD, first_name="System", last_name="Administrator"
        )
    return world


def sign_in_lines() -> list[str]:
    seen: dict[str, list[str]] = {}
    for email, _f, _l, _t, role, slug in PEOPLE:
        seen.setdefault(email, []).append(f"{Role(role).label} ({slug or 'all Oakfield services'})")
    lines = [f"  {email:34} {', '.join(roles)}" for email, roles in seen.items()]
    lines.append(f"  {'admin@oakfield.example':34} Django admin (staff)")
    return lines
