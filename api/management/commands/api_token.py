"""``manage.py api_token EMAIL [--name N] [--scope read|write]``: make a token and print it once."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from api import services
from api.models import ApiToken


class Command(BaseCommand):
    help = "Make an API token for a person or a service account and print it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The account the token acts as.")
        parser.add_argument("--name", default="Command-line token", help="What will use the token.")
        parser.add_argument("--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.READ)

    def handle(self, *args, email, name, scope, **options):
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account with the email {email}.")
        try:
            row, token = services.token_create(user=user, name=name, scope=scope)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stderr.write(f"Token {row.name!r} ({row.get_scope_display().lower()}) for {user.email}; keep it secret:")
        self.stdout.write(token)
