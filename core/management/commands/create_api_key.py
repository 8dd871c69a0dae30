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
            help="A scope to grant: lineage:write or read. Repeat the option for both.",
        )

    def handle(self, *args, name, scopes, **options):
        try:
            api_key, raw_key = api_key_create(name=name, scopes=scopes)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stderr.write(
            f"Created API key {api_key.pk} ({api_key.name}) with scopes "
            f"{', '.join(api_key.scopes)}. It is shown once:"
        )
        self.stdout.write(raw_key)
