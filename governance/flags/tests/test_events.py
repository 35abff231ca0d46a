"""Flags follow events: a service's announcement re-evaluates its scope's flags after commit.

In-process (eager Celery, as the demo runs with no broker): the flag state changes after the
event without a scan. The real worker and Redis are tests/test_flag_events_worker.py.
"""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import events
from governance.flags import events as flag_events
from governance.flags import tasks
from governance.flags.rules import Scope, compute_flags
from governance.flags.services import _reconcile, flags_reevaluate, flags_scan_provider
from governance.flags.tests.factories import FlagFactory
from governance.models import Flag
from governance.reviews.tests.factories import proposed_action
from recovery.closure.services import APPROVE, action_decide_closure
from recovery.measures.services import point_record
from recovery.models import RecoveryAction
from recovery.plan.services import action_update
from recovery.tests.factories import ActionFactory, MeasureFactory, ThemeFactory

K = Flag.Kind
S = RecoveryAction.Status


def today() -> datetime.date:
    return timezone.localdate()


def overdue_action(service, **kwargs) -> RecoveryAction:
    fields = {
        "status": S.IN_PROGRESS,
        "started_on": today() - datetime.timedelta(days=20),
        "layers": False,  # no review route: only the due date can make it overdue
        "due_date": today() - datetime.timedelta(days=3),
        **kwargs,
    }
    return ActionFactory(
        theme=ThemeFactory(service=service, provider=service.provider, layers=False),
        service=service,
        provider=service.provider,
        **fields,
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what is announced inside the block as if its transaction committed at the end.

    The test's own transaction never commits, so announcements made while building the data
    (the factories call the services) wait in it; a real transaction would send them with the
    block's. Forget them first, so the block's announcements register their own callback.
    """

    def block():
        flag_events.forget_pending()
        return django_capture_on_commit_callbacks(execute=True)

    return block


def open_flags(**filters):
    return Flag.objects.filter(resolved_at__isnull=True, **filters)


def test_a_due_date_edit_resolves_the_overdue_flag_after_commit_without_a_scan(world, committed):
    action = overdue_action(world.service, owner=world.rm)
    flags_scan_provider(provider=world.provider)
    assert open_flags(kind=K.OVERDUE_ACTION, subject_id=action.pk).exists()

    with committed() as callbacks:
        action_update(actor=world.rm, action=action, due_date=today() + datetime.timedelta(days=14))
        assert open_flags(kind=K.OVERDUE_ACTION, subject_id=action.pk).exists(), "nothing runs before the commit"

    assert len(callbacks) == 1
    assert not open_flags(kind=K.OVERDUE_ACTION, subject_id=action.pk).exists()
    # ... and the other way: moving the due date into the past raises it again.
    with committed():
        action_update(actor=world.rm, action=action, due_date=today() - datetime.timedelta(days=1))
    assert open_flags(kind=K.OVERDUE_ACTION, subject_id=action.pk).count() == 1


def test_deciding_a_waiting_closure_resolves_its_overdue_review_flag(world, committed):
    action = proposed_action(world.service, world.deputy, days_ago=20)
    flags_scan_provider(provider=world.provider)
    assert open_flags(kind=K.OVERDUE_REVIEW, subject_id=action.pk, cause="closure_waiting").exists()

    with committed():
        action_decide_closure(actor=world.rm, action=action, decision=APPROVE, rationale="Re-audit shows it held.")

    assert not open_flags(kind=K.OVERDUE_REVIEW, subject_id=action.pk).exists()
    assert Flag.objects.get(kind=K.OVERDUE_REVIEW, subject_id=action.pk, cause="closure_waiting").resolved_at


def test_a_data_point_resolves_the_stale_measure_flag(world, committed):
    action = overdue_action(world.service, due_date=today() + datetime.timedelta(days=30))
    measure = MeasureFactory(action=action, baseline_date=today() - datetime.timedelta(days=60))
    flags_scan_provider(provider=world.provider)
    assert open_flags(kind=K.STALE_MEASURE, subject_id=measure.pk).exists()

    with committed():
        point_record(actor=world.rm, measure=measure, period_date=today(), numerator=9, denominator=10)

    assert not open_flags(kind=K.STALE_MEASURE, subject_id=measure.pk).exists()


def test_several_announcements_in_one_transaction_send_one_task_per_scope(world, committed):
    action = overdue_action(world.service)
    sibling_action = overdue_action(world.sibling)
    with mock.patch.object(tasks.reevaluate_flags, "apply_async") as delay, committed():
        for reason in ("status", "action", "evidence"):
            events.changed(action, reason=reason)
        events.changed(action.theme, reason="theme")
        events.changed(sibling_action, reason="status")
    assert sorted(tuple(c.args[0]) for c in delay.call_args_list) == sorted(
        [(world.provider.pk, world.service.pk, False), (world.provider.pk, world.sibling.pk, False)]
    )


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing_and_the_next_one_still_does(world):
    action = overdue_action(world.service)
    with mock.patch.object(tasks.reevaluate_flags, "apply_async") as delay:
        with pytest.raises(RuntimeError), transaction.atomic():
            events.changed(action, reason="status")
            raise RuntimeError("rolled back")
        assert delay.call_count == 0
        with transaction.atomic():
            events.changed(action, reason="status")  # a fresh transaction is not debounced by the dead one
            with transaction.atomic():
                events.changed(action, reason="status")
        assert delay.call_count == 1
        # A rolled-back savepoint drops only what it registered.
        with transaction.atomic():
            try:
                with transaction.atomic():
                    events.changed(action, reason="status")
                    raise RuntimeError("savepoint rolled back")
            except RuntimeError:
                pass
            events.changed(action, reason="status")
        assert delay.call_count == 2


def test_the_task_twice_changes_nothing_the_second_time(world):
    overdue_action(world.service)
    first = tasks.reevaluate_flags(world.provider.pk, world.service.pk)
    flags = sorted(open_flags(provider=world.provider).values_list("pk", "kind", "cause"))
    second = tasks.reevaluate_flags(world.provider.pk, world.service.pk)
    assert sum(first["raised"].values()) >= 1
    assert second["raised"] == {} and second["resolved"] == {}
    assert sorted(open_flags(provider=world.provider).values_list("pk", "kind", "cause")) == flags


def test_concurrent_runs_cannot_duplicate_a_flag(world):
    # Two re-evaluations that both decided to raise the same flag (neither saw the other's row):
    # the partial unique constraint turns the second insert into a no-op, not an error.
    overdue_action(world.service)
    now = timezone.now()
    wanted = compute_flags(world.provider, today(), now, scope=Scope(world.service.pk))
    for _ in range(2):
        _reconcile(provider=world.provider, wanted=wanted, open_qs=Flag.objects.none(), now=now)
    assert open_flags(provider=world.provider).count() == len(wanted)


def test_a_scope_touches_nothing_outside_it(world):
    overdue_action(world.service)
    # Hand-made flags no rule wants: a scan would resolve them; a re-evaluation of Oak House must not.
    sibling_flag = FlagFactory(service=world.sibling, provider=world.provider)
    wide_flag = FlagFactory(service=None, provider=world.provider)
    other_flag = FlagFactory(service=world.other_service, provider=world.other_provider)
    stale_here = FlagFactory(service=world.service, provider=world.provider)
    before = {f.pk: f.last_seen_at for f in (sibling_flag, wide_flag, other_flag)}

    flags_reevaluate(provider=world.provider, scope=Scope(world.service.pk))

    for flag in (sibling_flag, wide_flag, other_flag):
        flag.refresh_from_db()
        assert flag.resolved_at is None and flag.last_seen_at == before[flag.pk]
    stale_here.refresh_from_db()
    assert stale_here.resolved_at is not None
    assert not Flag.objects.filter(provider=world.other_provider).exclude(pk=other_flag.pk).exists()


def test_an_event_at_another_provider_never_touches_this_ones_flags(world, committed):
    mine = FlagFactory(service=world.service, provider=world.provider)
    theirs = overdue_action(world.other_service)
    with committed():
        events.changed(theirs, reason="status")
    mine.refresh_from_db()
    assert mine.resolved_at is None
    assert open_flags(provider=world.other_provider, kind=K.OVERDUE_ACTION).count() == 1
    assert not open_flags(provider=world.provider, kind=K.OVERDUE_ACTION).exclude(pk=mine.pk).exists()


def test_a_scoped_evaluation_agrees_with_the_scan_for_its_service(world):
    for service in (world.service, world.sibling):
        overdue_action(service)
        proposed_action(service, world.deputy, days_ago=20)
    now = timezone.now()
    everything = compute_flags(world.provider, today(), now)
    for service in (world.service, world.sibling):
        scoped = compute_flags(world.provider, today(), now, scope=Scope(service.pk))
        assert set(scoped) == {k for k, spec in everything.items() if spec.service_id == service.pk}
    wide = compute_flags(world.provider, today(), now, scope=Scope(None))
    assert set(wide) == {k for k, spec in everything.items() if spec.service_id is None}


def test_a_scoped_evaluation_reads_a_fixed_number_of_queries(world):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            flags_reevaluate(provider=world.provider, scope=Scope(world.service.pk))
        return len(ctx.captured_queries)

    overdue_action(world.service)
    proposed_action(world.service, world.deputy, days_ago=20)  # so the closure checklists' reads run at both sizes
    count()
    small = count()
    for _ in range(5):
        overdue_action(world.service)
        proposed_action(world.service, world.deputy, days_ago=20)
    count()  # raises the new flags
    assert count() == small


def test_subjects_map_to_their_service(world):
    action = overdue_action(world.service)
    measure = MeasureFactory(action=action)
    key = (world.provider.pk, world.service.pk, False)
    assert flag_events.scopes_for(action) == {key}
    assert flag_events.scopes_for(measure) == {key}
    assert flag_events.scopes_for(world.sibling) == {(world.provider.pk, world.sibling.pk, False)}
    assert flag_events.scopes_for(world.provider) == {(world.provider.pk, None, True)}
    assert flag_events.scopes_for(object()) == set()


def test_an_agenda_shows_the_flags_as_they_are_when_it_is_built(world):
    from governance.reviews.services import agenda_refresh, review_start
    from governance.reviews.tests.factories import OversightReviewFactory

    closed = overdue_action(world.service, title="Escalation audit")
    flags_scan_provider(provider=world.provider)
    # It closes and the event is lost (no worker, say): the flag is still open.
    RecoveryAction.objects.filter(pk=closed.pk).update(status=S.CLOSED, closed_at=timezone.now())
    assert open_flags(kind=K.OVERDUE_ACTION, subject_id=closed.pk).exists()
    review = OversightReviewFactory(service=world.service, provider=world.provider)

    review_start(actor=world.rm, review=review)

    titles = list(review.agenda_items.values_list("title", flat=True))
    assert not [t for t in titles if t.startswith("Overdue action:") and "Escalation audit" in t], titles
    # Something new arises while the meeting runs: the refresh shows it.
    late = overdue_action(world.service, title="Night checks")
    agenda_refresh(actor=world.rm, review=review)
    titles = list(review.agenda_items.values_list("title", flat=True))
    assert any(t.startswith("Overdue action:") and "Night checks" in t for t in titles), titles
    assert open_flags(kind=K.OVERDUE_ACTION, subject_id=late.pk).count() == 1


def test_a_scheduled_reviews_preview_leaves_out_flags_whose_cause_cleared(world, login):
    from governance.reviews.tests.factories import OversightReviewFactory

    closed = overdue_action(world.service, title="Escalation audit")
    overdue_action(world.service, title="Night checks")
    flags_scan_provider(provider=world.provider)
    RecoveryAction.objects.filter(pk=closed.pk).update(status=S.CLOSED, closed_at=timezone.now())  # no event
    review = OversightReviewFactory(service=world.service, provider=world.provider)

    page = login(world.rm).get(review.get_absolute_url()).content.decode()

    assert "Overdue action: Night checks" in page  # once, as itself (its flag is not repeated)
    assert "Escalation audit" not in page  # neither as itself (closed) nor as its stale flag
    assert open_flags(kind=K.OVERDUE_ACTION, subject_id=closed.pk).exists(), "a preview writes nothing"


def test_provider_wide_evidence_reaches_the_services_of_the_actions_it_supports(world, committed):
    from evidence.services import evidence_remove
    from evidence.tests.factories import EvidenceFactory

    action = overdue_action(world.sibling)
    item = EvidenceFactory(provider=world.provider, service=None)
    action.evidence.add(item)
    assert flag_events.scopes_for(item) == {
        (world.provider.pk, None, False),
        (world.provider.pk, world.sibling.pk, False),
    }
    with mock.patch.object(tasks.reevaluate_flags, "apply_async") as delay, committed():
        evidence_remove(actor=world.quality, item=item, reason="Uploaded to the wrong action.")
    assert {tuple(c.args[0]) for c in delay.call_args_list} == {
        (world.provider.pk, None, False),
        (world.provider.pk, world.sibling.pk, False),
    }
    assert delay.call_count == 2


def test_a_broker_that_is_down_does_not_undo_or_fail_the_change(world, committed, caplog):
    action = overdue_action(world.service, owner=world.rm)
    failing = mock.patch.object(tasks.reevaluate_flags, "apply_async", side_effect=OSError("Connection refused"))
    with failing, committed():
        action_update(actor=world.rm, action=action, due_date=today() + datetime.timedelta(days=7))
    action.refresh_from_db()
    assert action.due_date == today() + datetime.timedelta(days=7)
    assert "not sent (broker unavailable)" in caplog.text
