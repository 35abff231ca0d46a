"""The demo audits: idempotent, realistic trends, feeding the recovery demo's measures."""

from types import SimpleNamespace

from audits.models import Audit, AuditTemplate, Criterion
from demo import audits as demo
from demo import world as demo_world
from recovery.models import DataPoint
from recovery.tests.factories import ActionFactory, MeasureFactory, ThemeFactory


def _measure(service, name):
    theme = ThemeFactory(service=service, provider=service.provider)
    return MeasureFactory(name=name, action=ActionFactory(theme=theme, service=service, provider=service.provider))


def test_demo_seeds_templates_and_weeks_of_audits_feeding_the_recovery_measures(db):
    world = demo_world.seed()
    house = world.services["oakfield-house"]
    recovery_demo = SimpleNamespace(
        measures={"escalation": _measure(house, "Escalation"), "care-plan-alignment": _measure(house, "Alignment")}
    )
    demo.seed(world, recovery_demo)
    assert AuditTemplate.objects.filter(provider=world.provider).count() == 6
    for template in AuditTemplate.objects.all():
        assert 5 <= template.current_version().criteria.count() <= 7
    for service in world.services.values():
        weeks = Audit.objects.filter(service=service, template_version__template__frequency="weekly")
        assert weeks.values("period_end").distinct().count() >= 8
    assert Audit.objects.filter(status=Audit.Status.SUBMITTED, is_effective=False).count() >= 3
    assert not Audit.objects.exclude(status=Audit.Status.SUBMITTED).exists()
    assert all(ref.startswith("R-10") for ref in Audit.objects.first().records.values_list("record_ref", flat=True))

    escalation = list(DataPoint.objects.filter(measure=recovery_demo.measures["escalation"]).order_by("period_date"))
    assert len(escalation) >= 8
    assert escalation[0].value <= 70 and escalation[-1].value >= 85
    alignment = list(
        DataPoint.objects.filter(measure=recovery_demo.measures["care-plan-alignment"]).order_by("period_date")
    )
    assert alignment[0].value - alignment[-1].value >= 10  # drifting down

    # Worked example 1 (missed escalation): "Escalated within 4 hours" is a time criterion, and
    # each sampled record holds the minutes taken, some over the limit.
    timed = Criterion.objects.get(
        version__template__title="Deterioration and escalation record sample", kind=Criterion.Kind.TIME
    )
    assert (timed.text, timed.limit_minutes, timed.standard()) == (
        "Escalated within 4 hours of the change being noted",
        240,
        "within 4 h",
    )
    minutes = [
        int(r.answers[timed.key])
        for a in Audit.objects.filter(template_version=timed.version, service=house)
        for r in a.records.all()
    ]
    assert len(minutes) >= 80 and any(m > 240 for m in minutes) and any(m <= 240 for m in minutes)

    counts = (Audit.objects.count(), DataPoint.objects.count())
    demo.seed(world, recovery_demo)
    assert (Audit.objects.count(), DataPoint.objects.count()) == counts


def test_demo_runs_without_the_recovery_demo(db):
    world = demo_world.seed()
    demo.seed(world, None)
    assert Audit.objects.exists()
