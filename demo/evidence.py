"""Demo evidence for the Oakfield services: a realistic spread over the last twelve weeks, as data.

Idempotent: an item is skipped when one with the same title already exists at that
service (or provider-wide). A few items carry small real files built here in code.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import EvidenceCategory, FrameworkItem, Provider, Service
from evidence import services
from evidence.models import EvidenceItem, Nature
from evidence.models import SourceType as S


@dataclass(frozen=True)
class Seed:
    title: str
    source_type: str
    category: str  # EvidenceCategory code (SAF 2023)
    items: tuple[str, ...]  # framework item codes
    weeks_ago: int
    recorded_in: str
    description: str
    file: str = ""  # "csv", "txt", "pdf" or ""
    nature: str | None = None
    nature_reason: str = ""


def _table(text: str) -> list[Seed]:
    """Rows of ``title | source type | SAF category | framework items | weeks ago | recorded in [| file]``,
    each followed by its description on indented lines."""
    seeds: list[Seed] = []
    for line in text.strip("\n").splitlines():
        if line.startswith("    "):
            seed = seeds.pop()
            description = f"{seed.description} {line.strip()}".strip()
            seeds.append(replace(seed, description=description, **NATURE.get(seed.title, {})))
            continue
        title, source, category, items, weeks, recorded_in, *file = (cell.strip() for cell in line.split("|"))
        seeds.append(Seed(title, S(source), category, tuple(items.split()), int(weeks), recorded_in, "", *file))
    return seeds


# The one training record that is impact evidence, and why.
NATURE = {
    "Medicines training: PRN protocols": dict(
        nature=Nature.IMPACT,
        nature_reason="The record includes observed medicines rounds after the training, not only attendance.",
    )
}

OAKFIELD_HOUSE = _table(
    """
Deterioration escalation sampling, week 1 | audit | processes | S2 E5 | 11 | Senior oversight log | csv
    Ten care records sampled for changes in mobility or appetite; 6 of 10 escalated within the required time.
Deterioration escalation sampling, week 6 | audit | outcomes | S2 E5 | 6 | Senior oversight log | csv
    Ten records sampled (refs R-1042 to R-1051); 9 of 10 escalated on time. One late escalation followed up.
Handover observation, night to day shift | observation | observation | S2 S4 | 5 | Observation of practice folder | txt
    Deputy observed handover for rooms 1-14. Staff used the escalation prompt for two residents with reduced
    intake; both were reported to the GP the same morning.
Family feedback calls on being kept informed | family_feedback | peoples_experience | R4 C1 | 4 | Feedback log
    Eight relatives called. Six said they were told promptly about changes in health; two wanted more notice of GP
    visits.
Escalation competency checks, senior carers | competency_check | observation | S1 S2 | 3 | Competency records
    Five senior carers assessed against the escalation competency; all five passed, one with a follow-up on
    recording rationale.
Recognising deterioration training attendance | training_record | processes | S1 | 10 | Training matrix
    22 of 26 care staff attended. Attendance only: practice is checked separately.
Supervision records: escalation discussed | supervision_record | staff_feedback | W2 C5 | 7 | Supervision files
    Eight supervisions this month included a worked example of escalating a change in a resident's condition.
Rota variance, four weeks to date | rota_record | processes | S6 | 2 | Rota system export | csv
    Planned staffing met on 26 of 28 days; two uncovered night shifts were risk-assessed and covered by agency.
Staff survey on staffing levels | staff_feedback | staff_feedback | S6 W3 | 8 | Staff survey results
    14 responses. Most staff said shifts felt safer since the rota changes; three raised concerns about weekend
    cover.
Weekly service review minutes | governance_minutes | processes | W5 | 1 | Governance minutes folder | pdf
    RM reviewed escalation sampling and rota variance; challenged one late escalation and set a follow-up check.
