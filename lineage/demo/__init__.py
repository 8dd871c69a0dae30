"""A demo estate: the OpenLineage events of a small company's data platform.

Four domains (sales, marketing, finance, ML features) run on Airflow, Spark and
dbt over PostgreSQL sources, an S3 lake and a Hive metastore, for three days.
The events are built with openlineage-python's own classes and sent with its
HTTP client, so the demo exercises what a real producer sends. They carry parent
facets, symlinks between S3 paths and Hive tables, nested schemas, column
lineage, documentation, ownership and SQL. One run fails, one is still running,
and a DatasetEvent and a JobEvent describe what no run has touched.

The same seed gives the same events byte for byte, and the portal stores an
event once, so loading the demo again adds nothing.
"""

import logging

from openlineage.client import OpenLineageClient
from openlineage.client.transport.http import (
    ApiKeyTokenProvider,
    HttpConfig,
    HttpTransport,
)

from lineage.demo.events import build_demo_events

logger = logging.getLogger(__name__)

DEFAULT_SEED = 20261128

__all__ = ["DEFAULT_SEED", "build_demo_events", "send_demo_events"]


def send_demo_events(
    *, url: str, api_key: str, seed: int = DEFAULT_SEED, timeout: float = 30.0
) -> int:
    """Send the demo estate's events to the portal at `url` and return how many.

    Raises requests.HTTPError on the first event the portal does not accept.
    """
    config = HttpConfig(
        url=url,
        auth=ApiKeyTokenProvider({"apiKey": api_key}),
        timeout=timeout,
    )
    client = OpenLineageClient(transport=HttpTransport(config))
    events = build_demo_events(seed)
    logger.info("Sending %s demo events to %s", len(events), url)
    try:
        for event in events:
            client.emit(event)
    finally:
        client.close()
    return len(events)
