"""Column lineage: the graph of dataset fields over `ColumnLineageEdge`.

A field's node id is `datasetField:<namespace>:<name>:<field>`, as Marquez
writes it. Namespace, name and field may all contain colons, so every pair of
colons is tried as the separators. The longest namespace wins, then the longest
name. A `dataset:<namespace>:<name>` id stands for every field of the dataset.
"""

import logging
from dataclasses import dataclass, field

import orjson
from django.db import connection

from lineage import graph
from lineage.models import ColumnLineageEdge, Dataset, Namespace, SchemaVersion

logger = logging.getLogger(__name__)

FIELD = "datasetField"
# A field id has about the square of its colons as readings, so fewer are allowed.
MAX_FIELD_ID_COLONS = 24
# A column graph past either cap is cut and marked truncated. One dataset with
# a few hundred fields, each derived from a few hundred others, already has
# tens of thousands of edges, and every edge appears three times in the body
# with its transformations. 10,000 edges keep the body to a few megabytes.
MAX_FIELD_NODES = 2_000
MAX_FIELD_EDGES = 10_000

_COLUMN_EDGE = ColumnLineageEdge._meta.db_table
_DATASET = Dataset._meta.db_table


@dataclass(frozen=True, slots=True, order=True)
class FieldRef:
    dataset_id: int
    field: str


@dataclass(slots=True)
class FieldNode:
    ref: FieldRef
    namespace: str
    name: str
    # The `type` of the field in the dataset's current schema, if it is there.
    type: str | None
    # (input field, transformations) of every edge into this field in the graph.
    inputs: list[tuple[FieldRef, list]] = field(default_factory=list)


@dataclass(slots=True)
class ColumnGraph:
    """The field nodes around the roots, keyed by their reference."""

    root_id: str
    nodes: dict[FieldRef, FieldNode]
    truncated: bool = False


def field_node_id(namespace: str, name: str, field_name: str) -> str:
    return f"{FIELD}:{namespace}:{name}:{field_name}"


def parse_field_node_id(raw_id: str) -> list[tuple[str, str, str, str]]:
    """Return every (kind, namespace, name, field) reading of `raw_id`.

    `kind` is FIELD or graph.DATASET (field ""). Raises graph.MalformedNodeId.
    """
    readings = []
    for variant in graph.node_id_variants(raw_id, MAX_FIELD_ID_COLONS):
        kind, separator, rest = variant.partition(":")
        if not separator:
            continue
        if kind == FIELD:
            readings.extend((FIELD, *parts) for parts in graph.split_points(rest, 3))
        elif kind == graph.DATASET:
            readings.extend((kind, *parts, "") for parts in graph.split_points(rest))
    if not readings:
        raise graph.MalformedNodeId(
            f"Invalid node id {raw_id!r}: expected "
            "datasetField:<namespace>:<name>:<field> or dataset:<namespace>:<name>."
        )
    return readings


# The fields a dataset has: those named by column lineage on either side and
# the top-level fields of its current schema.
_FIELDS_OF_SQL = f"""
    SELECT c.ordinal, f.field
    FROM unnest(%s::bigint[], %s::text[])
        WITH ORDINALITY AS c(dataset_id, field, ordinal)
    JOIN LATERAL (
        SELECT e.output_field AS field FROM {_COLUMN_EDGE} e
        WHERE e.output_dataset_id = c.dataset_id
        UNION
        SELECT e.input_field FROM {_COLUMN_EDGE} e
        WHERE e.input_dataset_id = c.dataset_id
        UNION
        SELECT s.field ->> 'name'
        FROM {_DATASET} d
        JOIN {SchemaVersion._meta.db_table} v ON v.id = d.current_schema_id
        CROSS JOIN json_array_elements(
            CASE WHEN json_typeof(v.fields) = 'array' THEN v.fields ELSE '[]' END
        ) AS s(field)
        WHERE d.id = c.dataset_id
    ) f ON c.field = '' OR f.field = c.field
    WHERE f.field IS NOT NULL
    ORDER BY c.ordinal, f.field
    LIMIT %s
"""


