"""Record references, never names (DOMAIN section 8): the one rule, as forms, services and the model use it."""

import pytest
from django.core.exceptions import ValidationError

from core.record_refs import record_ref_problem, validate_record_ref


@pytest.mark.parametrize(
    "ref", ["R-1042", "MAR/0031", "2231", "J.S.", "JS", "Room 12", "Rm 4", "12B", "Bed 3", "Flat 3A", "R 1042", ""]
)
def test_references_initials_and_room_numbers_are_allowed(ref):
    assert record_ref_problem(ref) is None


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("Mrs Smith", "a title such as “Mrs”"),
        ("Mr. Brown", "a title such as “Mr”"),
        ("Jane Doe", "two words that could be a first name and a surname"),
        ("jane doe", "two words"),
        ("JOHN SMITH", "two words"),
        ("J. Smith", "“Smith” with an initial"),
        ("Smith", "a single word with no number"),
        ("Jane <3", "Use only letters, digits"),
    ],
)
def test_what_reads_as_a_name_is_refused_with_the_reason(ref, reason):
    problem = record_ref_problem(ref)
    assert problem is not None and reason in problem


def test_the_validator_raises_with_the_reason():
    with pytest.raises(ValidationError) as e:
        validate_record_ref("Mrs Smith")
    assert e.value.code == "record_ref_name" and "title" in e.value.messages[0]
