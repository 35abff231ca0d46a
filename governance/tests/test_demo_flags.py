import io

import pytest
from django.core.management import call_command

from governance.models import Flag


@pytest.mark.django_db
def test_the_demo_shows_every_kind_of_flag_and_reseeding_adds_none():
    call_command("seed_demo", stdout=io.StringIO())
    open_flags = Flag.objects.filter(provider__slug="oakfield", resolved_at__isnull=True)
    assert set(open_flags.values_list("kind", flat=True)) == set(Flag.Kind.values)
    before = Flag.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Flag.objects.count() == before
