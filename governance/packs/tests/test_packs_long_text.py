"""A pack with every text field at its longest allowed value renders, in bounded time, with the text.

Ten 1 MB texts once made a service's pack run ten minutes and fail (issue 12). Every free-text
field now has a bound (core/limits.py); this fills every one of them, for one set of themes,
actions, evidence, audits and a review, with that bound's worth of ordinary prose (and a long
unbroken token, as a pasted link would be) and renders the service's packs with the real
WeasyPrint.
"""

from __future__ import annotations

import io
import time

import pytest
from django.apps import apps
from django.db import models
from pypdf import PdfReader

from core.templatetags.excerpts import CONTINUED
from governance.models import EvidencePack
from governance.packs import services
from governance.packs.tests.factories import pack, populate

pytestmark = pytest.mark.django_db

FILLED = {
    "recovery": ["FailureTheme", "ThemeTransition", "LeadershipLearning", "RecoveryAction", "ActionStep"]
    + ["OutcomeMeasure", "DataPoint"],
    "evidence": ["EvidenceItem"],
    "audits": ["AuditTemplate", "AuditTemplateVersion", "Criterion", "Audit", "AuditRecord", "AuditActionArising"],
    "governance": ["OversightReview", "AgendaItem", "Challenge", "ReviewActionArising"],
}
# Identifiers and file facts, not prose.
NOT_PROSE = {"key", "file_name", "file_sha256", "file_content_type", "subject_type", "subject_url"}
SENTENCE = "the night staff checked each resident's notes and escalated concerns to the senior carer on shift"
LINK = "https://records.example.test/care-notes/" + "a1b2c3" * 20  # no break opportunity for 160 characters

# The whole test (data, three renders) stays well under a minute on a developer's machine;
# these bounds fail a pack that has started to grow with the length of its text again.
MAX_SECONDS = 45
MAX_PAGES = {EvidencePack.Kind.FULL: 50, EvidencePack.Kind.ACTION: 20, EvidencePack.Kind.COMMISSIONER: 2}


def prose(length: int, tail: str) -> str:
    """Ordinary words (with paragraph breaks and one long link) of exactly ``length`` characters,
    ending in ``tail`` so a test can see the end of the text reached the PDF."""
    if length < 60:
        return "x" * length
    words = SENTENCE.split()
    parts, size = [LINK if length > 1000 else "see"], 0
    while size < length:
        word = words[len(parts) % len(words)] + (".\n\n" if len(parts) % 60 == 59 else "")
        parts.append(word)
        size += len(word) + 1
    return " ".join(parts)[: length - len(tail) - 1] + " " + tail


def _text_columns(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField)) and not f.choices and f.name not in NOT_PROSE
    ]


def fill_every_text_field() -> dict[str, str]:
    """Every prose column of the filled models at its maximum length; returns the tails written."""
    tails = {}
    for label, names in FILLED.items():
        for name in names:
            model = apps.get_model(label, name)
            for field in _text_columns(model):
                tail = f"END{model.__name__[:6]}{field.name.replace('_', '')[:10]}"
                tails[f"{model.__name__}.{field.name}"] = tail
                value = prose(field.max_length, tail)
                assert len(value) == field.max_length
                model.objects.update(**{field.name: value})
    return tails


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _render(p: EvidencePack, *, read: bool = True) -> tuple[EvidencePack, float, str]:
    started = time.monotonic()
    services.pack_render(pack_id=p.pk)
    seconds = time.monotonic() - started
    p.refresh_from_db()
    if not read:
        return p, seconds, ""
    with p.file.open("rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    return p, seconds, " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_every_text_field_at_its_limit_renders_in_bounded_time(world, media):
    made = populate(world.provider, world.service, user=world.rm, approver=world.ni)
    tails = fill_every_text_field()
    action = made["closed"][0]
    total, text_of = 0.0, {}
    for kind, extra in (
        (EvidencePack.Kind.FULL, {}),
        (EvidencePack.Kind.ACTION, {"action": action}),
        (EvidencePack.Kind.COMMISSIONER, {}),
    ):
        p = pack(world.provider, [world.service], user=world.quality, kind=kind, **extra)
        p, seconds, text = _render(p, read=kind != EvidencePack.Kind.COMMISSIONER)
        print(f"{kind}: {p.page_count} pages in {seconds:.1f} s")
        assert p.status == EvidencePack.Status.DONE, p.error
        assert p.page_count <= MAX_PAGES[kind], f"{kind}: {p.page_count} pages"
        total += seconds
        text_of[kind] = text
    assert total < MAX_SECONDS, f"{total:.1f} s"
    full, one_action = text_of[EvidencePack.Kind.FULL], text_of[EvidencePack.Kind.ACTION]
    # Narratives shown full width are whole: the end of each one is in the PDF.
    for column in (
        "FailureTheme.weakness_found",
        "LeadershipLearning.why_it_happened",
        "LeadershipLearning.governance_change",
        "LeadershipLearning.how_tested",
        "RecoveryAction.baseline_issue",
        "RecoveryAction.intended_outcome",
        "RecoveryAction.closure_justification",
    ):
        assert tails[column] in full, column
    assert tails["RecoveryAction.intended_outcome"] in one_action
    # Text cut to fit a table cell says so; it is never cut silently.
    for column in ("Challenge.text", "Challenge.response", "AgendaItem.rationale", "Audit.findings"):
        assert tails[column] not in full, column
    assert full.count(CONTINUED) >= 4 and CONTINUED in one_action
