from .logging import (
    action_row,
    amend,
    audit_autosave,
    audit_edit,
    audit_list,
    audit_start,
    audit_submit,
    detail,
    record_row,
    remove_row,
    schedule,
)
from .templates import feed_create, template_create, template_detail, template_edit, template_list

__all__ = [
    "action_row",
    "amend",
    "audit_autosave",
    "audit_edit",
    "audit_list",
    "audit_start",
    "audit_submit",
    "detail",
    "feed_create",
    "record_row",
    "remove_row",
    "schedule",
    "template_create",
    "template_detail",
    "template_edit",
    "template_list",
]
