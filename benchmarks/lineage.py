"""The lineage API on a 100,000-node graph, against networkx and WITH RECURSIVE.

The graph (benchmarks.graphs) is loaded through the portal's batch endpoint,
one COMPLETE RunEvent per job. The benchmark then times GET /api/v1/lineage at
depth 5 for a dataset whose neighbourhood has about 200 nodes. The target is a
median under 25 ms. On the same graph and root it also times a networkx walk in
memory and a recursive SQL query over a plain table of the same edges.
"""

import logging
import time
from urllib.parse import quote

import networkx as nx
import orjson
import psycopg

from benchmarks.client import Connection, build_request, measure_latency, summarize
from benchmarks.graphs import (
    LineageGraph,
    generate_graph,
    job_run_events,
    neighbourhood,
    pick_root,
)
from benchmarks.ingest import post_batches
from benchmarks.portal import HOST, PortalServer, bench_database, create_api_key
from benchmarks.report import log_path

logger = logging.getLogger(__name__)

MEDIAN_TARGET_MS = 25
LOAD_BATCH_SIZE = 500
LINEAGE_TABLES = (
    "lineage_namespace",
    "lineage_job",
    "lineage_dataset",
    "lineage_lineageedge",
    "lineage_run",
    "lineage_rundataset",
)

# Both walks keep (node, depth) pairs, so a node reached by two paths of
# different lengths appears twice before the final UNION removes it.
RECURSIVE_SQL = """
WITH RECURSIVE
downstream(node, depth) AS (
    SELECT %(root)s::bigint, 0
    UNION
    SELECT e.destination, d.depth + 1
    FROM downstream d JOIN bench_edge e ON e.origin = d.node
    WHERE d.depth < %(depth)s
),
upstream(node, depth) AS (
    SELECT %(root)s::bigint, 0
    UNION
    SELECT e.origin, u.depth + 1
    FROM upstream u JOIN bench_edge e ON e.destination = u.node
    WHERE u.depth < %(depth)s
)
SELECT node FROM downstream UNION SELECT node FROM upstream
"""


def graph_request(root: str, *, depth: int, api_key: str) -> bytes:
    target = f"/api/v1/lineage?nodeId={quote(root, safe='')}&depth={depth}"
    return build_request("GET", target, headers={"Authorization": f"Bearer {api_key}"})


def api_node_ids(body: bytes) -> set[str]:
    return {node["id"] for node in orjson.loads(body)["graph"]}


def vacuum_analyze(database_url: str, tables=LINEAGE_TABLES) -> None:
    """Vacuum and refresh planner statistics, as autovacuum would after a bulk load."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        for table in tables:
            connection.execute(f"VACUUM (ANALYZE) {table}")


def networkx_baseline(graph: LineageGraph, root: str, *, depth: int, repeats: int):
    """Time a networkx walk of `depth` edges upstream and downstream of `root`."""
    digraph = nx.DiGraph(graph.edges())
    reverse = digraph.reverse(copy=False)
    timings, nodes = [], set()
    for _ in range(repeats):
        began = time.perf_counter()
        nodes = set(nx.single_source_shortest_path_length(digraph, root, cutoff=depth))
        nodes |= set(nx.single_source_shortest_path_length(reverse, root, cutoff=depth))
        timings.append(time.perf_counter() - began)
    return {"nodes": len(nodes), **summarize(timings)}


def sql_baseline(
    database_url: str, graph: LineageGraph, root: str, *, depth: int, repeats: int
):
    """Time WITH RECURSIVE over a plain (origin, destination) bigint edge table."""
    numbers: dict[str, int] = {}
    for job in graph.jobs:
        numbers[job.node_id] = len(numbers)
    for dataset in graph.datasets:
        numbers[dataset.node_id] = len(numbers)
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "CREATE TABLE bench_edge"
            " (origin bigint NOT NULL, destination bigint NOT NULL)"
        )
        with connection.cursor().copy(
            "COPY bench_edge (origin, destination) FROM STDIN"
        ) as copy:
            for origin, destination in graph.edges():
                copy.write_row((numbers[origin], numbers[destination]))
        connection.execute("CREATE INDEX bench_edge_origin ON bench_edge (origin)")
        connection.execute(
            "CREATE INDEX bench_edge_destination ON bench_edge (destination)"
        )
        connection.commit()
    vacuum_analyze(database_url, tables=("bench_edge",))
    parameters = {"root": numbers[root], "depth": depth}
    timings, rows = [], []
    with psycopg.connect(database_url) as connection:
        for attempt in range(repeats + 10):
            began = time.perf_counter()
            rows = connection.execute(RECURSIVE_SQL, parameters).fetchall()
            elapsed = time.perf_counter() - began
            if attempt >= 10:
                timings.append(elapsed)
    return {"nodes": len(rows), **summarize(timings)}


def run(options) -> dict:
    database_url = bench_database()
    write_key = create_api_key("bench-loader", "lineage:write")
    read_key = create_api_key("bench-reader", "read")
    logger.info("Generating a graph of %s nodes", options.nodes)
    graph = generate_graph(options.nodes, seed=options.seed)
    root, expected_nodes = pick_root(
        graph, depth=options.depth, target=200, samples=3000, seed=options.seed
    )
    expected_ids = neighbourhood(*graph.adjacency(), root, depth=options.depth)
    logger.info(
        "Root %s has %s nodes within depth %s", root, expected_nodes, options.depth
    )
    events = list(job_run_events(graph, seed=options.seed))

    server = PortalServer(
        workers=options.workers, threads=options.threads, log_path=log_path("lineage")
    )
    with server:
        logger.info("Loading %s events", len(events))
        began = time.perf_counter()
        load = post_batches(
            server.port, write_key, events, size=LOAD_BATCH_SIZE, connections=2
        )
        load_seconds = time.perf_counter() - began
        vacuum_analyze(database_url)
        request = graph_request(root, depth=options.depth, api_key=read_key)
        returned = []
        with Connection(HOST, server.port) as connection:
            timings = measure_latency(
                connection,
                request,
                warmup=20,
                repeats=options.repeats,
                check=lambda body: returned.append(api_node_ids(body)),
            )
    api = summarize(timings)

    logger.info("Timing the baselines")
    return {
        "benchmark": "lineage",
        "portal": server.settings,
        "graph": {
            "nodes": graph.node_count,
            "jobs": len(graph.jobs),
            "datasets": len(graph.datasets),
            "edges": sum(1 for _ in graph.edges()),
            "root": root,
            "depth": options.depth,
            "neighbourhood_nodes": expected_nodes,
        },
        "load": {
            "events": load.events,
            "batch_size": LOAD_BATCH_SIZE,
            "duration_s": round(load_seconds, 1),
            "events_per_s": round(load.events / load_seconds, 1),
        },
        "api": {
            **api,
            "nodes": len(returned[0]),
            "nodes_match_generator": returned[0] == expected_ids,
            "target_median_ms": MEDIAN_TARGET_MS,
            "met": api["median_ms"] < MEDIAN_TARGET_MS,
        },
        "networkx": networkx_baseline(
            graph, root, depth=options.depth, repeats=options.repeats
        ),
        "recursive_sql": sql_baseline(
            database_url, graph, root, depth=options.depth, repeats=options.repeats
        ),
    }
