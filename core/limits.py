"""How long free text may be: the named sizes every app uses, and the pieces that enforce them.

Every free-text field has a bound, enforced three times with one message ("Keep this to 5,000
characters or fewer (you typed 5,210)."): by the form (and the textarea's ``maxlength``), by
the service before it saves (``check``), and by the database (``length_checks``: a
CheckConstraint per field, so a write by any other path is refused too). The sizes are meant to
be generous for a care provider; docs/text-limits.md lists them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.deconstruct import deconstructible

NAME = 200  # a title or a name
SHORT_NOTE = 300  # one line: a comment, a reason for an exception
NOTE = 2_000  # a reason, a question, a rationale, a step: a paragraph or two
NARRATIVE = 5_000  # what was found, what should change, what was learned: about two pages
LONG_NARRATIVE = 20_000  # a meeting's minutes summary

MESSAGE = "Keep this to %(limit)s characters or fewer (you typed %(typed)s)."


def too_long_message(limit: int, typed: int) -> str:
    return MESSAGE % {"limit": f"{limit:,}", "typed": f"{typed:,}"}


@deconstructible
class MaxChars(MaxLengthValidator):
    """Django's length check, saying the limit and what was typed in plain words."""

    message = MESSAGE
    code = "max_length"

    def __call__(self, value) -> None:
        typed = len(value)
        if typed > self.limit_value:
            raise ValidationError(
                self.message,
                code=self.code,
                params={"limit": f"{self.limit_value:,}", "typed": f"{typed:,}", "limit_value": self.limit_value},
            )


def text_field(*args, max_length: int, **kwargs) -> models.TextField:
    """A TextField bounded to ``max_length``: the form field, the textarea and ``full_clean`` know it.

    Pair it with ``length_checks`` in the model's Meta so the database refuses longer text.
    """
    return models.TextField(*args, max_length=max_length, validators=[MaxChars(max_length)], **kwargs)


class LengthCheck(models.CheckConstraint):
    """``LENGTH(field) <= limit`` in the database, for writes that skip validation.

    ``full_clean`` does not ask the database again: the field's ``MaxChars`` validator has
    already said the same thing, on the field, without a query.
    """

    def validate(self, model, instance, exclude=None, using=None) -> None:
        return None


def length_checks(**limits: int) -> list[models.CheckConstraint]:
    """One ``LengthCheck`` per field (named after the model and the field)."""
    return [
        LengthCheck(
            condition=LessThanOrEqual(Length(field), limit),
            name=f"%(app_label)s_%(class)s_{field}_max_length",
        )
        for field, limit in limits.items()
    ]


def problems(model: type[models.Model], **values) -> dict[str, str]:
    """A message per value that is longer than its field of ``model`` allows."""
    found = {}
    for name, value in values.items():
        limit = model._meta.get_field(name).max_length
        if isinstance(value, str) and limit is not None and len(value) > limit:
            found[name] = too_long_message(limit, len(value))
    return found


def check(model: type[models.Model], *, report_as: dict[str, str] | None = None, **values) -> None:
    """Refuse (ValidationError naming each field) text longer than ``model``'s fields allow.

    Services call it with what they are about to save, so a long value from any caller gets the
    form's message on the field, never the database's IntegrityError. ``report_as`` names a
    field as the service's caller knows it (``{"review_note": "note"}``).
    """
    found = problems(model, **values)
    if found:
        raise ValidationError({(report_as or {}).get(name, name): message for name, message in found.items()})


def clip(text: str, limit: int, *, marker: str = " …") -> str:
    """System-written text (an error, a flag's detail) cut to ``limit``, saying it was cut."""
    return text if len(text) <= limit else text[: limit - len(marker)] + marker
