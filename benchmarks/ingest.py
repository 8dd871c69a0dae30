"""Ingestion over HTTP, single events and batches, against a raw COPY baseline.

Targets on the 2-core reference machine: 500 events/s sent one per request and
5,000 events/s sent in batches. The baseline is psycopg 3 `COPY` of the same
event JSON into a table with one jsonb column: the cost of only writing the
bytes, against which the portal's parsing and derivation are compared.
"""

import logging
import time

import orjson
import psycopg

from benchmarks.client import LoadResult, build_request, run_load
from benchmarks.events import RunEventStream, build_estate
from benchmarks.portal import (
    HOST,
    PortalServer,
    bench_database,
    create_api_key,
)
from benchmarks.report import log_path

logger = logging.getLogger(__name__)

SINGLE_PATH = "/api/v1/lineage"
BATCH_PATH = "/api/v1/lineage/batch"
SINGLE_TARGET = 500
BATCH_TARGET = 5_000


def post_request(path: str, body: bytes, *, api_key: str) -> bytes:
    return build_request(
        "POST",
        path,
        headers={
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
        },
        body=body,
    )


def count_single(status: int, body: bytes) -> int:
    return 1 if status == 201 else 0


def count_batch(status: int, body: bytes) -> int:
    """Count the events a batch response reports as created.

    Raises ValueError when the response reports a rejected event.
    """
    created = 0
    for result in orjson.loads(body)["results"]:
        if result["status"] == 201:
            created += 1
        elif not 200 <= result["status"] < 300:
            raise ValueError(f"event {result['index']} rejected: {result}")
    return created


def batch_requests(events: list[dict], *, size: int, api_key: str) -> list[bytes]:
    """Build one POST per `size` events, as a JSON array (the last may be shorter)."""
    return [
        post_request(
            BATCH_PATH, orjson.dumps(events[start : start + size]), api_key=api_key
        )
        for start in range(0, len(events), size)
    ]


def post_batches(
    port: int, api_key: str, events: list[dict], *, size: int, connections: int
) -> LoadResult:
    """Send every event in batches, with no time limit.

    Raises RuntimeError unless every event was created.
    """
    requests = batch_requests(events, size=size, api_key=api_key)
    result = run_load(
        HOST,
        port,
        requests,
        count_created=count_batch,
        connections=connections,
        warmup_s=0,
        duration_s=24 * 3600,
    )
    if result.failures or result.events != len(events):
        raise RuntimeError(
            f"Loading failed: {result.events} of {len(events)} events created; "
            f"first failure: {result.failures[:1]}"
        )
    return result


def copy_baseline(database_url: str, bodies: list[bytes]) -> dict:
    """Time a COPY of the event JSON into a one-column jsonb table."""
    rows = [body.decode() for body in bodies]
    with psycopg.connect(database_url) as connection:
        connection.execute("CREATE TABLE bench_copy_event (payload jsonb NOT NULL)")
        connection.commit()
        began = time.perf_counter()
        with connection.cursor() as cursor:
            with cursor.copy("COPY bench_copy_event (payload) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((row,))
        connection.commit()
        elapsed = time.perf_counter() - began
    return {
        "events": len(rows),
        "duration_s": round(elapsed, 3),
        "events_per_s": round(len(rows) / elapsed, 1),
    }


def _load_phase(
    port: int, requests: list[bytes], *, count_created, options
) -> LoadResult:
    return run_load(
        HOST,
        port,
        requests,
        count_created=count_created,
        connections=options.connections,
        warmup_s=options.warmup,
        duration_s=options.duration,
    )


def run(options) -> dict:
    database_url = bench_database()
    api_key = create_api_key("bench-pipeline", "lineage:write")
    stream = RunEventStream(
        build_estate(dags=options.ingest_dags, tasks_per_dag=5, seed=options.seed),
        seed=options.seed,
    )
    logger.info("Generating %s + %s events", options.single_pool, options.batch_pool)
    single_bodies = [orjson.dumps(event) for event in stream.take(options.single_pool)]
    batch_events = stream.take(options.batch_pool)
    batch_bodies = [orjson.dumps(event) for event in batch_events]
    sizes = sorted(len(body) for body in single_bodies + batch_bodies)

    server = PortalServer(
        workers=options.workers, threads=options.threads, log_path=log_path("ingest")
    )
    with server:
        requests = [
            post_request(SINGLE_PATH, body, api_key=api_key) for body in single_bodies
        ]
        logger.info("Sending single events for %s s", options.duration)
        single = _load_phase(
            server.port, requests, count_created=count_single, options=options
        )
        del requests
        requests = batch_requests(
            batch_events, size=options.batch_size, api_key=api_key
        )
        logger.info(
            "Sending batches of %s for %s s", options.batch_size, options.duration
        )
        batch = _load_phase(
            server.port, requests, count_created=count_batch, options=options
        )
        del requests

    logger.info("Timing COPY of %s events", len(batch_bodies))
    copy = copy_baseline(database_url, batch_bodies)
    with psycopg.connect(database_url) as connection:
        stored = connection.execute("SELECT count(*) FROM lineage_event").fetchone()[0]
    return {
        "benchmark": "ingest",
        "portal": server.settings,
        "events": {
            "generated": len(sizes),
            "bytes_min": sizes[0],
            "bytes_median": sizes[len(sizes) // 2],
            "bytes_max": sizes[-1],
            "stored_in_lineage_event": stored,
            "stored_matches_201s": stored == single.events_total + batch.events_total,
        },
        "single": {
            **single.as_dict(),
            "target_events_per_s": SINGLE_TARGET,
            "met": not single.failures and single.events_per_s >= SINGLE_TARGET,
            "ratio_to_copy": round(single.events_per_s / copy["events_per_s"], 4),
        },
        "batch": {
            **batch.as_dict(),
            "events_per_request": options.batch_size,
            "target_events_per_s": BATCH_TARGET,
            "met": not batch.failures and batch.events_per_s >= BATCH_TARGET,
            "ratio_to_copy": round(batch.events_per_s / copy["events_per_s"], 4),
        },
        "copy_baseline": copy,
    }