def resolve_field_roots(raw_id: str) -> tuple[str, list[FieldRef]] | None:
    """Return the root's canonical node id and its fields, or None if not found.

    A dataset without known fields has an empty list, and one with more than
    MAX_FIELD_NODES lists one more than that, so that the walk reports the cut.
    Costs three queries: the datasets that the readings name, their fields, the
    chosen one's names.
    Raises graph.MalformedNodeId.
    """
    readings = parse_field_node_id(raw_id)
    matches = graph.find_by_names(Dataset, [(r[1], r[2]) for r in readings])
    if not matches:
        return None
    candidates = [(pk, readings[index]) for index, pk in matches]
    with connection.cursor() as cursor:
        cursor.execute(
            _FIELDS_OF_SQL,
            [
                [pk for pk, _ in candidates],
                [r[3] for _, r in candidates],
                MAX_FIELD_NODES + 1,
            ],
        )
        rows = cursor.fetchall()
    if rows:
        chosen = rows[0][0] - 1
    else:
        chosen = next(
            (i for i, (_, r) in enumerate(candidates) if r[0] == graph.DATASET), None
        )
        if chosen is None:
            return None
    pk, reading = candidates[chosen]
    roots = [FieldRef(pk, name) for ordinal, name in rows if ordinal - 1 == chosen]
    dataset = Dataset.objects.select_related("namespace").get(pk=pk)
    if reading[0] == FIELD and roots:
        root_id = field_node_id(dataset.namespace.name, dataset.name, roots[0].field)
    else:
        root_id = graph.dataset_node_id(dataset)
    return root_id, roots


_FIELDS = "unnest(%s::bigint[], %s::text[]) AS f(dataset_id, field)"
_STEP_SQL = {
    graph.UPSTREAM: f"""
        SELECT {{tag}}, e.input_dataset_id, e.input_field
        FROM {_COLUMN_EDGE} e JOIN {_FIELDS}
            ON e.output_dataset_id = f.dataset_id
            AND md5(e.output_field) = md5(f.field) AND e.output_field = f.field
    """,
    graph.DOWNSTREAM: f"""
        SELECT {{tag}}, e.output_dataset_id, e.output_field
        FROM {_COLUMN_EDGE} e JOIN {_FIELDS}
            ON e.input_dataset_id = f.dataset_id AND e.input_field = f.field
    """,
}


def walk_fields(
    roots: list[FieldRef],
    *,
    depth: int,
    direction: str = graph.BOTH,
    max_nodes: int = MAX_FIELD_NODES,
) -> tuple[list[FieldRef], bool]:
    """Walk breadth-first from `roots`, one query per level; return fields, truncated.

    Same rules as `graph.walk_node_refs`: `both` is the union of the two walks,
    and past `max_nodes` the level being added is cut (lowest refs kept). A
    level reads at most `len(walks) * max_nodes + 1` rows: past that some walk
    found more new fields than there is room for, so the cut is certain.
    """
    directions = (
        (graph.UPSTREAM, graph.DOWNSTREAM) if direction == graph.BOTH else (direction,)
    )
    nodes = dict.fromkeys(roots[:max_nodes])
    truncated = len(roots) > max_nodes
    walks = [(d, list(nodes), set(nodes)) for d in directions]
    with connection.cursor() as cursor:
        for _ in range(depth):
            walks = [walk for walk in walks if walk[1]]
            if not walks or truncated:
                break
            sql = " UNION ".join(
                _STEP_SQL[walk[0]].format(tag=tag) for tag, walk in enumerate(walks)
            )
            sql = f"SELECT * FROM ({sql}) s ORDER BY 1, 2, 3 LIMIT %s"
            params = []
            for _, frontier, _ in walks:
                params += [
                    [r.dataset_id for r in frontier],
                    [r.field for r in frontier],
                ]
            cursor.execute(sql, [*params, len(walks) * max_nodes + 1])
            found_by_walk = [[] for _ in walks]
            for tag, dataset_id, field_name in cursor.fetchall():
                found_by_walk[tag].append(FieldRef(dataset_id, field_name))
            next_walks = []
            for (walk_direction, _, seen), found in zip(
                walks, found_by_walk, strict=True
            ):
                found = sorted(ref for ref in found if ref not in seen)
                added = [ref for ref in found if ref not in nodes]
                room = max_nodes - len(nodes)
                if len(added) > room:
                    truncated = True
                    kept = set(added[:room])
                    found = [ref for ref in found if ref in nodes or ref in kept]
                    added = added[:room]
                nodes.update(dict.fromkeys(added))
                seen.update(found)
                next_walks.append((walk_direction, found, seen))
            walks = next_walks
    return list(nodes), truncated


