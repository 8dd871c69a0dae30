"""Node ids and the lineage walk, shared by the API, the pages and the benchmarks.

A node id is `dataset:<namespace>:<name>` or `job:<namespace>:<name>`, with the
namespace and name exactly as the events sent them. Both may contain colons
(`trino://trino.example.com:1337`, `hive.analytics.test_01:copy`), so an id is
resolved by trying every colon as the separator and looking all the candidates
up in one query. When several candidates exist, the longest namespace wins:
namespaces are usually URIs with a scheme and a port, names rarely contain
colons.

The walk goes over `LineageEdge` (one row per job, dataset and direction), so
its cost depends on the size of the neighbourhood, not on the run history.
"""

import logging
from dataclasses import dataclass, field
from urllib.parse import unquote
from uuid import UUID

import orjson
from django.db import connection

from lineage.models import (
    Dataset,
    DatasetFacet,
    Direction,
    Job,
    LineageEdge,
    Namespace,
    Run,
    SchemaVersion,
)

logger = logging.getLogger(__name__)

DATASET = "dataset"
JOB = "job"
NODE_KINDS = (DATASET, JOB)

BOTH = "both"
UPSTREAM = "upstream"
DOWNSTREAM = "downstream"
DIRECTIONS = (BOTH, UPSTREAM, DOWNSTREAM)

DEFAULT_DEPTH = 20
MAX_DEPTH = 50
# A graph past this many nodes is cut at the last level walked and marked
# truncated: a browser cannot lay out more, and the response stays small.
MAX_NODES = 5_000
# Every colon of an id is a candidate separator, so both bound the work and
# memory of resolving one. Ids past them are rejected as invalid. Servers cap a
# request line below the length anyway (gunicorn at 4,094 bytes by default).
MAX_NODE_ID_LENGTH = 8_192
MAX_NODE_ID_COLONS = 64
# A job's `inputs` and `outputs` in node data list at most this many datasets
# each, by namespace and name; `inputCount` and `outputCount` give the totals.
MAX_JOB_DATASETS = 100


class MalformedNodeId(ValueError):
    """A node id that does not have the form `<kind>:<namespace>:<name>`."""


@dataclass(frozen=True, slots=True, order=True)
class NodeRef:
    """A node of the lineage graph: `kind` is DATASET or JOB, `pk` its row's id."""

    kind: str
    pk: int


# Times in the records below are ISO 8601 text in UTC, formatted by PostgreSQL
# (see `_iso`): parsing and formatting hundreds of datetimes in Python cost more
# than the queries.


@dataclass(slots=True)
class DatasetNode:
    pk: int
    namespace: str
    name: str
    created_at: str
    updated_at: str
    # SchemaDatasetFacet fields of the current schema, nested, as sent.
    fields: list = field(default_factory=list)
    # From the DatasetTypeDatasetFacet: TABLE, VIEW, TOPIC, ... or None.
    type: str | None = None
    facet_names: list[str] = field(default_factory=list)
    # (namespace, name) of the datasets recorded as aliases of this one.
    aliases: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class RunSummary:
    run_id: UUID
    state: str
    started_at: str | None
    ended_at: str | None
    duration_ms: int | None
    nominal_start_time: str | None
    nominal_end_time: str | None


@dataclass(slots=True)
class JobNode:
    pk: int
    namespace: str
    name: str
    parent_name: str | None
    created_at: str
    updated_at: str
    latest_run: RunSummary | None = None
    # (namespace, name) of the first MAX_JOB_DATASETS datasets the job reads
    # or writes, in or out of the graph, sorted by namespace and name. The
    # counts include all of them.
    inputs: list[tuple[str, str]] = field(default_factory=list)
    outputs: list[tuple[str, str]] = field(default_factory=list)
    input_count: int = 0
    output_count: int = 0


@dataclass(slots=True)
class LineageGraph:
    """The nodes around a root and the edges between them."""

    root: NodeRef
    datasets: dict[int, DatasetNode]
    jobs: dict[int, JobNode]
    # (job id, dataset id, direction) of every edge between two graph nodes.
    edges: list[tuple[int, int, str]]
    truncated: bool = False


