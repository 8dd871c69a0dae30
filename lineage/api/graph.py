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
        nodes[graph.DATASET, dataset.pk] = {
            "id": graph.dataset_node_id(dataset),
            "type": "DATASET",
            "data": dataset_data(dataset),
            "inEdges": [],
            "outEdges": [],
        }
    for job in lineage.jobs.values():
        nodes[graph.JOB, job.pk] = {
            "id": graph.job_node_id(job),
            "type": "JOB",
            "data": job_data(job),
            "inEdges": [],
            "outEdges": [],
        }
    for job_id, dataset_id, direction in lineage.edges:
        job_node = nodes[graph.JOB, job_id]
        dataset_node = nodes[graph.DATASET, dataset_id]
        if direction == "output":
            origin, destination = job_node, dataset_node
        else:
            origin, destination = dataset_node, job_node
        edge = {"origin": origin["id"], "destination": destination["id"]}
        origin["outEdges"].append(edge)
        destination["inEdges"].append(edge)
    root = nodes[lineage.root.kind, lineage.root.pk]
    return {
        "root": root["id"],
        "truncated": lineage.truncated,
        "graph": sorted(nodes.values(), key=lambda node: node["id"]),
    }


def dataset_data(dataset: graph.DatasetNode) -> dict:
    return {
        "id": {"namespace": dataset.namespace, "name": dataset.name},
        "namespace": dataset.namespace,
        "name": dataset.name,
        "type": dataset.type,
        "fields": dataset.fields,
        "facetNames": dataset.facet_names,
        "aliases": [
            {"namespace": namespace, "name": name}
            for namespace, name in dataset.aliases
        ],
        "createdAt": dataset.created_at,
        "updatedAt": dataset.updated_at,
        "pk": dataset.pk,
        "url": f"/datasets/{dataset.pk}/",
    }


def job_data(job: graph.JobNode) -> dict:
    return {
        "id": {"namespace": job.namespace, "name": job.name},
        "namespace": job.namespace,
        "name": job.name,
        "parentJobName": job.parent_name,
        "createdAt": job.created_at,
        "updatedAt": job.updated_at,
        "inputs": [{"namespace": ns, "name": name} for ns, name in job.inputs],
        "outputs": [{"namespace": ns, "name": name} for ns, name in job.outputs],
        "latestRun": run_summary(job.latest_run),
        "pk": job.pk,
        "url": f"/jobs/{job.pk}/",
    }


def run_summary(run: graph.RunSummary | None) -> dict | None:
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
