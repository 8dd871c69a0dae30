from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.models import ApiKey
from core.services import api_key_create


class Command(BaseCommand):
    help = (
        "Create an API key and print it once. Only its SHA-256 is stored, so "
        "copy it now: it cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who or what uses the key, e.g. airflow-prod.")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            required=True,
            choices=ApiKey.Scope.values,
            help=(
                "A scope to grant: lineage:write, read or catalog:write. Repeat "
                "the option for more than one."
            ),
        )
        parser.add_argument(
            "--user",
            help="The username the key acts as (needed for catalog:write).",
        )

    def handle(self, *args, name, scopes, user=None, **options):
        account = None
        if user:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"There is no user named {user!r}.")
        try:
            api_key, raw_key = api_key_create(name=name, scopes=scopes, user=account)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stderr.write(
            f"Created API key {api_key.pk} ({api_key.name}) with scopes "
            f"{', '.join(api_key.scopes)}. It is shown once:"
        )
        self.stdout.write(raw_key)
