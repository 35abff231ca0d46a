"""Record references: the one rule for what may be typed where a care record is referenced.

Records are referenced, never named (docs/DOMAIN section 8, UK GDPR): "R-1042", "MAR/0031",
a room number ("Room 12", "12B") or initials ("J.S.") are references; "Mrs Smith" or
"Jane Doe" are a person's name. The rule lives here, below every app, and is used by the
forms (``RecordForm.clean_ref``), the services (``audit_save_draft``), the model field
(``validate_record_ref`` as a validator, which Django REST framework's model serializers and
``full_clean`` apply) and the page's help text.

It is a heuristic, tuned to refuse what reads as a name and let through what homes use to
number their records; it says why it refused, so a false alarm can be worked around.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

MAX_LENGTH = 40
HELP = (
    "A record reference such as R-1042, a room number (Room 12) or initials (J.S.): "
    "letters, digits, spaces and - / . # only. Never a person's name."
)
_CHARS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/.# ]*$")
# Forms of address that come before a name.
_TITLES = frozenset(
    ("mr mrs ms miss mx dr sir dame lady lord master prof rev sister nurse auntie uncle nan grandma grandad").split()  # noqa: SIM905
)
# Words that name a kind of record or a place in a home, not a person.
_RECORD_WORDS = frozenset(
    " ".join(
        (
            "room rm bed bay flat unit ward wing floor suite apt apartment house block annexe annex",
            "record records ref reference file care plan mar chart log notes daily night day no num",
            "number case id nhs resident res client person service user su",
        )
    ).split()
)
_WORD = re.compile(r"^[A-Za-z][A-Za-z'\-]*$")


def record_ref_problem(ref: str) -> str | None:
    """Why ``ref`` may not be stored as a record reference, or None. Blank is allowed (drafts)."""
    ref = (ref or "").strip()
    if not ref:
        return None
    if len(ref) > MAX_LENGTH:
        return f"Keep a record reference to {MAX_LENGTH} characters or fewer."
    if not _CHARS.match(ref):
        return (
            "Use only letters, digits, spaces and - / . # in a record reference (such as R-1042), "
            "never a person's name."
        )
    tokens = [t for t in re.split(r"[\s.]+", ref) if t]
    words = [t for t in tokens if _WORD.match(t)]
    lowered = [w.lower() for w in words]
    if lowered and lowered[0] in _TITLES and len(tokens) > 1:
        return (
            f"“{ref}” reads as a person's name (a title such as “{words[0]}” and a name). "
            "Records are referenced, never named: use the record's reference, a room number or initials."
        )
    # Words of two letters or more that are neither record words nor short capitals (initials).
    namey = [
        w
        for w, low in zip(words, lowered, strict=True)
        if len(w) >= 2 and low not in _RECORD_WORDS and not (w.isupper() and len(w) <= 3)
    ]
    if len(namey) >= 2:
        return (
            f"“{ref}” reads as a person's name (two words that could be a first name and a surname). "
            "Records are referenced, never named: use the record's reference (R-1042), a room number or initials."
        )
    if namey and len(namey[0]) >= 3 and len(words) > 1:
        return (
            f"“{ref}” reads as a person's name (“{namey[0]}” with an initial or another word). "
            "Records are referenced, never named: use the record's reference (R-1042), a room number or initials."
        )
    if len(tokens) == 1 and namey and len(ref) >= 3:
        return (
            f"“{ref}” reads as a person's name (a single word with no number). "
            "Records are referenced, never named: use the record's reference (R-1042), a room number or initials."
        )
    return None


def validate_record_ref(value: str) -> None:
    """A Django validator (model field, serializers): raises with the reason."""
    problem = record_ref_problem(value)
    if problem:
        raise ValidationError(problem, code="record_ref_name")
