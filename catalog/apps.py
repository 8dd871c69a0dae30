from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self):
        # Imported for their side effect: they connect the signal handlers.
        from catalog import receivers, search_receivers  # noqa: F401
        from catalog.page_cache_receivers import connect_page_cache_receivers

        connect_page_cache_receivers()