def node_id(kind: str, namespace: str, name: str) -> str:
    return f"{kind}:{namespace}:{name}"


def dataset_node_id(dataset: Dataset | DatasetNode) -> str:
    namespace = dataset.namespace
    return node_id(DATASET, getattr(namespace, "name", namespace), dataset.name)


def job_node_id(job: Job | JobNode) -> str:
    namespace = job.namespace
    return node_id(JOB, getattr(namespace, "name", namespace), job.name)


def split_points(text: str, parts: int = 2) -> list[tuple[str, ...]]:
    """Split `text` at colons into `parts` non-empty pieces, every way possible.

    The order is longest first piece first, then longest second piece, so the
    first candidate that exists in the database is the documented choice.
    """
    colons = [i for i, char in enumerate(text) if char == ":"]
    if parts == 1:
        return [(text,)] if text else []
    candidates = []
    for position in reversed(colons):
        head, tail = text[:position], text[position + 1 :]
        if not head:
            continue
        for rest in split_points(tail, parts - 1):
            candidates.append((head, *rest))
    return candidates


def check_node_id_size(raw_id: str, max_colons: int = MAX_NODE_ID_COLONS) -> None:
    """Raise MalformedNodeId for an id too long or with too many colons."""
    if len(raw_id) > MAX_NODE_ID_LENGTH:
        raise MalformedNodeId(
            f"Invalid node id of {len(raw_id)} characters: the maximum is "
            f"{MAX_NODE_ID_LENGTH}."
        )
    colons = raw_id.count(":")
    if colons > max_colons:
        raise MalformedNodeId(
            f"Invalid node id with {colons} colons: the maximum is {max_colons}. "
            "Find the dataset or job through /api/v1/datasets or /api/v1/jobs."
        )


def node_id_variants(raw_id: str, max_colons: int = MAX_NODE_ID_COLONS) -> list[str]:
    """Return `raw_id` as sent, then percent-decoded when it contains a `%`.

    Raises MalformedNodeId for an id too large or with a NUL character in
    either form: PostgreSQL text cannot hold one, so no name contains it.
    """
    check_node_id_size(raw_id, max_colons)
    variants = [raw_id]
    if "%" in raw_id:
        variants.append(unquote(raw_id))
    if any("\x00" in variant for variant in variants):
        raise MalformedNodeId(
            "Invalid node id: it contains a NUL character, which no name can hold."
        )
    return variants


def parse_node_id(raw_id: str, kinds=NODE_KINDS) -> list[tuple[str, str, str]]:
    """Return every (kind, namespace, name) reading of `raw_id`, preferred first.

    The id is read as sent, then percent-decoded when it contains a `%`, so ids
    a client encoded twice are found too. Readings as sent come first because a
    name may contain a literal `%`. Raises MalformedNodeId when no reading has a
    known kind, a namespace and a name.
    """
    variants = node_id_variants(raw_id)
    readings = []
    for variant in variants:
        kind, separator, rest = variant.partition(":")
        if not separator or kind not in kinds:
            continue
        for namespace, name in split_points(rest):
            readings.append((kind, namespace, name))
    if not readings:
        raise MalformedNodeId(
            f"Invalid node id {raw_id!r}: expected "
            f"{' or '.join(f'{kind}:<namespace>:<name>' for kind in kinds)}."
        )
    return readings


_MATCH_SQL = """
    SELECT c.ordinal, t.id, {canonical}
    FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS c(namespace, name, ordinal)
    JOIN {namespace} n ON md5(n.name) = md5(c.namespace) AND n.name = c.namespace
    JOIN {table} t ON t.namespace_id = n.id AND md5(t.name) = md5(c.name)
        AND t.name = c.name
"""
_MATCH_DATASETS_SQL = _MATCH_SQL.format(
    canonical="t.canonical_id",
    namespace=Namespace._meta.db_table,
    table=Dataset._meta.db_table,
)
# An alias may point at a dataset that later became an alias itself, so the
# chain is followed to its end (bounded, in case the pointers form a loop).
_FIND_DATASETS_SQL = f"""
    WITH RECURSIVE matched AS ({_MATCH_DATASETS_SQL}),
    chain(ordinal, id, canonical_id, hops) AS (
        SELECT ordinal, id, canonical_id, 0 FROM matched
        UNION ALL
        SELECT chain.ordinal, d.id, d.canonical_id, chain.hops + 1
        FROM chain JOIN {Dataset._meta.db_table} d ON d.id = chain.canonical_id
        WHERE chain.hops < 16
    )
    SELECT DISTINCT ON (ordinal) ordinal, id FROM chain ORDER BY ordinal, hops DESC
"""
_FIND_JOBS_SQL = (
    _MATCH_SQL.format(
        canonical="NULL", namespace=Namespace._meta.db_table, table=Job._meta.db_table
    )
    + " ORDER BY c.ordinal"
)


