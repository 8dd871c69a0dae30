"""Lineage query time and storage per run as run history grows.

A fixed set of jobs (DAGs of five chained tasks) runs 100 times each, then up
to 10,000 times each, every run sending START and COMPLETE through the batch
endpoint. At both points the benchmark times GET /api/v1/lineage at depth 5
from a dataset in the middle of the first DAG. It also measures the bytes per
run: the total size (pg_total_relation_size, so heap, indexes and TOAST) of the
tables that grow with runs, divided by the rows of lineage_run. Neither may grow
with history.
"""

import logging
import time

import psycopg

from benchmarks.client import Connection, measure_latency, summarize
from benchmarks.events import RunEventStream, build_estate
from benchmarks.ingest import post_batches
from benchmarks.lineage import api_node_ids, graph_request, vacuum_analyze
from benchmarks.portal import HOST, PortalServer, bench_database, create_api_key
from benchmarks.report import log_path

logger = logging.getLogger(__name__)

TASKS_PER_DAG = 5
RUN_TABLES = ("lineage_run", "lineage_rundataset", "lineage_runfacet", "lineage_event")
LOAD_BATCH_SIZE = 500
# Events are generated and sent this many DAG runs at a time, to bound memory.
DAG_RUNS_PER_CHUNK = 1_000


def storage_per_run(database_url: str) -> dict:
    with psycopg.connect(database_url) as connection:
        sizes = {
            table: connection.execute(
                "SELECT pg_total_relation_size(%s)", [table]
            ).fetchone()[0]
            for table in RUN_TABLES
        }
        runs = connection.execute("SELECT count(*) FROM lineage_run").fetchone()[0]
        job_runs = connection.execute(
            "SELECT count(*) FROM lineage_run WHERE state <> ''"
        ).fetchone()[0]
    return {
        "runs": runs,
        "runs_with_events": job_runs,
        "bytes": sizes,
        "bytes_per_run": round(sum(sizes.values()) / runs, 1),
    }


def send_dag_runs(port: int, api_key: str, stream: RunEventStream, dag_runs: int):
    """Send the events of `dag_runs` DAG runs and return (events sent, seconds)."""
    sent, began = 0, time.perf_counter()
    while dag_runs > 0:
        chunk = min(dag_runs, DAG_RUNS_PER_CHUNK)
        events = [event for _ in range(chunk) for event in stream.dag_run_events()]
        post_batches(port, api_key, events, size=LOAD_BATCH_SIZE, connections=2)
        sent += len(events)
        dag_runs -= chunk
    return sent, time.perf_counter() - began


def measure(port: int, database_url: str, request: bytes, options) -> dict:
    vacuum_analyze(database_url)
    returned = []
    with Connection(HOST, port) as connection:
        timings = measure_latency(
            connection,
            request,
            warmup=20,
            repeats=options.repeats,
            check=lambda body: returned.append(len(api_node_ids(body))),
        )
    return {
        "api": {**summarize(timings), "nodes": returned[0]},
        "storage": storage_per_run(database_url),
    }


def run(options) -> dict:
    database_url = bench_database()
    write_key = create_api_key("bench-loader", "lineage:write")
    read_key = create_api_key("bench-reader", "read")
    tasks = build_estate(
        dags=options.history_dags, tasks_per_dag=TASKS_PER_DAG, seed=options.seed
    )
    stream = RunEventStream(tasks, seed=options.seed)
    middle = tasks[TASKS_PER_DAG // 2].outputs[0]
    root = f"dataset:{middle.namespace}:{middle.name}"
    request = graph_request(root, depth=5, api_key=read_key)

    points = {}
    server = PortalServer(
        workers=options.workers, threads=options.threads, log_path=log_path("history")
    )
    with server:
        done = 0
        for runs_per_job in (options.few_runs, options.many_runs):
            logger.info("Sending runs up to %s per job", runs_per_job)
            events, seconds = send_dag_runs(
                server.port,
                write_key,
                stream,
                (runs_per_job - done) * options.history_dags,
            )
            done = runs_per_job
            points[runs_per_job] = {
                "events_sent": events,
                "load_events_per_s": round(events / seconds, 1),
                **measure(server.port, database_url, request, options),
            }

    few, many = points[options.few_runs], points[options.many_runs]
    return {
        "benchmark": "history",
        "portal": server.settings,
        "jobs": len(tasks),
        "dags": options.history_dags,
        "root": root,
        "depth": 5,
        "runs_per_job": {str(runs): point for runs, point in points.items()},
        "ratio": {
            "median_ms": round(many["api"]["median_ms"] / few["api"]["median_ms"], 3),
            "bytes_per_run": round(
                many["storage"]["bytes_per_run"] / few["storage"]["bytes_per_run"], 3
            ),
        },
    }
