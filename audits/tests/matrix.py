"""Who may use each audits URL (see tests/matrix_support.py)."""

from tests.matrix_support import ALL, Row, only

from .factories import AuditFactory, RecordFactory, TemplateFactory, formset_data, grid_data, submitted_audit

LOGGERS = only("rm", "deputy", "lead", "quality")  # LOG_AUDIT
PLANNERS = only("rm", "deputy", "lead", "quality", "ni")  # EDIT_PLAN somewhere at the provider


def _template(w, s):
    return TemplateFactory(provider=s.provider)


def _draft(w, s):
    return AuditFactory(service=s, template=_template(w, s), auditor=w.rm)


def _submitted(w, s):
    return submitted_audit(service=s, auditor=w.rm)


def _grid(w, s):
    """A complete grid for a draft: one record, every criterion answered Yes."""
    audit = _draft(w, s)
    RecordFactory(audit=audit)
    keys = [c.key for c in audit.template_version.criteria.all()]
    return audit, grid_data(keys, [("R-1042", ["yes"] * len(keys), "")], findings="All met.")


class _Posted:
    """Build the audit and its POST data once per request (kwargs first, then data)."""

    def __init__(self):
        self.data = {}

    def kwargs(self, w, s):
        audit, self.data = _grid(w, s)
        return {"pk": audit.pk}

    def post(self, w, s):
        return self.data


class _Removal(_Posted):
    def kwargs(self, w, s):
        audit, self.data = _grid(w, s)
        self.data["remove"] = "records-0"
        return {"pk": audit.pk}


_autosave = _Posted()
_submit = _Posted()
_remove = _Removal()

ROWS = [
    # Offline capture: the service worker, the manifest and the offline page hold no one's data.
    Row("audits:service_worker", scope="public"),
    Row("audits:manifest", scope="public"),
    Row("audits:offline", scope="public"),
    Row("audits:template_list", ALL, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    Row("audits:template_create", only("quality"), lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    Row("audits:criterion_row", only("quality"), lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    Row(
        "audits:criteria_change",
        only("quality"),
        lambda w, s: {"provider": s.provider.slug},
        method="post",
        data=lambda w, s: {**formset_data("criteria", [{"text": "A"}, {"text": "B"}]), "change": "up:criteria-1"},
        scope="provider",
    ),
    Row("audits:template_detail", ALL, lambda w, s: {"pk": _template(w, s).pk}, scope="provider"),
    Row("audits:template_edit", only("quality"), lambda w, s: {"pk": _template(w, s).pk}, scope="provider"),
    Row("audits:feed_create", PLANNERS, lambda w, s: {"pk": _template(w, s).pk}, scope="provider"),
    Row("audits:audit_list", ALL, lambda w, s: {"service": s.slug}),
    Row("audits:export_xlsx", ALL, lambda w, s: {"service": s.slug}),
    Row("audits:export_csv", ALL, lambda w, s: {"service": s.slug}),
    Row("audits:schedule", ALL, lambda w, s: {"service": s.slug}),
    Row("audits:audit_start", LOGGERS, lambda w, s: {"service": s.slug}),
    Row("audits:audit_edit", LOGGERS, lambda w, s: {"pk": _draft(w, s).pk}),
    Row("audits:record_row", LOGGERS, lambda w, s: {"pk": _draft(w, s).pk}),
    Row("audits:action_row", LOGGERS, lambda w, s: {"pk": _draft(w, s).pk}),
    Row("audits:remove_row", LOGGERS, _remove.kwargs, method="post", data=_remove.post),
    Row("audits:audit_autosave", LOGGERS, _autosave.kwargs, method="post", data=_autosave.post),
    Row("audits:audit_submit", LOGGERS, _submit.kwargs, method="post", data=_submit.post),
    Row("audits:detail", ALL, lambda w, s: {"pk": _submitted(w, s).pk}),
    Row("audits:amend", LOGGERS, lambda w, s: {"pk": _submitted(w, s).pk}),
]