def find_by_names(model, pairs: list[tuple[str, str]]) -> list[tuple[int, int]]:
    """Return (index in `pairs`, pk) of every (namespace, name) that exists.

    Costs one query whatever the number of pairs, and returns matches in the
    order of `pairs`. The query uses the MD5 unique indexes, so names of any
    length are found without a table scan. For a Dataset the pk is that of
    its canonical dataset when it is an alias.
    """
    if not pairs:
        return []
    sql = _FIND_DATASETS_SQL if model is Dataset else _FIND_JOBS_SQL
    with connection.cursor() as cursor:
        cursor.execute(sql, [[p[0] for p in pairs], [p[1] for p in pairs]])
        rows = cursor.fetchall()
    return [(row[0] - 1, row[1]) for row in rows]


def resolve_node_id(raw_id: str) -> NodeRef | None:
    """Return the node `raw_id` names, or None when there is none.

    An alias dataset resolves to its canonical dataset. Raises MalformedNodeId.
    Costs one query for a dataset or a job id.
    """
    readings = parse_node_id(raw_id)
    # Keep the preference order across kinds: in practice every reading of one
    # id has the same kind, since the kind is the text before the first colon.
    for kind in NODE_KINDS:
        pairs = [(ns, name) for k, ns, name in readings if k == kind]
        if not pairs:
            continue
        model = Dataset if kind == DATASET else Job
        found = find_by_names(model, pairs)
        if found:
            return NodeRef(kind, found[0][1])
    return None


# One step of the walk: (kind of the frontier, direction) -> SQL returning the
# ids of the other kind, tagged with the walk that asked. Reading a dataset is an
# `input` edge and writing it an `output` edge, so downstream of a dataset are
# the jobs that read it.
_EDGE = LineageEdge._meta.db_table


def _step_sql(found: str, frontier: str, direction: str) -> str:
    return (
        f"SELECT {{tag}}, {found} FROM {_EDGE} "
        f"WHERE {frontier} = ANY(%s) AND direction = '{direction}'"
    )


_STEP_SQL = {
    (DATASET, DOWNSTREAM): _step_sql("job_id", "dataset_id", Direction.INPUT),
    (DATASET, UPSTREAM): _step_sql("job_id", "dataset_id", Direction.OUTPUT),
    (JOB, DOWNSTREAM): _step_sql("dataset_id", "job_id", Direction.OUTPUT),
    (JOB, UPSTREAM): _step_sql("dataset_id", "job_id", Direction.INPUT),
}


@dataclass(slots=True)
class _Walk:
    """One direction of the walk: what it has seen and its current frontier."""

    direction: str
    frontier: list[int]
    seen: set[NodeRef]


