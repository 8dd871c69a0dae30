from django.core.management.base import BaseCommand

from catalog.demo import DEMO_USERS, load_demo_catalog


class Command(BaseCommand):
    help = (
        "Create the demo catalog over the lineage demo estate: domains, "
        "products, their owners and SLAs, and one demo user per persona."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", required=True, help="The password of every demo user."
        )

    def handle(self, *args, password, **options):
        created = load_demo_catalog(password=password)
        self.stdout.write(
            f"Loaded {len(created)} new demo products. Demo users: "
            + ", ".join(
                f"{name} ({persona})" for name, (persona, _) in DEMO_USERS.items()
            )
        )
