from django.core.management.base import BaseCommand

from lineage.ingestion.rebuild import rebuild_lineage


class Command(BaseCommand):
    help = (
        "Empty the derived lineage tables and replay every stored OpenLineage "
        "event into them, in one transaction. Readers wait until it commits."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="Events replayed per derivation batch (default 1000).",
        )

    def handle(self, *args, batch_size, **options):
        result = rebuild_lineage(batch_size=batch_size)
        self.stdout.write(
            f"Replayed {result.replayed} events; skipped {result.skipped} that "
            "no longer parse."
        )
