"""Node ids and the lineage walk, shared by the API, the pages and the benchmarks.

A node id is `dataset:<namespace>:<name>` or `job:<namespace>:<name>`, with the
namespace and name exactly as the events sent them. Both may contain colons
(`trino://trino.example.com:1337`, `hive.analytics.test_01:copy`), so an id is
resolved by trying every colon as the separator and looking all the candidates
up in one query. When several candidates exist, the longest namespace wins:
namespaces are usually URIs with a scheme and a port, names rarely hold colons.

The walk goes over `LineageEdge` (one row per job, dataset and direction), so
its cost depends on the size of the neighbourhood, not on the run history.
"""

import logging
from dataclasses import dataclass, field
from urllib.parse import unquote

from django.db import connection
from django.db.models import F

from lineage.models import (
    Dataset,
    DatasetFacet,
    Direction,
    Job,
    LineageEdge,
    Namespace,
    Run,
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


class MalformedNodeId(ValueError):
    """A node id that does not have the form `<kind>:<namespace>:<name>`."""


@dataclass(frozen=True, slots=True, order=True)
class NodeRef:
    """A node of the lineage graph: `kind` is DATASET or JOB, `pk` its row's id."""

    kind: str
    pk: int


@dataclass(slots=True)
class LineageGraph:
    """The nodes and edges around a root, with the rows needed to describe them."""

    root: NodeRef
    datasets: dict[int, Dataset]
    jobs: dict[int, Job]
    # (job id, dataset id, direction) for every edge of every job in `jobs`,
    # including edges to datasets outside the graph.
    job_edges: list[tuple[int, int, str]]
    # Namespace and name of every dataset named in `job_edges`.
    dataset_names: dict[int, tuple[str, str]]
    latest_runs: dict[int, Run] = field(default_factory=dict)
    dataset_facets: dict[int, list[str]] = field(default_factory=dict)
    dataset_types: dict[int, str] = field(default_factory=dict)
    aliases: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    truncated: bool = False


def node_id(kind: str, namespace: str, name: str) -> str:
    return f"{kind}:{namespace}:{name}"


def dataset_node_id(dataset: Dataset) -> str:
    return node_id(DATASET, dataset.namespace.name, dataset.name)


def job_node_id(job: Job) -> str:
    return node_id(JOB, job.namespace.name, job.name)


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


def parse_node_id(raw_id: str, kinds=NODE_KINDS) -> list[tuple[str, str, str]]:
    """Return every (kind, namespace, name) reading of `raw_id`, preferred first.

    The id is read as sent, then percent-decoded when it holds a `%`, so ids a
    client encoded twice are found too; readings as sent come first because a
    name may contain a literal `%`. Raises MalformedNodeId when no reading has a
    known kind, a namespace and a name.
    """
    variants = [raw_id]
    if "%" in raw_id:
        variants.append(unquote(raw_id))
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


_FIND_SQL = """
    SELECT c.ordinal, t.id{extra}
    FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS c(namespace, name, ordinal)
    JOIN {namespace} n ON md5(n.name) = md5(c.namespace) AND n.name = c.namespace
    JOIN {table} t ON t.namespace_id = n.id AND md5(t.name) = md5(c.name)
        AND t.name = c.name
    ORDER BY c.ordinal
    LIMIT 1
"""


def find_by_names(model, pairs: list[tuple[str, str]]) -> tuple[int, int] | None:
    """Return (index in `pairs`, pk) of the first (namespace, name) that exists.

    One query whatever the number of pairs; it uses the MD5 unique indexes, so
    names of any length are found without a table scan. For a Dataset the pk is
    that of its canonical dataset when it is an alias.
    """
    if not pairs:
        return None
    extra = ", COALESCE(t.canonical_id, t.id)" if model is Dataset else ", t.id"
    sql = _FIND_SQL.format(
        extra=extra,
        namespace=Namespace._meta.db_table,
        table=model._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [[p[0] for p in pairs], [p[1] for p in pairs]])
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0] - 1, row[2]


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
        if found is not None:
            return NodeRef(kind, found[1])
    return None


# Next level of the walk: (kind of the frontier, direction) -> SQL returning the
# ids of the other kind. Reading a dataset is an `input` edge, writing it an
# `output` edge, so downstream of a dataset are the jobs that read it.
_EDGE = LineageEdge._meta.db_table
_NEXT_LEVEL_SQL = {
    (DATASET, DOWNSTREAM): f"SELECT DISTINCT job_id FROM {_EDGE} "
    "WHERE dataset_id = ANY(%s) AND direction = 'input'",
    (DATASET, UPSTREAM): f"SELECT DISTINCT job_id FROM {_EDGE} "
    "WHERE dataset_id = ANY(%s) AND direction = 'output'",
    (JOB, DOWNSTREAM): f"SELECT DISTINCT dataset_id FROM {_EDGE} "
    "WHERE job_id = ANY(%s) AND direction = 'output'",
    (JOB, UPSTREAM): f"SELECT DISTINCT dataset_id FROM {_EDGE} "
    "WHERE job_id = ANY(%s) AND direction = 'input'",
}


@dataclass(slots=True)
class _Walk:
    """One direction of the walk: what it has seen and its current frontier."""

    direction: str
    kind: str
    frontier: list[int]
    seen: set[NodeRef]