Residents' meeting: mealtimes and choice | peoples_feedback | peoples_experience | C3 R1 | 9 | Residents' meeting notes
    Nine residents attended. Most were happy with the new menu choices; two asked for later breakfast.
"""
)

MEADOWBANK = _table(
    """
Medicines audit, MAR chart accuracy | audit | processes | S8 | 10 | Medicines audit file | csv
    Twenty MAR charts checked; 85% accurate. Gaps in PRN recording on the first floor.
Medicines audit, MAR chart accuracy (re-audit) | audit | outcomes | S8 E5 | 4 | Medicines audit file | csv
    Twenty MAR charts re-checked; 95% accurate. PRN recording gaps down from six to one.
Stock check discrepancies log | incident_record | outcomes | S8 | 6 | Medicines incident log
    Three stock discrepancies in weeks 1-4, one in weeks 5-8. Each investigated and closed with the nurse on duty.
Nurse medicines competency assessments | competency_check | observation | S8 S1 | 5 | Competency records
    Seven nurses observed on a medicines round; six competent, one reassessed and passed a week later.
Complaints about communication with relatives | complaint_record | peoples_experience | R4 | 11 | Complaints register
    Four complaints in the quarter about not being told of changes; all acknowledged within two days.
Relatives' contact log review | family_feedback | peoples_experience | R4 R2 | 3 | Contact log
    Named-nurse calls to relatives recorded weekly for all 32 residents; one repeat complaint since the change.
GP practice feedback on referrals | partner_feedback | partner_feedback | E3 | 7 | Partner feedback file
    The GP practice said referrals now arrive with clearer observations and NEWS2 scores.
Medicines training: PRN protocols | training_record | processes | S8 | 9 | Training matrix
    All 12 nurses completed the PRN protocol update; followed by observed rounds in week 5.
"""
)

HOME_SUPPORT = _table(
    """
High-risk closure sampling | audit | processes | W5 | 8 | Quality sampling log | csv
    Six closed high-risk actions sampled; two had no impact evidence and were reopened.
Spot checks of home visits | observation | observation | S4 C1 | 5 | Spot check records | txt
    Field supervisor observed twelve visits; call times and care tasks matched the care plan in eleven.
People's feedback on call times | peoples_feedback | peoples_experience | R2 C2 | 4 | Quality calls log
    Twenty people called. Sixteen said carers arrive within the agreed window; four reported late calls at
    weekends.
Safeguarding referrals, monthly review | incident_record | outcomes | S3 | 3 | Safeguarding log
    Three referrals this month (refs SG-21 to SG-23); all raised within 24 hours and linked to actions.
Care worker supervision completion | supervision_record | staff_feedback | C5 W2 | 6 | Supervision tracker
    31 of 38 care workers supervised this quarter; the rest booked.
Branch team meeting minutes | governance_minutes | processes | W1 | 2 | Team meeting minutes
    Shared the learning from the reopened closures; agreed that every closure needs feedback or observation.
"""
)

PROVIDER_WIDE = _table(
    """
Monthly leadership review minutes | governance_minutes | processes | W5 W2 | 3 | Board papers | pdf
    The nominated individual challenged two proposed closures at Oakfield House and asked for re-audit evidence.
Quarterly quality report to the board | audit | outcomes | W5 W7 | 8 | Board papers
    Audit effectiveness across the three services: 70% of audits had findings, owners and impact checks.