_DATASETS_SQL = f"""
    SELECT d.id, n.name, d.name, v.fields::text
    FROM {_DATASET} d
    JOIN {Namespace._meta.db_table} n ON n.id = d.namespace_id
    LEFT JOIN {SchemaVersion._meta.db_table} v ON v.id = d.current_schema_id
    WHERE d.id = ANY(%s)
"""
# Edges between two fields of the graph, in a stable order so that a graph cut
# at `max_edges` is the same on every request.
_EDGES_SQL = f"""
    SELECT e.output_dataset_id, e.output_field, e.input_dataset_id, e.input_field,
        e.transformations::text
    FROM {_COLUMN_EDGE} e
    JOIN unnest(%s::bigint[], %s::text[]) AS o(dataset_id, field)
        ON e.output_dataset_id = o.dataset_id
        AND md5(e.output_field) = md5(o.field) AND e.output_field = o.field
    JOIN unnest(%s::bigint[], %s::text[]) AS i(dataset_id, field)
        ON e.input_dataset_id = i.dataset_id AND e.input_field = i.field
    ORDER BY e.input_dataset_id, e.input_field, e.output_dataset_id, e.output_field
    LIMIT %s
"""


def column_graph(
    root_id: str,
    roots: list[FieldRef],
    *,
    depth: int,
    direction: str = graph.BOTH,
    max_nodes: int = MAX_FIELD_NODES,
    max_edges: int = MAX_FIELD_EDGES,
) -> ColumnGraph:
    """Walk from `roots` and load names, field types and edges: two more queries.

    Past `max_edges` edges between the fields found, the rest are left out and
    the graph is marked truncated; the query stops reading there.
    """
    refs, truncated = walk_fields(
        roots, depth=depth, direction=direction, max_nodes=max_nodes
    )
    result = ColumnGraph(root_id=root_id, nodes={}, truncated=truncated)
    if not refs:
        return result
    with connection.cursor() as cursor:
        cursor.execute(_DATASETS_SQL, [sorted({ref.dataset_id for ref in refs})])
        datasets = {}
        for pk, namespace, name, fields in cursor.fetchall():
            datasets[pk] = (namespace, name, _field_types(fields))
        for ref in refs:
            namespace, name, types = datasets[ref.dataset_id]
            result.nodes[ref] = FieldNode(ref, namespace, name, types.get(ref.field))
        field_set = [[r.dataset_id for r in refs], [r.field for r in refs]]
        cursor.execute(_EDGES_SQL, [*field_set, *field_set, max_edges + 1])
        rows = cursor.fetchall()
    if len(rows) > max_edges:
        result.truncated = True
        del rows[max_edges:]
    for output_id, output_field, input_id, input_field, steps in rows:
        target = result.nodes[FieldRef(output_id, output_field)]
        target.inputs.append((FieldRef(input_id, input_field), orjson.loads(steps)))
    if result.truncated:
        logger.info(
            "Column lineage from %s cut at %s fields and %s edges (depth %s, %s)",
            root_id,
            len(result.nodes),
            min(len(rows), max_edges),
            depth,
            direction,
        )
    return result


def _field_types(fields_json: str | None) -> dict[str, str]:
    if fields_json is None:
        return {}
    fields = orjson.loads(fields_json)
    if not isinstance(fields, list):
        return {}
    return {
        item["name"]: item.get("type")
        for item in fields
        if isinstance(item, dict) and isinstance(item.get("name"), str)
    }