def walk_node_refs(
    root: NodeRef, *, depth: int, direction: str = BOTH, max_nodes: int = MAX_NODES
) -> tuple[list[NodeRef], bool]:
    """Walk breadth-first from `root` up to `depth` edges; return nodes, truncated.

    `both` is the union of the upstream and the downstream walks, so siblings
    (other readers of an upstream dataset) are not included. Each level costs
    one query per direction. When the nodes would pass `max_nodes`, the level
    being added is cut (lowest ids kept) and the walk stops.
    """
    directions = (UPSTREAM, DOWNSTREAM) if direction == BOTH else (direction,)
    walks = [_Walk(d, root.kind, [root.pk], {root}) for d in directions]
    nodes = {root: None}
    truncated = False
    with connection.cursor() as cursor:
        for _ in range(depth):
            walks = [walk for walk in walks if walk.frontier]
            if not walks or truncated:
                break
            for walk in walks:
                next_kind = JOB if walk.kind == DATASET else DATASET
                cursor.execute(
                    _NEXT_LEVEL_SQL[walk.kind, walk.direction], [walk.frontier]
                )
                found = sorted(
                    ref
                    for ref in (NodeRef(next_kind, row[0]) for row in cursor.fetchall())
                    if ref not in walk.seen
                )
                added = [ref for ref in found if ref not in nodes]
                room = max_nodes - len(nodes)
                if len(added) > room:
                    truncated = True
                    kept = set(added[:room])
                    found = [ref for ref in found if ref in nodes or ref in kept]
                    added = added[:room]
                nodes.update(dict.fromkeys(added))
                walk.seen.update(found)
                walk.kind = next_kind
                walk.frontier = [ref.pk for ref in found]
                if truncated:
                    break
    return list(nodes), truncated


def lineage_graph(
    root: NodeRef, *, depth: int, direction: str = BOTH, max_nodes: int = MAX_NODES
) -> LineageGraph:
    """Walk from `root` and load the rows that describe each node and edge.

    Costs the walk's queries plus at most seven, whatever the number of nodes.
    """
    refs, truncated = walk_node_refs(
        root, depth=depth, direction=direction, max_nodes=max_nodes
    )
    dataset_ids = [ref.pk for ref in refs if ref.kind == DATASET]
    job_ids = [ref.pk for ref in refs if ref.kind == JOB]
    graph = LineageGraph(
        root=root,
        datasets={},
        jobs={},
        job_edges=[],
        dataset_names={},
        truncated=truncated,
    )
    if dataset_ids:
        _load_datasets(graph, dataset_ids)
    if job_ids:
        _load_jobs(graph, job_ids)
    return graph


def _load_datasets(graph: LineageGraph, dataset_ids: list[int]) -> None:
    graph.datasets = Dataset.objects.select_related(
        "namespace", "current_schema"
    ).in_bulk(dataset_ids)
    facets = (
        DatasetFacet.objects.filter(dataset_id__in=dataset_ids)
        .order_by("dataset_id", "name")
        .values_list("dataset_id", "name", "payload")
    )
    for dataset_id, name, payload in facets:
        graph.dataset_facets.setdefault(dataset_id, []).append(name)
        # The DatasetTypeDatasetFacet says TABLE, VIEW, TOPIC, ...
        if name == "datasetType" and isinstance(payload, dict):
            dataset_type = payload.get("datasetType")
            if isinstance(dataset_type, str):
                graph.dataset_types[dataset_id] = dataset_type
    aliases = (
        Dataset.objects.filter(canonical_id__in=dataset_ids)
        .order_by("namespace__name", "name")
        .values_list("canonical_id", "namespace__name", "name")
    )
    for canonical_id, namespace, name in aliases:
        graph.aliases.setdefault(canonical_id, []).append((namespace, name))


_JOB_EDGES_SQL = f"""
    SELECT e.job_id, e.dataset_id, e.direction, n.name, d.name
    FROM {_EDGE} e
    JOIN {Dataset._meta.db_table} d ON d.id = e.dataset_id
    JOIN {Namespace._meta.db_table} n ON n.id = d.namespace_id
    WHERE e.job_id = ANY(%s)
    ORDER BY e.job_id, e.direction, n.name, d.name
"""


def _load_jobs(graph: LineageGraph, job_ids: list[int]) -> None:
    graph.jobs = Job.objects.select_related("namespace", "parent__namespace").in_bulk(
        job_ids
    )
    latest_runs = (
        Run.objects.filter(job_id__in=job_ids)
        .order_by("job_id", F("first_event_time").desc(nulls_last=True), "-id")
        .distinct("job_id")
    )
    graph.latest_runs = {run.job_id: run for run in latest_runs}
    with connection.cursor() as cursor:
        cursor.execute(_JOB_EDGES_SQL, [job_ids])
        for job_id, dataset_id, direction, namespace, name in cursor.fetchall():
            graph.job_edges.append((job_id, dataset_id, direction))
            graph.dataset_names[dataset_id] = (namespace, name)


def edge_ends(job_ref: str, dataset_ref: str, direction: str) -> tuple[str, str]:
    """Return (origin, destination) of an edge: a job points at what it writes."""
    if direction == Direction.OUTPUT:
        return job_ref, dataset_ref
    return dataset_ref, job_ref
