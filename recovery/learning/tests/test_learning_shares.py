"""A theme's learning travels to other services of the provider, never to another provider's."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from recovery.learning import services
from recovery.models import LeadershipLearning, LearningShare
from recovery.tests.factories import ThemeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learning(world):
    theme = ThemeFactory(service=world.service, provider=world.provider, title="Audits that don't challenge")
    return LeadershipLearning.objects.create(
        theme=theme,
        provider=world.provider,
        service=world.service,
        factors=["audit_effectiveness"],
        why_it_happened="Audits were ticked, not tested against what we already knew.",
        governance_change="Each audit names its findings, actions, owners and an impact check.",
        how_tested="The quality lead re-samples two audits a month.",
        recorded_by=world.rm,
    )


def test_the_share_form_offers_only_this_providers_other_services(world, client, learning):
    client.force_login(world.quality)
    url = reverse("recovery:learning_share", kwargs={"pk": learning.pk})
    choices = {s.pk for s in client.get(url).context["form"].fields["services"].queryset}
    assert choices == {world.sibling.pk}  # not its own service, not another provider's
    response = client.post(url, {"services": [world.other_service.pk]})
    assert response.status_code == 200 and "services" in response.context["form"].errors
    assert not LearningShare.objects.exists()


def test_share_twice_shares_once_and_the_sibling_answers_once(world, client, learning):
    client.force_login(world.quality)
    url = reverse("recovery:learning_share", kwargs={"pk": learning.pk})
    client.post(url, {"services": [world.sibling.pk], "note": "Lodge audits look the same."})
    client.post(url, {"services": [world.sibling.pk], "note": "Lodge audits look the same."})  # double submit
    share = LearningShare.objects.get()
    assert (share.service, share.provider, share.applies) == (world.sibling, world.provider, None)

    # The shared-learning panel is below the fold of the service page (core.panels.FOLDS).
    below = reverse("core:service_panels_below", kwargs={"service": world.sibling.slug, "part": 2})
    sibling_page = client.get(below).content.decode()
    assert "Learning shared with us" in sibling_page and "Awaiting an answer" in sibling_page

    answer = reverse("recovery:learning_share_respond", kwargs={"pk": share.pk})
    refused = client.post(answer, {"applies": "yes", "what_changed": ""})
    assert "Say what you changed" in refused.content.decode()
    posted = {"applies": "yes", "what_changed": "Lodge audits now list actions with owners and a re-check date."}
    assert client.post(answer, posted).status_code == 302
    assert client.post(answer, posted).status_code == 302  # the same answer again: nothing changes
    again = client.post(answer, {"applies": "no", "what_changed": "Changed my mind"})
    assert "already answered" in again.content.decode()
    share.refresh_from_db()
    assert share.applies is True and share.responded_by == world.quality

    dashboard = client.get(reverse("governance:provider_dashboard", kwargs={"provider": world.provider.slug}))
    html = dashboard.content.decode()
    assert "Learning shared across services" in html and "Adopted" in html and world.sibling.name in html
    theme_page = client.get(learning.theme.get_absolute_url()).content.decode()
    assert "Adopted" in theme_page and "re-check date" in theme_page


def test_another_providers_share_is_a_404(world, client, learning):
    share = services.learning_share(actor=world.quality, learning=learning, services=[world.sibling])[0]
    client.force_login(world.users["outsider"])
    assert client.get(reverse("recovery:learning_share_respond", kwargs={"pk": share.pk})).status_code == 404
    assert client.get(reverse("recovery:learning_share", kwargs={"pk": learning.pk})).status_code == 404


def test_the_service_refuses_a_foreign_service_and_an_empty_choice(world, learning):
    with pytest.raises(ValidationError) as e:
        services.learning_share(actor=world.quality, learning=learning, services=[world.other_service])
    assert "services" in e.value.message_dict
    with pytest.raises(ValidationError):
        services.learning_share(actor=world.quality, learning=learning, services=[])


def test_an_unanswered_share_is_work_for_the_receiving_service_only(world, learning, django_assert_max_num_queries):
    from recovery.learning.selectors import unanswered_work

    services.learning_share(actor=world.quality, learning=learning, services=[world.sibling])
    today = learning.created_at.date()
    with django_assert_max_num_queries(3):
        work = unanswered_work(world.quality, today)
    assert work.total == 1 and "apply here" in work.items[0].title
    assert unanswered_work(world.rm, today).total == 0  # the RM of the sharing service has no role at the sibling
    assert unanswered_work(world.users["outsider"], today).total == 0
