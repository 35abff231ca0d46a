"""The permission policy, read as an access spec with named personas."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from core import permissions as policy
from core.models import Role, Service
from core.permissions import ROLE_VERBS, Verb
from core.tests.factories import MembershipFactory, ServiceFactory


def test_every_role_has_a_row_in_the_table():
    assert set(ROLE_VERBS) == set(Role.values)
    assert all(Verb.VIEW in verbs for verbs in ROLE_VERBS.values())


def test_viewer_and_board_cannot_change_anything():
    for role in (Role.VIEWER,):
        assert ROLE_VERBS[role] == {Verb.VIEW}
    assert ROLE_VERBS[Role.BOARD_MEMBER] == {Verb.VIEW, Verb.CHALLENGE}


def test_only_the_nominated_individual_decides_high_risk_closures():
    assert policy.roles_with(Verb.DECIDE_HIGH_RISK_CLOSURE) == {Role.NOMINATED_INDIVIDUAL}


def test_service_level_role_sees_only_its_service(world):
    visible = set(policy.services(world.rm))
    assert visible == {world.service}


def test_provider_level_role_sees_every_service_of_its_provider(world):
    assert set(policy.services(world.ni)) == {world.service, world.sibling}


def test_outsider_sees_only_their_own_provider(world):
    assert set(policy.services(world.outsider)) == {world.other_service}
    assert set(policy.providers(world.outsider)) == {world.other_provider}


def test_get_or_404_hides_other_providers_objects(world):
    with pytest.raises(Http404):
        policy.get_or_404(world.rm, Service.objects.all(), pk=world.other_service.pk)
    with pytest.raises(Http404):
        policy.get_or_404(world.rm, Service.objects.all(), pk=world.sibling.pk)


def test_get_or_404_forbids_a_visible_object_the_role_may_not_change(world):
    with pytest.raises(PermissionDenied):
        policy.get_or_404(world.viewer, Service.objects.all(), Verb.EDIT_PLAN, pk=world.service.pk)
    assert policy.get_or_404(world.rm, Service.objects.all(), Verb.EDIT_PLAN, pk=world.service.pk)


def test_a_person_with_roles_at_two_providers_sees_both(world):
    MembershipFactory(user=world.rm, provider=world.other_provider, service=world.other_service, role=Role.VIEWER)
    policy.forget(world.rm)
    assert set(policy.services(world.rm)) == {world.service, world.other_service}
    assert policy.can(world.rm, Verb.VIEW, world.other_service)
    assert not policy.can(world.rm, Verb.EDIT_PLAN, world.other_service)
    assert policy.can(world.rm, Verb.EDIT_PLAN, world.service)


def test_users_with_lists_people_who_may_act_at_a_service(world):
    editors = set(policy.users_with(Verb.EDIT_PLAN, world.service))
    assert {world.rm, world.deputy, world.lead, world.quality, world.ni} <= editors
    assert world.viewer not in editors and world.outsider not in editors and world.owner not in editors


def test_memberships_are_read_once_per_user(world, django_assert_num_queries):
    user = world.quality
    policy.forget(user)
    with django_assert_num_queries(1):
        policy.can(user, Verb.VIEW, world.service)
        policy.can(user, Verb.EDIT_PLAN, world.sibling)
        policy.access_for(user).service_ids(Verb.VIEW)


def test_inactive_user_has_no_access(world):
    world.rm.is_active = False
    policy.forget(world.rm)
    assert not policy.can(world.rm, Verb.VIEW, world.service)


def test_service_factory_builds_a_provider(db):
    assert ServiceFactory().provider_id
