"""`GET /api/v1/lineage`: the graph around a node, in Marquez's response shape.

The body is `{"root": <node id>, "truncated": bool, "graph": [node, ...]}` where
each node is `{"id", "type": "DATASET" | "JOB", "data", "inEdges", "outEdges"}`
and each edge is `{"origin", "destination"}` (a job points at the datasets it
writes, a dataset at the jobs that read it). Only edges between two returned
nodes are listed. `data` holds Marquez's fields the portal has facts for, plus
`pk` and `url` (the portal page) for the web graph.
"""

from rest_framework.response import Response

from core.errors import ApiError
from lineage import graph
from lineage.api.serializers import LineageQuerySerializer


def lineage_graph(request):
    """Return the lineage graph around `nodeId`, `depth` edges deep."""
    params = LineageQuerySerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    root = resolve_root(params.validated_data["nodeId"])
    lineage = graph.lineage_graph(
        root,
        depth=params.validated_data["depth"],
        direction=params.validated_data["direction"],
        max_nodes=graph.MAX_NODES,
    )
    return Response(graph_body(lineage))


def resolve_root(raw_id: str) -> graph.NodeRef:
    """Resolve a `nodeId` parameter, raising the API's 400 or 404 envelope."""
    try:
        root = graph.resolve_node_id(raw_id)
    except graph.MalformedNodeId as error:
        raise ApiError(str(error), field="nodeId") from None
    if root is None:
        raise ApiError(
            f"Node {raw_id!r} not found: no dataset or job has that namespace and "
            "name.",
            field="nodeId",
            code="not_found",
            status=404,
        )
    return root


def graph_body(lineage: graph.LineageGraph) -> dict:
    nodes = {}
    for dataset in lineage.datasets.values():
        nodes[("dataset", dataset.pk)] = {
            "id": graph.dataset_node_id(dataset),
            "type": "DATASET",
            "data": dataset_data(lineage, dataset),
            "inEdges": [],
            "outEdges": [],
        }
    for job in lineage.jobs.values():
        nodes[("job", job.pk)] = {
            "id": graph.job_node_id(job),
            "type": "JOB",
            "data": job_data(lineage, job),
            "inEdges": [],
            "outEdges": [],
        }
    for job_id, dataset_id, direction in lineage.job_edges:
        dataset_node = nodes.get(("dataset", dataset_id))
        if dataset_node is None:
            continue
        job_node = nodes[("job", job_id)]
        origin, destination = graph.edge_ends(
            job_node["id"], dataset_node["id"], direction
        )
        edge = {"origin": origin, "destination": destination}
        origin_node, destination_node = (
            (job_node, dataset_node)
            if origin == job_node["id"]
            else (dataset_node, job_node)
        )
        origin_node["outEdges"].append(edge)
        destination_node["inEdges"].append(edge)
    root = nodes[(lineage.root.kind, lineage.root.pk)]
    return {
        "root": root["id"],
        "truncated": lineage.truncated,
        "graph": sorted(nodes.values(), key=lambda node: node["id"]),
    }


def dataset_data(lineage: graph.LineageGraph, dataset) -> dict:
    schema = dataset.current_schema
    return {
        "id": {"namespace": dataset.namespace.name, "name": dataset.name},
        "namespace": dataset.namespace.name,
        "name": dataset.name,
        "type": lineage.dataset_types.get(dataset.pk),
        "fields": schema.fields if schema is not None else [],
        "facetNames": lineage.dataset_facets.get(dataset.pk, []),
        "aliases": [
            {"namespace": namespace, "name": name}
            for namespace, name in lineage.aliases.get(dataset.pk, [])
        ],
        "createdAt": dataset.first_seen_at,
        "updatedAt": dataset.last_event_time,
        "pk": dataset.pk,
        "url": f"/datasets/{dataset.pk}/",
    }


def job_data(lineage: graph.LineageGraph, job) -> dict:
    inputs, outputs = [], []
    for job_id, dataset_id, direction in lineage.job_edges:
        if job_id != job.pk:
            continue
        namespace, name = lineage.dataset_names[dataset_id]
        target = outputs if direction == "output" else inputs
        target.append({"namespace": namespace, "name": name})
    return {
        "id": {"namespace": job.namespace.name, "name": job.name},
        "namespace": job.namespace.name,
        "name": job.name,
        "parentJobName": job.parent.name if job.parent is not None else None,
        "createdAt": job.first_seen_at,
        "updatedAt": job.last_event_time,
        "inputs": inputs,
        "outputs": outputs,
        "latestRun": run_summary(lineage.latest_runs.get(job.pk)),
        "pk": job.pk,
        "url": f"/jobs/{job.pk}/",
    }


def run_summary(run) -> dict | None:
    if run is None:
        return None
    duration_ms = None
    if run.started_at is not None and run.ended_at is not None:
        duration_ms = int((run.ended_at - run.started_at).total_seconds() * 1000)
    return {
        "id": str(run.run_id),
        "state": run.state or None,
        "startedAt": run.started_at,
        "endedAt": run.ended_at,
        "durationMs": duration_ms,
        "nominalStartTime": run.nominal_start_time,
        "nominalEndTime": run.nominal_end_time,
    }
