"""Typed dates are bounded to a plausible window (reliability issue, finding 7)."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.utils import timezone

from core.forms import EARLIEST_DATE, PlausibleDateField, PlausibleDateTimeField, plausible_window


class Dates(forms.Form):
    day = PlausibleDateField()
    when = PlausibleDateTimeField()


def _errors(day: str, when: str) -> dict:
    form = Dates({"day": day, "when": when})
    form.is_valid()
    return form.errors


def test_today_and_the_edges_are_accepted():
    earliest, latest = plausible_window()
    assert earliest == EARLIEST_DATE
    for day in (timezone.localdate(), earliest, latest):
        assert _errors(day.isoformat(), f"{day.isoformat()}T10:00") == {}


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31"])
def test_dates_outside_the_window_are_refused_with_a_message(day):
    errors = _errors(day, f"{day}T10:00")
    assert set(errors) == {"day", "when"}
    assert errors["day"][0].startswith("Enter a date between 1 January 2000 and ")


def test_the_window_runs_ten_years_ahead_even_from_29_february():
    assert plausible_window(datetime.date(2028, 2, 29))[1] == datetime.date(2038, 2, 28)
    assert plausible_window(datetime.date(2026, 12, 1))[1] == datetime.date(2036, 12, 1)
