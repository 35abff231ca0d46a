from core.models import EvidenceCategory, FrameworkCrosswalk, FrameworkItem, FrameworkVersion, KeyQuestion


def test_saf_2023_has_34_statements_in_five_key_questions(db):
    saf = FrameworkVersion.objects.get(code="saf-2023")
    assert saf.status == FrameworkVersion.Status.CURRENT
    assert FrameworkItem.objects.filter(version=saf).count() == 34
    assert list(KeyQuestion.objects.filter(version=saf).values_list("name", flat=True)) == [
        "Safe",
        "Effective",
        "Caring",
        "Responsive",
        "Well-led",
    ]
    assert FrameworkItem.objects.get(version=saf, code="S3").name == "Safeguarding"
    assert FrameworkItem.objects.get(version=saf, code="W5").key_question.code == "well_led"


def test_draft_2026_has_24_items_and_is_marked_draft(db):
    draft = FrameworkVersion.objects.get(code="asc-draft-2026")
    assert draft.status == FrameworkVersion.Status.DRAFT
    assert "draft" in str(draft).lower()
    assert FrameworkItem.objects.filter(version=draft).count() == 24
    assert not draft.scored


def test_six_evidence_categories_and_a_starting_crosswalk(db):
    assert EvidenceCategory.objects.count() == 6
    link = FrameworkCrosswalk.objects.get(source__code="S3")
    assert link.target.code == "D-S4" and link.target.version.code == "asc-draft-2026"
