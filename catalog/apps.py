from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self):
        # Imported for their side effect: they connect the signal handlers.
        from catalog import receivers, search_receivers  # noqa: F401
