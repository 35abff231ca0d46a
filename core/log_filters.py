"""Logging filter that keeps secrets in URL paths out of the logs.

The calendar feed's address carries its owner's secret (calendar apps cannot sign in), so
Django's "Not Found: /reviews/calendar/feed/<secret>/reviews.ics" warnings and 500 reports
would write it to the log. This filter rewrites the secret to ``***`` in every record's
message and arguments; settings.LOGGING attaches it to the console handler and to the
``django.request`` and ``django.server`` loggers (so Django's own handlers, used with DEBUG,
see the masked text too). No ``ADMINS`` are configured, so no error e-mail carries the path.
"""

from __future__ import annotations

import logging
import re

SECRET_IN_PATH = re.compile(r"(/feed/)[^/\s\"?]+")


def mask(text: str) -> str:
    return SECRET_IN_PATH.sub(r"\1***", text)


class MaskSecretsInPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: mask(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True
