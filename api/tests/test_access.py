"""The API's authorisation matrix: every persona, with a token, at their own service, a sibling
service and another provider, with the pages' expectations (``tests/test_access_matrix.py``):
another provider's object is 404, a visible object the role may not change is 403."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from api.tests.conftest import ApiClient, make_token
from audits.tests.factories import SubmittedAuditFactory
from conftest import PERSONAS
from governance.flags.tests.factories import FlagFactory
from governance.reviews.tests.factories import OversightReviewFactory
from recovery.measures.tests.matrix import RECORDERS
from recovery.tests.factories import ActionFactory, MeasureFactory, ThemeFactory
from tests.matrix_support import ALL, Row
from tests.test_access_matrix import _classify, _expected


def _theme(s):
    return ThemeFactory(service=s, provider=s.provider)


def _action(s):
    return ActionFactory(theme=_theme(s))


def _measure(s):
    return MeasureFactory(action=_action(s))


OBJECTS = {
    "service": lambda s: s,
    "theme": _theme,
    "action": _action,
    "measure": _measure,
    "audit": lambda s: SubmittedAuditFactory(service=s),
    "flag": lambda s: FlagFactory(service=s),
    "review": lambda s: OversightReviewFactory(service=s),
}


def _sides(world):
    return {"own": world.service, "sibling": world.sibling, "other": world.other_service}


@pytest.mark.django_db
@pytest.mark.parametrize("resource", sorted(OBJECTS))
def test_reading_one_object(world, resource):
    objects = {side: OBJECTS[resource](s) for side, s in _sides(world).items()}
    row = Row(f"api_v1:{resource}-detail", ALL)
    mismatches = []
    for persona in PERSONAS:
        api = ApiClient(make_token(world.users[persona], "read"))
        for side, obj in objects.items():
            got = _classify(api.get(reverse(row.name, kwargs={"pk": obj.pk})).status_code)
            expected = _expected(row, persona, side)
            if got != expected:
                mismatches.append(f"{persona} @ {side}: expected {expected}, got {got}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.django_db
def test_recording_a_point(world):
    measures = {side: _measure(s) for side, s in _sides(world).items()}
    row = Row("api_v1:measure-points", RECORDERS)
    day = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    mismatches = []
    for persona in PERSONAS:
        write = ApiClient(make_token(world.users[persona], "write"))
        read = ApiClient(make_token(world.users[persona], "read"))
        for side, measure in measures.items():
            url = reverse(row.name, kwargs={"pk": measure.pk})
            body = {"period_date": day, "numerator": 1, "denominator": 2}
            got = _classify(write.post(url, body).status_code)
            expected = _expected(row, persona, side)
            if got != expected:
                mismatches.append(f"{persona} @ {side}: expected {expected}, got {got}")
            if read.post(url, body).status_code != 403:
                mismatches.append(f"{persona} @ {side}: a read token wrote")
    assert not mismatches, "\n".join(mismatches)
