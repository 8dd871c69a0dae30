"""Lineage graphs around a node, in Marquez's response shape.

`GET /api/v1/lineage` walks jobs and datasets, `GET /api/v1/column-lineage`
walks dataset fields.

The body is `{"root": <node id>, "truncated": bool, "graph": [node, ...]}` where
each node is `{"id", "type": "DATASET" | "JOB", "data", "inEdges", "outEdges"}`
and each edge is `{"origin", "destination"}` (a job points at the datasets it
writes, a dataset at the jobs that read it). Only edges between two returned
nodes are listed. `data` contains Marquez's fields the portal has facts for, plus
`pk` and `url` (the portal page) for the web graph.

Query parameters are `nodeId` (required), `depth` and `direction`. The depth is
the number of edges walked from the root: 20 by default as in Marquez, 50 at
most. The direction is both (the default), upstream or downstream. A graph is
cut at 5,000 nodes, and `truncated` is then true. A job's `inputs` and `outputs`
list its first 100 datasets by namespace and name, and `inputCount` and
`outputCount` count all of them.
"""

import orjson
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from core.errors import ApiError
from core.permissions import scope_permission
from lineage import column_graph, graph
from lineage.api.serializers import (
    ColumnLineageQuerySerializer,
    LineageQuerySerializer,
)


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
    return json_response(graph_body(lineage))


def json_response(body: dict) -> HttpResponse:
    """Render with orjson, a few times faster than DRF's renderer on large graphs.

    The output matches DRF's JSONRenderer: compact UTF-8, UTC times ending in Z.
    """
    return HttpResponse(
        orjson.dumps(body, option=orjson.OPT_UTC_Z), content_type="application/json"
    )


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
        "inputCount": job.input_count,
        "outputCount": job.output_count,
        "latestRun": run_summary(job.latest_run),
        "pk": job.pk,
        "url": f"/jobs/{job.pk}/",
    }


def run_summary(run: graph.RunSummary | None) -> dict | None:
    if run is None:
        return None
    return {
        "id": str(run.run_id),
        "state": run.state or None,
        "startedAt": run.started_at,
        "endedAt": run.ended_at,
        "durationMs": run.duration_ms,
        "nominalStartTime": run.nominal_start_time,
        "nominalEndTime": run.nominal_end_time,
    }


class ColumnLineageEndpoint(APIView):
    """`GET /api/v1/column-lineage?nodeId=datasetField:<ns>:<name>:<field>&depth=N`.

    Nodes have the type `DATASET_FIELD`; an edge goes from an input field to
    the output field derived from it. A `dataset:<ns>:<name>` id starts from
    every field of that dataset, and `root` is then the dataset's node id.
    The graph is cut at 2,000 fields and 10,000 edges
    (`column_graph.MAX_FIELD_NODES`, `MAX_FIELD_EDGES`), and `truncated` is
    then true.
    """

    permission_classes = [scope_permission("read")]

    @extend_schema(
        parameters=[ColumnLineageQuerySerializer], responses=OpenApiTypes.OBJECT
    )
    def get(self, request):
        params = ColumnLineageQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        raw_id = params.validated_data["nodeId"]
        try:
            resolved = column_graph.resolve_field_roots(raw_id)
        except graph.MalformedNodeId as error:
            raise ApiError(str(error), field="nodeId") from None
        if resolved is None:
            raise ApiError(
                f"Node {raw_id!r} not found: no dataset has that namespace and name, "
                "or it has no such field.",
                field="nodeId",
                code="not_found",
                status=404,
            )
        root_id, roots = resolved
        lineage = column_graph.column_graph(
            root_id,
            roots,
            depth=params.validated_data["depth"],
            direction=params.validated_data["direction"],
        )
        return json_response(column_graph_body(lineage))


def column_graph_body(lineage: column_graph.ColumnGraph) -> dict:
    nodes = {}
    for ref, node in lineage.nodes.items():
        nodes[ref] = {
            "id": column_graph.field_node_id(node.namespace, node.name, ref.field),
            "type": "DATASET_FIELD",
            "data": None,
            "inEdges": [],
            "outEdges": [],
        }
    for ref, node in lineage.nodes.items():
        target = nodes[ref]
        input_fields, transformations = [], []
        for source_ref, steps in node.inputs:
            source = nodes[source_ref]
            edge = {"origin": source["id"], "destination": target["id"]}
            source["outEdges"].append(edge)
            target["inEdges"].append(edge)
            source_node = lineage.nodes[source_ref]
            input_fields.append(
                {
                    "namespace": source_node.namespace,
                    "name": source_node.name,
                    "field": source_ref.field,
                    "transformations": steps,
                }
            )
            transformations.extend(
                step for step in steps if step not in transformations
            )
        target["data"] = {
            "namespace": node.namespace,
            "name": node.name,
            "field": ref.field,
            "fieldType": node.type,
            "inputFields": input_fields,
            "transformations": transformations,
            "pk": ref.dataset_id,
            "url": f"/datasets/{ref.dataset_id}/",
        }
    return {
        "root": lineage.root_id,
        "truncated": lineage.truncated,
        "graph": sorted(nodes.values(), key=lambda node: node["id"]),
    }