def walk_node_refs(
    root: NodeRef, *, depth: int, direction: str = BOTH, max_nodes: int = MAX_NODES
) -> tuple[list[NodeRef], bool]:
    """Walk breadth-first from `root` up to `depth` edges; return nodes, truncated.

    `both` is the union of the upstream and the downstream walks, so siblings
    (other readers of an upstream dataset) are not included. Both walks step in
    lockstep over the same kind of node, so each level costs one query. When
    the nodes would pass `max_nodes`, the level being added is cut (upstream
    first, then lowest ids) and the walk stops.
    """
    directions = (UPSTREAM, DOWNSTREAM) if direction == BOTH else (direction,)
    walks = [_Walk(d, [root.pk], {root}) for d in directions]
    nodes = {root: None}
    kind = root.kind
    truncated = False
    with connection.cursor() as cursor:
        for _ in range(depth):
            walks = [walk for walk in walks if walk.frontier]
            if not walks or truncated:
                break
            next_kind = JOB if kind == DATASET else DATASET
            sql = " UNION ".join(
                _STEP_SQL[kind, walk.direction].format(tag=tag)
                for tag, walk in enumerate(walks)
            )
            cursor.execute(sql, [walk.frontier for walk in walks])
            found_by_walk = [[] for _ in walks]
            for tag, pk in cursor.fetchall():
                found_by_walk[tag].append(NodeRef(next_kind, pk))
            for walk, found in zip(walks, found_by_walk, strict=True):
                found = sorted(ref for ref in found if ref not in walk.seen)
                added = [ref for ref in found if ref not in nodes]
                room = max_nodes - len(nodes)
                if len(added) > room:
                    truncated = True
                    kept = set(added[:room])
                    found = [ref for ref in found if ref in nodes or ref in kept]
                    added = added[:room]
                nodes.update(dict.fromkeys(added))
                walk.seen.update(found)
                walk.frontier = [ref.pk for ref in found]
            kind = next_kind
    if truncated:
        logger.info(
            "Lineage walk from %s %s cut at %s nodes (depth %s, %s)",
            root.kind,
            root.pk,
            max_nodes,
            depth,
            direction,
        )
    return list(nodes), truncated


def lineage_graph(
    root: NodeRef, *, depth: int, direction: str = BOTH, max_nodes: int = MAX_NODES
) -> LineageGraph:
    """Walk from `root` and load the rows that describe each node and edge.

    Costs the walk's queries plus at most two, whatever the number of nodes.
    Rows are read with plain SQL into small records, and lists come as JSON:
    building model instances and parsing arrays took most of the time of a
    200-node graph.
    """
    refs, truncated = walk_node_refs(
        root, depth=depth, direction=direction, max_nodes=max_nodes
    )
    dataset_ids = [ref.pk for ref in refs if ref.kind == DATASET]
    job_ids = [ref.pk for ref in refs if ref.kind == JOB]
    graph = LineageGraph(root=root, datasets={}, jobs={}, edges=[], truncated=truncated)
    with connection.cursor() as cursor:
        if dataset_ids:
            _load_datasets(cursor, graph, dataset_ids)
        if job_ids:
            _load_jobs(cursor, graph, job_ids)
    return graph


def _iso(column: str) -> str:
    """Return SQL formatting a timestamptz as DRF does: UTC, Z, microseconds
    only when there are any."""
    return (
        f"replace(to_char({column} AT TIME ZONE 'UTC', "
        """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '.000000Z', 'Z')"""
    )


_NAMESPACE = Namespace._meta.db_table
_DATASET = Dataset._meta.db_table
_JOB = Job._meta.db_table
_DATASET_FACET = DatasetFacet._meta.db_table

# Facet payloads can be megabytes, so only their names are read, and the one
# value shown: the DatasetTypeDatasetFacet's datasetType (TABLE, VIEW, ...).
_DATASETS_SQL = f"""
    SELECT d.id, n.name, d.name, {_iso("d.first_seen_at")},
        {_iso("d.last_event_time")}, s.fields::text,
        (
            SELECT json_agg(f.name ORDER BY f.name) FROM {_DATASET_FACET} f
            WHERE f.dataset_id = d.id
        )::text,
        (
            SELECT f.payload ->> 'datasetType' FROM {_DATASET_FACET} f
            WHERE f.dataset_id = d.id AND md5(f.name) = md5('datasetType')
                AND f.name = 'datasetType'
        ),
        (
            SELECT json_agg(json_build_array(an.name, a.name) ORDER BY an.name, a.name)
            FROM {_DATASET} a JOIN {_NAMESPACE} an ON an.id = a.namespace_id
            WHERE a.canonical_id = d.id
        )::text
    FROM {_DATASET} d
    JOIN {_NAMESPACE} n ON n.id = d.namespace_id
    LEFT JOIN {SchemaVersion._meta.db_table} s ON s.id = d.current_schema_id
    WHERE d.id = ANY(%s)
"""


