from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"

    def ready(self):
        # Registers the OpenAPI extension; drf-spectacular finds it by import.
        from core import schema  # noqa: F401
