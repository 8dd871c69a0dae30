from django.core.management.base import BaseCommand

from catalog.search.indexing import search_index_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the catalog's search index from products, features and lineage "
        "datasets, in one transaction. Run it after rebuild_lineage, which gives "
        "datasets new ids."
    )

    def handle(self, *args, **options):
        counts = search_index_rebuild()
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
        self.stdout.write(f"Indexed {summary or 'nothing'}.")