"""
)

ACTORS = {
    # service slug (None = provider-wide) -> email of the person who adds its evidence
    "oakfield-house": "rm@oakfield.example",
    "meadowbank-nursing": "rm.meadowbank@oakfield.example",
    "oakfield-home-support": "rm.homesupport@oakfield.example",
    None: "quality@oakfield.example",
}


# --- small real files ------------------------------------------------------------------


def _pdf(title: str, lines: list[str]) -> bytes:
    """A minimal, valid one-page PDF (Helvetica, no external resources)."""

    def esc(text: str) -> str:
        text = text.encode("latin-1", "replace").decode("latin-1")
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = ["BT", "/F1 14 Tf", "50 790 Td", f"({esc(title)}) Tj", "/F1 10 Tf"]
    for line in lines:
        body += ["0 -18 Td", f"({esc(line)}) Tj"]
    body.append("ET")
    stream = "\n".join(body).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _file(seed: Seed, refers_to: datetime.date) -> SimpleUploadedFile | None:
    stem = seed.title.lower().replace(",", "").replace("'", "").replace(":", "").replace(" ", "-")[:60]
    if seed.file == "csv":
        rows = ["record ref,standard met,checked by"]
        rows += [f"R-{1040 + i},{'yes' if i % 5 else 'no'},RM" for i in range(10)]
        return SimpleUploadedFile(f"{stem}.csv", ("\n".join(rows) + "\n").encode(), "text/csv")
    if seed.file == "txt":
        text = f"{seed.title}\nDate: {refers_to:%d %b %Y}\n\n{seed.description}\n\nRecorded in: {seed.recorded_in}\n"
        return SimpleUploadedFile(f"{stem}.txt", text.encode(), "text/plain")
    if seed.file == "pdf":
        lines = [
            f"Date: {refers_to:%d %b %Y}",
            seed.description[:95],
            seed.description[95:190],
            "Actions agreed: see log.",
        ]
        return SimpleUploadedFile(f"{stem}.pdf", _pdf(seed.title, [x for x in lines if x]), "application/pdf")
    return None


# --- seeding ---------------------------------------------------------------------------


def _create(
    provider: Provider, service: Service | None, seed: Seed, actor, today: datetime.date
) -> EvidenceItem | None:
    if EvidenceItem.objects.filter(provider=provider, service=service, title=seed.title).exists():
        return None
    # Spread within the week so items of one week do not share a date.
    refers_to = today - datetime.timedelta(weeks=seed.weeks_ago, days=len(seed.title) % 5)
    categories = {c.code: c for c in EvidenceCategory.objects.filter(version__code="saf-2023")}
    return services.evidence_create(
        actor=actor,
        provider=provider,
        service=service,
        title=seed.title,
        refers_to=refers_to,
        source_type=seed.source_type,
        category=categories.get(seed.category),
        nature=seed.nature,
        nature_override_reason=seed.nature_reason,
        recorded_in=seed.recorded_in,
        description=seed.description,
        upload=_file(seed, refers_to),
        framework_items=list(FrameworkItem.objects.filter(version__code="saf-2023", code__in=seed.items)),
    )


# One removed item, so the removal trail can be seen in the demo.
DUPLICATE = Seed(
    "Handover observation (duplicate upload)",
    S.OBSERVATION,
    "observation",
    ("S2",),
    5,
    "Observation of practice folder",
    "Uploaded twice by mistake.",
)
DUPLICATE_REASON = "Duplicate of the handover observation already recorded."
PLAN = [
    ("oakfield-house", OAKFIELD_HOUSE),
    ("meadowbank-nursing", MEADOWBANK),
    ("oakfield-home-support", HOME_SUPPORT),
    (None, PROVIDER_WIDE),
]


def seed(world) -> list[EvidenceItem]:
    """Create the demo evidence (skipping what exists); returns the items created now."""
    today = timezone.localdate()
    created = []
    for slug, seeds in PLAN:
        service = world.services[slug] if slug else None
        for item_seed in seeds:
            item = _create(world.provider, service, item_seed, world.user(ACTORS[slug]), today)
            if item is not None:
                created.append(item)
    rm = world.user(ACTORS["oakfield-house"])
    item = _create(world.provider, world.services["oakfield-house"], DUPLICATE, rm, today)
    if item is not None:
        services.evidence_remove(actor=rm, item=item, reason=DUPLICATE_REASON)
        created.append(item)
    return created
