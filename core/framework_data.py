"""Names and codes of the CQC frameworks, as seeded by migration 0002.

Only names and codes: statement wording is CQC's and is not reproduced. The SAF codes
(S1..W8) are this product's own convention, as are the draft codes (D-S1..D-W6).
"""

import datetime

KEY_QUESTIONS = [
    ("safe", "Safe"),
    ("effective", "Effective"),
    ("caring", "Caring"),
    ("responsive", "Responsive"),
    ("well_led", "Well-led"),
]

SAF_2023 = {
    "safe": [
        ("S1", "Learning culture"),
        ("S2", "Safe systems, pathways and transitions"),
        ("S3", "Safeguarding"),
        ("S4", "Involving people to manage risks"),
        ("S5", "Safe environments"),
        ("S6", "Safe and effective staffing"),
        ("S7", "Infection prevention and control"),
        ("S8", "Medicines optimisation"),
    ],
    "effective": [
        ("E1", "Assessing needs"),
        ("E2", "Delivering evidence-based care and treatment"),
        ("E3", "How staff, teams and services work together"),
        ("E4", "Supporting people to live healthier lives"),
        ("E5", "Monitoring and improving outcomes"),
        ("E6", "Consent to care and treatment"),
    ],
    "caring": [
        ("C1", "Kindness, compassion and dignity"),
        ("C2", "Treating people as individuals"),
        ("C3", "Independence, choice and control"),
        ("C4", "Responding to people's immediate needs"),
        ("C5", "Workforce wellbeing and enablement"),
    ],
    "responsive": [
        ("R1", "Person-centred care"),
        ("R2", "Care provision, integration and continuity"),
        ("R3", "Providing information"),
        ("R4", "Listening to and involving people"),
        ("R5", "Equity in access"),
        ("R6", "Equity in experiences and outcomes"),
        ("R7", "Planning for the future"),
    ],
    "well_led": [
        ("W1", "Shared direction and culture"),
        ("W2", "Capable, compassionate and inclusive leaders"),
        ("W3", "Freedom to speak up"),
        ("W4", "Workforce equality, diversity and inclusion"),
        ("W5", "Governance, management and sustainability"),
        ("W6", "Partnerships and communities"),
        ("W7", "Learning, improvement and innovation"),
        ("W8", "Environmental sustainability - sustainable development"),
    ],
}

DRAFT_2026 = {
    "safe": [
        ("D-S1", "Safety culture"),
        ("D-S2", "Managing risks during care and treatment"),
        ("D-S3", "Safe systems, pathways and transitions"),
        ("D-S4", "Safeguarding"),
        ("D-S5", "Safe environments and infection prevention and control"),
        ("D-S6", "Safe staffing"),
        ("D-S7", "Safe medicines and treatments"),
    ],
    "effective": [
        ("D-E1", "Assessing needs"),
        ("D-E2", "Evidence-based care and equitable outcomes"),
        ("D-E3", "Supporting people to live healthier lives"),
        ("D-E4", "Consent to care and treatment"),
    ],
    "caring": [
        ("D-C1", "Kindness, compassion and dignity"),
        ("D-C2", "Person-centred care"),
        ("D-C3", "Independence, choice and control"),
    ],
    "responsive": [
        ("D-R1", "Care provision, integration and continuity"),
        ("D-R2", "Listening to and responding to feedback"),
        ("D-R3", "Timely and equitable access"),
        ("D-R4", "Equity in experiences"),
    ],
    "well_led": [
        ("D-W1", "Strategic direction"),
        ("D-W2", "Workforce equity and culture"),
        ("D-W3", "Capable and compassionate leaders"),
        ("D-W4", "Governance and management"),
        ("D-W5", "Partnerships and communities"),
        ("D-W6", "Improvement, innovation and learning"),
    ],
}

EVIDENCE_CATEGORIES = [
    ("peoples_experience", "People's experience of health and care services"),
    ("staff_feedback", "Feedback from staff and leaders"),
    ("partner_feedback", "Feedback from partners"),
    ("observation", "Observation"),
    ("processes", "Processes"),
    ("outcomes", "Outcomes"),
]

# A starting crosswalk (SAF code -> draft code, strength); admins extend it.
CROSSWALK = [
    ("S1", "D-S1", "equivalent"),
    ("S2", "D-S3", "equivalent"),
    ("S3", "D-S4", "equivalent"),
    ("S4", "D-S2", "partial"),
    ("S5", "D-S5", "partial"),
    ("S7", "D-S5", "partial"),
    ("S6", "D-S6", "equivalent"),
    ("S8", "D-S7", "equivalent"),
    ("E1", "D-E1", "equivalent"),
    ("E2", "D-E2", "partial"),
    ("E4", "D-E3", "equivalent"),
    ("E6", "D-E4", "equivalent"),
    ("C1", "D-C1", "equivalent"),
    ("C3", "D-C3", "equivalent"),
    ("R1", "D-C2", "partial"),
    ("R2", "D-R1", "equivalent"),
    ("R4", "D-R2", "partial"),
    ("R5", "D-R3", "partial"),
    ("R6", "D-R4", "partial"),
    ("W1", "D-W1", "partial"),
    ("W2", "D-W3", "partial"),
    ("W4", "D-W2", "partial"),
    ("W5", "D-W4", "equivalent"),
    ("W6", "D-W5", "equivalent"),
    ("W7", "D-W6", "equivalent"),
]


def load(apps) -> None:
    """Create or refresh the frameworks; used by migration 0002 and by tests after a flush."""
    Version = apps.get_model("core", "FrameworkVersion")
    KeyQuestion = apps.get_model("core", "KeyQuestion")
    Item = apps.get_model("core", "FrameworkItem")
    Category = apps.get_model("core", "EvidenceCategory")
    Crosswalk = apps.get_model("core", "FrameworkCrosswalk")

    versions = {
        "saf-2023": (
            Version.objects.update_or_create(
                code="saf-2023",
                defaults=dict(
                    name="Single Assessment Framework 2023",
                    status="current",
                    published=datetime.date(2023, 11, 1),
                    item_label="Quality statement",
                    scored=True,
                ),
            )[0],
            SAF_2023,
        ),
        "asc-draft-2026": (
            Version.objects.update_or_create(
                code="asc-draft-2026",
                defaults=dict(
                    name="Adult social care framework 2026",
                    status="draft",
                    published=datetime.date(2026, 3, 1),
                    item_label="Key line of enquiry",
                    scored=False,
                ),
            )[0],
            DRAFT_2026,
        ),
    }
    items = {}
    for version, data in versions.values():
        for order, (code, name) in enumerate(KEY_QUESTIONS, start=1):
            kq, _ = KeyQuestion.objects.update_or_create(
                version=version, code=code, defaults={"name": name, "order": order}
            )
            for item_order, (item_code, item_name) in enumerate(data[code], start=1):
                items[item_code], _ = Item.objects.update_or_create(
                    version=version,
                    code=item_code,
                    defaults={"name": item_name, "key_question": kq, "order": item_order},
                )
    saf = versions["saf-2023"][0]
    for order, (code, name) in enumerate(EVIDENCE_CATEGORIES, start=1):
        Category.objects.update_or_create(version=saf, code=code, defaults={"name": name, "order": order})
    for source, target, strength in CROSSWALK:
        Crosswalk.objects.update_or_create(source=items[source], target=items[target], defaults={"strength": strength})
