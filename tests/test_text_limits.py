"""Every free-text field has a length limit, kept in forms, services and the database (core.limits).

Ten 1 MB texts saved through ordinary forms once made a service's evidence pack run for ten
minutes and fail (issue 12). These tests walk every model and form of the apps so a new field
cannot come without its bound.
"""

from __future__ import annotations

import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from core import limits
from core.forms import BoundedCharField
from tests.test_no_status_fields import APPS, _project_forms


def _text_fields():
    for model in apps.get_models():
        if model._meta.app_label not in APPS:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, (models.CharField, models.TextField)):
                yield model, field


def _length_checks(model) -> dict[str, int]:
    found = {}
    for c in model._meta.constraints:
        condition = getattr(c, "condition", None)
        if isinstance(condition, LessThanOrEqual) and isinstance(condition.lhs, Length):
            found[condition.lhs.source_expressions[0].name] = condition.rhs
    return found


def test_every_text_column_has_a_bound():
    unbounded = [f"{m.__name__}.{f.name}" for m, f in _text_fields() if not f.max_length]
    assert unbounded == []


def test_every_text_field_is_checked_by_full_clean_and_the_database_at_its_limit():
    problems = []
    for model, field in _text_fields():
        if not isinstance(field, models.TextField):
            continue  # a CharField is varchar(n): the database and Django's own validator bound it
        name = f"{model.__name__}.{field.name}"
        if not any(isinstance(v, limits.MaxChars) and v.limit_value == field.max_length for v in field.validators):
            problems.append(f"{name}: no MaxChars({field.max_length}) validator (use core.limits.text_field)")
        if _length_checks(model).get(field.name) != field.max_length:
            problems.append(f"{name}: no CheckConstraint Length <= {field.max_length} (core.limits.length_checks)")
    assert problems == []


def test_every_text_field_on_a_form_has_a_bound_and_says_it_plainly():
    problems = []
    for form in _project_forms():
        for name, field in form.base_fields.items():
            if not isinstance(field, forms.CharField) or isinstance(field.widget, forms.HiddenInput):
                continue
            if field.max_length is None or not isinstance(field, BoundedCharField):
                problems.append(f"{form.__module__}.{form.__qualname__}.{name}")
    assert problems == []


def test_the_message_says_the_limit_and_what_was_typed():
    field = BoundedCharField(max_length=limits.NOTE, widget=forms.Textarea)
    with pytest.raises(ValidationError) as caught:
        field.clean("x" * 5210)
    assert caught.value.messages == ["Keep this to 2,000 characters or fewer (you typed 5,210)."]
    assert field.widget_attrs(field.widget)["maxlength"] == "2000"
    assert field.clean("x" * limits.NOTE) == "x" * limits.NOTE


def _action(world):
    from governance.packs.tests.factories import populate

    rows = populate(world.provider, world.service, user=world.users["rm"], approver=world.users["ni"])
    return rows["open"][0]


@pytest.mark.django_db
def test_the_database_refuses_text_past_the_limit_from_any_path(world):
    from recovery.models import RecoveryAction

    action = _action(world)
    RecoveryAction.objects.filter(pk=action.pk).update(baseline_issue="x" * limits.NARRATIVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        RecoveryAction.objects.filter(pk=action.pk).update(baseline_issue="x" * (limits.NARRATIVE + 1))


@pytest.mark.django_db
def test_full_clean_gives_the_plain_message(world):
    action = _action(world)
    action.intended_outcome = "y" * 6000
    with pytest.raises(ValidationError) as caught:
        action.full_clean()
    assert caught.value.message_dict["intended_outcome"] == [
        "Keep this to 5,000 characters or fewer (you typed 6,000)."
    ]


@pytest.mark.django_db
def test_a_service_refuses_long_text_on_the_field_not_with_an_integrity_error(world):
    from recovery.models import LeadershipLearning
    from recovery.plan.services import learning_review

    _action(world)
    learning = LeadershipLearning.objects.filter(service=world.service).first()
    with pytest.raises(ValidationError) as caught:
        learning_review(actor=world.users["ni"], learning=learning, note="z" * 5001)
    assert caught.value.message_dict == {"note": ["Keep this to 5,000 characters or fewer (you typed 5,001)."]}
    learning_review(actor=world.users["ni"], learning=learning, note="z" * 5000)
    learning.refresh_from_db()
    assert len(learning.review_note) == 5000