def _load_datasets(cursor, graph: LineageGraph, dataset_ids: list[int]) -> None:
    cursor.execute(_DATASETS_SQL, [dataset_ids])
    for row in cursor.fetchall():
        pk, namespace, name, created_at, updated_at, fields, *rest = row
        facet_names, dataset_type, aliases = rest
        graph.datasets[pk] = DatasetNode(
            pk=pk,
            namespace=namespace,
            name=name,
            created_at=created_at,
            updated_at=updated_at,
            fields=orjson.loads(fields) if fields is not None else [],
            type=dataset_type,
            facet_names=orjson.loads(facet_names) if facet_names else [],
            aliases=[tuple(alias) for alias in orjson.loads(aliases or "[]")],
        )


# The latest run is the newest by first event; reading it through the index on
# (job, -first_event_time) keeps the cost independent of the run history. Edges
# are read only towards datasets of the graph, and the `inputs` and `outputs`
# lists stop at MAX_JOB_DATASETS, so a job with thousands of datasets costs no
# more than the graph shows.
_EDGES_BY_NAME = f"""
    FROM {_EDGE} e
    JOIN {_DATASET} d ON d.id = e.dataset_id
    JOIN {_NAMESPACE} en ON en.id = d.namespace_id
"""


def _job_datasets_sql(direction: str) -> str:
    return f"""
        (
            SELECT json_agg(json_build_array(x.namespace, x.name))
            FROM (
                SELECT en.name AS namespace, d.name {_EDGES_BY_NAME}
                WHERE e.job_id = j.id AND e.direction = '{direction}'
                ORDER BY en.name, d.name
                LIMIT {MAX_JOB_DATASETS}
            ) x
        )::text,
        (
            SELECT count(*) FROM {_EDGE} e
            WHERE e.job_id = j.id AND e.direction = '{direction}'
        )
    """


_JOBS_SQL = f"""
    SELECT j.id, n.name, j.name, p.name, {_iso("j.first_seen_at")},
        {_iso("j.last_event_time")},
        (
            SELECT json_agg(
                json_build_array(e.dataset_id, e.direction)
                ORDER BY en.name, d.name, e.direction
            )
            {_EDGES_BY_NAME}
            WHERE e.job_id = j.id AND e.dataset_id = ANY(%s)
        )::text,
        {_job_datasets_sql(Direction.INPUT)},
        {_job_datasets_sql(Direction.OUTPUT)},
        r.run_id, r.state, {_iso("r.started_at")}, {_iso("r.ended_at")},
        trunc(extract(epoch FROM r.ended_at - r.started_at) * 1000)::bigint,
        {_iso("r.nominal_start_time")}, {_iso("r.nominal_end_time")}
    FROM {_JOB} j
    JOIN {_NAMESPACE} n ON n.id = j.namespace_id
    LEFT JOIN {_JOB} p ON p.id = j.parent_id
    LEFT JOIN LATERAL (
        SELECT * FROM {Run._meta.db_table} r
        WHERE r.job_id = j.id AND r.first_event_time IS NOT NULL
        ORDER BY r.first_event_time DESC
        LIMIT 1
    ) r ON true
    WHERE j.id = ANY(%s)
    ORDER BY j.id
"""


def _load_jobs(cursor, graph: LineageGraph, job_ids: list[int]) -> None:
    """Load jobs with their latest run, datasets and edges, in one query."""
    cursor.execute(_JOBS_SQL, [list(graph.datasets), job_ids])
    for row in cursor.fetchall():
        pk, namespace, name, parent_name, created_at, updated_at, edges, *rest = row
        inputs, input_count, outputs, output_count, *run = rest
        job = JobNode(
            pk=pk,
            namespace=namespace,
            name=name,
            parent_name=parent_name,
            created_at=created_at,
            updated_at=updated_at,
            latest_run=RunSummary(*run) if run[0] is not None else None,
            inputs=[tuple(pair) for pair in orjson.loads(inputs or "[]")],
            outputs=[tuple(pair) for pair in orjson.loads(outputs or "[]")],
            input_count=input_count,
            output_count=output_count,
        )
        graph.jobs[pk] = job
        for dataset_id, direction in orjson.loads(edges or "[]"):
            graph.edges.append((pk, dataset_id, direction))
