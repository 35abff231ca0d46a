"""Demo providers, services and people (one per role). Idempotent.

There are no services for providers, services or accounts (the admin makes them), so these
are written with the models' own update_or_create / create_user.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from core.models import Membership, Provider, Rating, Role, Service, ServiceType, User

DEMO_PASSWORD = "recovery-demo-2026"  # noqa: S105 - the documented demo sign-in
R = Rating


@dataclass
class DemoWorld:
    provider: Provider
    services: dict[str, Service]
    other_provider: Provider
    other_service: Service
    users: dict[str, User] = field(default_factory=dict)

    def user(self, name: str) -> User:
        """A demo person by email, or by the part before ``@oakfield.example`` ("rm", "ni", ...)."""
        return self.users[name if "@" in name else f"{name}@oakfield.example"]


# provider slug -> (name, CQC provider id)
PROVIDERS = {"oakfield": ("Oakfield Care Group", "1-100000000"), "riverside": ("Riverside Care Ltd", "1-200000000")}

# slug, provider, name, type, location id, inspected, overall, (safe, effective, caring, responsive, well-led)
SERVICES = [
    (
        "oakfield-house",
        "oakfield",
        "Oakfield House",
        ServiceType.RESIDENTIAL,
        "1-1000000001",
        datetime.date(2026, 5, 12),
        R.REQUIRES_IMPROVEMENT,
        (R.REQUIRES_IMPROVEMENT, R.REQUIRES_IMPROVEMENT, R.GOOD, R.GOOD, R.INADEQUATE),
    ),
    (
        "meadowbank-nursing",
        "oakfield",
        "Meadowbank Nursing Home",
        ServiceType.NURSING,
        "1-1000000002",
        datetime.date(2026, 3, 3),
        R.REQUIRES_IMPROVEMENT,
        (R.REQUIRES_IMPROVEMENT, R.GOOD, R.GOOD, R.REQUIRES_IMPROVEMENT, R.REQUIRES_IMPROVEMENT),
    ),
    (
        "oakfield-home-support",
        "oakfield",
        "Oakfield Home Support",
        ServiceType.HOMECARE,
        "1-1000000003",
        datetime.date(2026, 7, 21),
        R.INADEQUATE,
        (R.INADEQUATE, R.REQUIRES_IMPROVEMENT, R.GOOD, R.REQUIRES_IMPROVEMENT, R.INADEQUATE),
    ),
    (
        "riverside-lodge",
        "riverside",
        "Riverside Lodge",
        ServiceType.RESIDENTIAL,
        "1-2000000001",
        datetime.date(2026, 4, 2),
        R.REQUIRES_IMPROVEMENT,
        (R.REQUIRES_IMPROVEMENT,) * 5,
    ),
]

RM, DEPUTY, REG = Role.REGISTERED_MANAGER, Role.DEPUTY_MANAGER, "Registered manager"
# email, first, last, job title, role, service slug (None = all Oakfield services)
PEOPLE = [
    ("rm@oakfield.example", "Priya", "Shah", REG, RM, "oakfield-house"),
    ("deputy@oakfield.example", "Tom", "Evans", "Deputy manager", DEPUTY, "oakfield-house"),
    ("lead@oakfield.example", "Grace", "Okafor", "Safeguarding lead", Role.LEAD, "oakfield-house"),
    ("owner@oakfield.example", "Sam", "Taylor", "Senior carer", Role.ACTION_OWNER, "oakfield-house"),
    ("rm.meadowbank@oakfield.example", "Helen", "Price", REG, RM, "meadowbank-nursing"),
    ("rm.homesupport@oakfield.example", "Daniel", "Hughes", REG, RM, "oakfield-home-support"),
    ("quality@oakfield.example", "Aisha", "Rahman", "Quality lead", Role.QUALITY_LEAD, None),
    ("ni@oakfield.example", "Margaret", "Collins", "Nominated individual", Role.NOMINATED_INDIVIDUAL, None),
    ("board@oakfield.example", "Robert", "King", "Board member", Role.BOARD_MEMBER, None),
    ("viewer@oakfield.example", "Lucy", "Morgan", "Commissioner (ICB)", Role.VIEWER, "oakfield-house"),
    ("viewer@oakfield.example", "Lucy", "Morgan", "Commissioner (ICB)", Role.VIEWER, "meadowbank-nursing"),
    ("rm@riverside.example", "Oliver", "Bennett", REG, RM, "riverside-lodge"),
]
ADMIN = "admin@oakfield.example"


def _service(providers, slug, provider, name, stype, location, inspected, overall, kq) -> Service:
    safe, effective, caring, responsive, well_led = kq
    service, _ = Service.objects.update_or_create(
        slug=slug,
        defaults=dict(
            provider=providers[provider],
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
    providers = {
        slug: Provider.objects.update_or_create(slug=slug, defaults={"name": name, "cqc_provider_id": cqc})[0]
        for slug, (name, cqc) in PROVIDERS.items()
    }
    services = {row[0]: _service(providers, *row) for row in SERVICES}
    other = services.pop("riverside-lodge")
    world = DemoWorld(providers["oakfield"], services, providers["riverside"], other)
    for email, first, last, title, role, slug in PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, first_name=first, last_name=last, job_title=title)
        service = (services.get(slug) or other) if slug else None
        provider = service.provider if service else world.provider
        Membership.objects.get_or_create(user=user, provider=provider, service=service, role=role)
        world.users.setdefault(email, user)
    if not User.objects.filter(email=ADMIN).exists():
        User.objects.create_superuser(ADMIN, DEMO_PASSWORD, first_name="System", last_name="Administrator")
    return world


def sign_in_lines() -> list[str]:
    seen: dict[str, list[str]] = {}
    for email, _f, _l, _t, role, slug in PEOPLE:
        seen.setdefault(email, []).append(f"{Role(role).label} ({slug or 'all Oakfield services'})")
    lines = [f"  {email:34} {', '.join(roles)}" for email, roles in seen.items()]
    lines.append(f"  {ADMIN:34} Django admin (staff)")
    return lines
