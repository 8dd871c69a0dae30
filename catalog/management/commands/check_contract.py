import json
import sys

from django.core.management.base import BaseCommand, CommandError

from catalog.contracts.schema import SchemaInvalid, count_changes
from catalog.contracts.selectors import port_of_dataset, proposed_schema_check
from catalog.models import DataProduct

# Exit codes: 0 compatible, 1 breaking changes, 2 bad input.
BREAKING = 1
BAD_INPUT = 2


class Command(BaseCommand):
    help = (
        "Check a proposed schema against the current contract of the output "
        "port that publishes the dataset NAMESPACE NAME, as the contract-check "
        "API does. SCHEMA_FILE (or - for standard input, the default) holds an "
        "OpenLineage SchemaDatasetFacet or a JSON list of fields. Exits 0 when "
        "compatible, 1 with the breaking changes, 2 for bad input."
    )

    def add_arguments(self, parser):
        parser.add_argument("namespace", metavar="NAMESPACE")
        parser.add_argument("name", metavar="NAME")
        parser.add_argument(
            "schema_file", metavar="SCHEMA_FILE", nargs="?", default="-"
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print the result as the API's JSON body instead of text.",
        )

    def handle(self, *args, namespace, name, schema_file, **options):
        schema = self._read_schema(schema_file)
        # An operator on the server may check any product's port.
        port = port_of_dataset(DataProduct.objects.all(), namespace, name)
        if port is None:
            raise CommandError(
                f"No output port publishes the dataset {namespace} {name}.",
                returncode=BAD_INPUT,
            )
        try:
            result = proposed_schema_check(port=port, schema=schema, path="")
        except SchemaInvalid as error:
            where = f" at {error.path}" if error.path else ""
            raise CommandError(
                f"Invalid schema{where}: {error.message}", returncode=BAD_INPUT
            ) from None
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        else:
            self._write_text(result)
        if not result.compatible:
            raise CommandError(
                f"The schema breaks contract {result.contract.version} of "
                f"{port.product.slug}.",
                returncode=BREAKING,
            )

    def _read_schema(self, schema_file: str):
        try:
            if schema_file == "-":
                text = sys.stdin.read()
            else:
                with open(schema_file, encoding="utf-8") as file:
                    text = file.read()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                f"Could not read {schema_file}: {error}", returncode=BAD_INPUT
            ) from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(
                f"Invalid JSON in {schema_file}: {error}", returncode=BAD_INPUT
            ) from None

    def _write_text(self, result) -> None:
        if result.contract is None:
            self.stdout.write(
                f"Compatible: output port {result.port.dataset} has no contract."
            )
            return
        contract = result.contract
        if result.compatible:
            self.stdout.write(
                f"Compatible with contract {contract.version} "
                f"({contract.compatibility}) of {result.port.dataset}."
            )
            return
        self.stdout.write(
            f"{count_changes(len(result.breaking_changes))} against contract "
            f"{contract.version} ({contract.compatibility}) of {result.port.dataset}:"
        )
        for change in result.breaking_changes:
            self.stdout.write(f"  {change.describe()}")
