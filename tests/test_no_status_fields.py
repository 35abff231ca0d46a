"""No form in the project carries a status: statuses move only through transition functions."""

from __future__ import annotations

import importlib
import pkgutil

from django import forms

APPS = ("core", "evidence", "recovery", "audits", "governance", "api")
# GET filters that choose which rows a list shows; they never write a status.
FILTERS_ONLY = {"recovery.overview.forms.MapFilterForm"}


def _import_form_modules() -> None:
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".tests" in info.name or ".migrations" in info.name:
                continue
            if info.name.rsplit(".", 1)[-1].startswith("forms") or ".forms." in info.name:
                importlib.import_module(info.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _project_forms() -> list[type]:
    _import_form_modules()
    found = {c for base in (forms.Form, forms.ModelForm) for c in _subclasses(base)}
    # Forms of the apps themselves: a test module's own example forms (imported first by another
    # test in the same process) are not the product's.
    ours = (c for c in found if c.__module__.split(".")[0] in APPS and ".tests" not in c.__module__)
    return sorted(ours, key=lambda c: c.__qualname__)


def test_forms_were_found():
    names = {c.__name__ for c in _project_forms()}
    assert {"ClosureDecisionForm", "ThemeMoveForm", "ActionForm", "ThemeForm"} <= names


def test_no_form_has_a_status_field():
    offenders = []
    for form in _project_forms():
        if f"{form.__module__}.{form.__qualname__}" in FILTERS_ONLY:
            continue
        fields = set(form.base_fields)
        meta = getattr(form, "_meta", None)
        fields |= set(getattr(meta, "fields", None) or [])
        if any(name == "status" or name.endswith("_status") for name in fields):
            offenders.append(f"{form.__module__}.{form.__qualname__}")
    assert offenders == []


def test_every_date_a_person_types_is_bounded_to_a_plausible_window():
    """A date field on any form refuses 9999-12-31 and 0001-01-01 with a message (core.forms)."""
    from core.forms import PlausibleDateField, PlausibleDateTimeField

    unbounded = []
    for form in _project_forms():
        try:
            fields = form.base_fields
        except AttributeError:
            continue
        for name, field in fields.items():
            if isinstance(field, forms.DateField | forms.DateTimeField) and not isinstance(
                field, PlausibleDateField | PlausibleDateTimeField
            ):
                unbounded.append(f"{form.__module__}.{form.__qualname__}.{name}")
    assert unbounded == []
