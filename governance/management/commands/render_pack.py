"""Render a pack synchronously, through the same services as the background job.

python manage.py render_pack --service oak-house --from 2026-01-01 --to 2026-03-31 --out pack.pdf
python manage.py render_pack --provider oakfield --kind commissioner --out update.pdf
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from core import permissions as policy
from core.models import Provider, Service
from governance.models import EvidencePack
from governance.packs import services


def _lookup(model, value: str, **extra):
    q = Q(slug=value) | (Q(pk=int(value)) if value.isdigit() else Q(pk__in=[]))
    try:
        return model.objects.get(q, **extra)
    except model.DoesNotExist:
        raise CommandError(f"No {model._meta.verbose_name} {value!r}.") from None


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Render an evidence pack now and write it to a file (prints pages, size, SHA-256, seconds)."

    def add_arguments(self, parser):
        parser.add_argument("--service", action="append", default=[], help="Service slug or id (repeatable).")
        parser.add_argument("--provider", help="Provider slug or id (default: every service of the provider).")
        parser.add_argument("--from", dest="date_from", type=_date)
        parser.add_argument("--to", dest="date_to", type=_date)
        parser.add_argument("--kind", choices=["full", "commissioner"], default="full")
        parser.add_argument("--as", dest="as_user", help="Email of the person recorded as generating it.")
        parser.add_argument("--out", required=True, type=Path)

    def handle(self, *args, **opts):
        provider = _lookup(Provider, opts["provider"]) if opts["provider"] else None
        chosen = [_lookup(Service, s, **({"provider": provider} if provider else {})) for s in opts["service"]]
        if not chosen:
            if provider is None:
                raise CommandError("Give --service or --provider.")
            chosen = list(provider.services.order_by("name"))
        provider = provider or chosen[0].provider
        if any(s.provider_id != provider.pk for s in chosen):
            raise CommandError("Every service must belong to the same provider.")
        user = self._user(provider, opts["as_user"])

        started = time.perf_counter()
        result = services.pack_render_now(
            user=user,
            provider=provider,
            services=chosen,
            kind=opts["kind"],
            date_from=opts["date_from"],
            date_to=opts["date_to"],
        )
        seconds = time.perf_counter() - started
        pack = result.pack
        if pack.status != EvidencePack.Status.DONE:
            raise CommandError(f"Pack {pack.pk} failed: {pack.error}")
        with pack.file.open("rb") as src:
            opts["out"].write_bytes(src.read())
        self.stdout.write(
            f"pack {pack.pk}: {pack.page_count} pages, {pack.size_bytes} bytes, sha256 {pack.sha256}, "
            f"{seconds:.2f} s (PDF layout {result.pdf_seconds:.2f} s, structure {result.tagged}) -> {opts['out']}"
        )

    def _user(self, provider: Provider, email: str | None):
        from django.contrib.auth import get_user_model

        if email:
            try:
                user = get_user_model().objects.get(email__iexact=email)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user {email!r}.") from None
        else:
            user = policy.users_with(policy.Verb.GENERATE_PACK, provider).order_by("pk").first()
            if user is None:
                raise CommandError("Nobody at this provider may generate packs; pass --as EMAIL.")
        return user
