"""Import an action plan (.xlsx, .ods or .csv) into a service, with the automatic column mapping."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core import permissions as policy
from core.models import Role, Service, User
from recovery.importing import services
from recovery.importing.mapping import FIELDS


class Command(BaseCommand):
    help = (
        "Import an action plan into a service: finds the header row, maps the columns automatically, "
        "prints rows imported, updated and skipped (with the reason). Exits 1 when nothing could be imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--service", required=True, help="The service's slug.")
        parser.add_argument("--dry-run", action="store_true", help="Work everything out, write nothing.")
        parser.add_argument(
            "--as",
            dest="as_email",
            default="",
            help="Who the import is recorded against (must be able to edit the plan there). "
            "Default: the service's registered manager, when there is exactly one.",
        )

    def handle(self, *args, file, service, dry_run, as_email, **options):
        service_obj = Service.objects.select_related("provider").filter(slug=service).first()
        if service_obj is None:
            raise CommandError(f"No service with the slug “{service}”.")
        actor = self._actor(service_obj, as_email)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file at {file}.")
        try:
            with transaction.atomic():
                plan_import = services.plan_import_start(
                    actor=actor, service=service_obj, filename=path.name, data=path.read_bytes()
                )
                mapping = plan_import.mapping
                for heading, name in zip(services.heads_of(plan_import), mapping, strict=False):
                    self.stdout.write(f"  {heading} -> {FIELDS[name] if name else 'notes'}")
                services.plan_import_map(actor=actor, plan_import=plan_import, mapping=mapping)
                result = services.plan_import_confirm(actor=actor, plan_import=plan_import, dry_run=dry_run)
                if dry_run:
                    transaction.set_rollback(True)  # not even the import record is kept
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        prefix = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{prefix} {len(result.imported)} row(s), updated {len(result.updated)}, skipped {len(result.skipped)} "
            f"from {path.name} (SHA-256 {plan_import.file_sha256}) as {actor}."
        )
        for number, why in result.skipped:
            self.stdout.write(f"  row {number}: skipped. {why}")
        if not result.imported and not result.updated:
            raise CommandError("Nothing could be imported.")

    def _actor(self, service: Service, email: str) -> User:
        if email:
            actor = User.objects.filter(email__iexact=email, is_active=True).first()
            if actor is None or not policy.can(actor, policy.Verb.EDIT_PLAN, service):
                raise CommandError(f"{email} may not edit the plan at {service.name}.")
            return actor
        managers = list(
            User.objects.filter(
                is_active=True,
                memberships__service=service,
                memberships__role=Role.REGISTERED_MANAGER,
            ).distinct()[:2]
        )
        if len(managers) != 1:
            raise CommandError("Say who is importing the plan: --as EMAIL (someone who may edit the plan there).")
        return managers[0]
