from django.core import mail
from django.urls import reverse

from core.models import Role
from core.tests.factories import MembershipFactory, ServiceFactory


def test_the_services_overview_lists_only_what_the_user_can_see(world, client):
    client.force_login(world.rm)
    html = client.get(reverse("core:overview")).content.decode()
    assert "Oak House" in html
    assert "Oak Lodge" not in html
    assert "River House" not in html


def test_home_for_a_person_without_roles_explains_what_to_do(db, client):
    from core.tests.factories import UserFactory

    client.force_login(UserFactory())
    assert "not been given a role" in client.get(reverse("core:home")).content.decode()


def test_outsider_gets_the_friendly_404_page(world, client):
    client.force_login(world.outsider)
    response = client.get(reverse("core:service_detail", kwargs={"service": world.service.slug}))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_overview_query_count_does_not_grow_with_services(world, client, django_assert_max_num_queries):
    client.force_login(world.ni)
    url = reverse("core:overview")
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    for _ in range(25):
        ServiceFactory(provider=world.provider)
    with django_assert_max_num_queries(12) as large:
        client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_sign_in_with_email_and_password(world, client):
    response = client.post(reverse("login"), {"username": "RM@example.test", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_repeated_failed_sign_ins_are_throttled_with_a_clear_message(world, client):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "rm@example.test", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "rm@example.test", "password": "correct-horse-battery"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_password_reset_sends_an_email(world, client):
    client.post(reverse("password_reset"), {"email": "rm@example.test"})
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_account_page_saves_digest_preference(world, client):
    client.force_login(world.rm)
    response = client.post(reverse("core:account"), {"first_name": "Priya", "last_name": "S", "job_title": "RM"})
    assert response.status_code == 302
    world.rm.refresh_from_db()
    assert world.rm.digest_opt_in is False and world.rm.first_name == "Priya"


def test_membership_service_must_belong_to_provider(world):
    import pytest
    from django.core.exceptions import ValidationError

    m = MembershipFactory.build(user=world.rm, provider=world.other_provider, service=world.service, role=Role.LEAD)
    with pytest.raises(ValidationError):
        m.clean()


def test_non_staff_cannot_reach_the_admin(world, client):
    client.force_login(world.ni)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_provider_page_links_each_persona_only_where_they_may_go(world, client):
    url = reverse("core:provider_detail", kwargs={"provider": world.provider.slug})
    client.force_login(world.ni)
    html = client.get(url).content.decode()
    assert reverse("governance:provider_dashboard", kwargs={"provider": world.provider.slug}) in html
    assert reverse("recovery:map_provider", kwargs={"provider": world.provider.slug}) in html
    client.force_login(world.rm)
    html = client.get(url).content.decode()
    assert reverse("governance:provider_dashboard", kwargs={"provider": world.provider.slug}) not in html
    assert reverse("recovery:map_provider", kwargs={"provider": world.provider.slug}) in html


def test_closure_decisions_link_only_for_deciders(world, client):
    client.force_login(world.ni)
    assert reverse("governance:closure_queue") in client.get(reverse("core:home")).content.decode()
    client.force_login(world.viewer)
    assert reverse("governance:closure_queue") not in client.get(reverse("core:home")).content.decode()
