import os

import requests
from django.core.management.base import BaseCommand, CommandError

from lineage.demo import DEFAULT_SEED, send_demo_events


class Command(BaseCommand):
    help = (
        "Send the demo estate (Airflow, Spark and dbt runs of a small company, "
        "three days) to a running portal with the OpenLineage HTTP client. The "
        "events are the same on every call, so the portal stores them once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="Base URL of the portal; events go to URL/api/v1/lineage.",
        )
        parser.add_argument(
            "--api-key",
            default=os.environ.get("GROUNDSKEEPER_API_KEY", ""),
            help="An API key with the lineage:write scope "
            "(default: $GROUNDSKEEPER_API_KEY).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="Seed for run ids, durations and row counts.",
        )

    def handle(self, *args, url, api_key, seed, **options):
        if not api_key:
            raise CommandError(
                "An API key is required: pass --api-key or set "
                "GROUNDSKEEPER_API_KEY (create one with "
                "`manage.py create_api_key NAME --scope lineage:write`)."
            )
        try:
            count = send_demo_events(url=url, api_key=api_key, seed=seed)
        except requests.RequestException as error:
            raise CommandError(
                f"Sending the demo estate to {url} failed: {error}"
            ) from error
        self.stdout.write(f"Sent {count} demo events to {url}.")
