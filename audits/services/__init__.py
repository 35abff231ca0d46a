"""Writes for audits: templates (versioned), logging and submitting audits, measure feeds.

Views, the demo and jobs call these; they check the permission policy unless told otherwise.
"""

from .audit import (
    ArisingInput,
    RecordInput,
    audit_amend,
    audit_save_draft,
    audit_start,
    audit_submit,
    validate_record_ref,
)
from .feeds import feed_create
from .templates import CriterionInput, template_create, template_update

__all__ = [
    "ArisingInput",
    "CriterionInput",
    "RecordInput",
    "audit_amend",
    "audit_save_draft",
    "audit_start",
    "audit_submit",
    "feed_create",
    "template_create",
    "template_update",
    "validate_record_ref",
]
