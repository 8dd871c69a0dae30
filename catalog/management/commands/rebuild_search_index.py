from django.core.management.base import BaseCommand

from catalog.search.indexing import search_index_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the catalog's search index from products, features and lineage "
        "datasets, in one transaction: to repair the index, or to fill it after "
        "rows were loaded without the catalog's signals (a bulk load)."
    )

    def handle(self, *args, **options):
        counts = search_index_rebuild()
        summary = ", ".join(f"{kind}: {count}" for kind, count in counts.items())
        total = sum(counts.values())
        self.stdout.write(f"Indexed {total} documents ({summary or 'none'}).")
