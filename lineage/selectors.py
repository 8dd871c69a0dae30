"""Reads behind the portal's pages: lists with counts, dataset, job and run detail.

Every function returns querysets or plain objects with the related rows the page
shows already joined or prefetched, so a page costs a fixed number of queries
whatever the number of rows.
"""

from collections import defaultdict, deque
from dataclasses import dataclass

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import reverse

from lineage import graph
from lineage.models import (
    Dataset,
    Direction,
    Event,
    Job,
    Namespace,
    Run,
    RunDataset,
)

# Detail pages show this many of the newest runs and dataset versions.
DETAIL_ROW_LIMIT = 50


def _count_of(queryset: QuerySet, key: str) -> Coalesce:
    """Count the rows of `queryset` whose `key` is the outer row, as a subquery."""
    counted = (
        queryset.filter(**{key: OuterRef("pk")})
        .order_by()
        .values(key)
        .annotate(count=Count("*"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _run_duration() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("ended_at") - F("started_at"), output_field=DurationField()
    )


def namespace_list() -> QuerySet[Namespace]:
    return Namespace.objects.annotate(
        job_count=_count_of(Job.objects.all(), "namespace"),
        dataset_count=_count_of(Dataset.objects.all(), "namespace"),
    ).order_by("name", "pk")


def job_list(
    *, namespace_id: int | None = None, state: str = "", name_contains: str = ""
) -> QuerySet[Job]:
    """List jobs with their namespace and the state of their latest run.

    The latest run is the one with the newest first event. `state` filters on
    its state, and "NONE" keeps the jobs that have no run yet.
    """
    latest_run = Run.objects.filter(job=OuterRef("pk")).order_by(
        F("first_event_time").desc(nulls_last=True), "-pk"
    )
    jobs = Job.objects.select_related("namespace").annotate(
        latest_run_state=Subquery(latest_run.values("state")[:1]),
        latest_run_id=Subquery(latest_run.values("run_id")[:1]),
    )
    if namespace_id is not None:
        jobs = jobs.filter(namespace_id=namespace_id)
    if name_contains:
        jobs = jobs.filter(name__icontains=name_contains)
    if state == "NONE":
        jobs = jobs.filter(latest_run_state__isnull=True)
    elif state:
        jobs = jobs.filter(latest_run_state=state)
    return jobs.order_by("namespace__name", "name", "pk")


def dataset_list(
    *, namespace_id: int | None = None, name_contains: str = ""
) -> QuerySet[Dataset]:
    """List datasets with their namespace, canonical dataset and current schema."""
    datasets = Dataset.objects.select_related(
        "namespace", "canonical", "canonical__namespace", "current_schema"
    )
    if namespace_id is not None:
        datasets = datasets.filter(namespace_id=namespace_id)
    if name_contains:
        datasets = datasets.filter(name__icontains=name_contains)
    return datasets.order_by("namespace__name", "name", "pk")


def dataset_detail(pk: int) -> Dataset:
    """Fetch a dataset with everything its page shows, or raise Http404.

    Attached lists: `alias_list`, `schema_version_list` (newest first),
    `version_list` (the newest output RunDatasets, each with run, job and schema
    version), `producer_edges` and `consumer_edges` (LineageEdges with their job),
    `facet_list` (by name).
    """
    dataset = get_object_or_404(
        Dataset.objects.select_related(
            "namespace", "canonical", "canonical__namespace", "current_schema"
        ),
        pk=pk,
    )
    dataset.alias_list = list(
        dataset.aliases.select_related("namespace").order_by("namespace__name", "name")
    )
    dataset.schema_version_list = list(
        dataset.schema_versions.order_by("-last_seen_at", "-pk")
    )
    dataset.version_list = list(
        RunDataset.objects.filter(dataset=dataset, direction=Direction.OUTPUT)
        .select_related("run", "run__job", "run__job__namespace", "schema_version")
        .order_by("-event_time", "-pk")[:DETAIL_ROW_LIMIT]
    )
    edges = list(
        dataset.edges.select_related("job", "job__namespace").order_by(
            "job__namespace__name", "job__name"
        )
    )
    dataset.producer_edges = [e for e in edges if e.direction == Direction.OUTPUT]
    dataset.consumer_edges = [e for e in edges if e.direction == Direction.INPUT]
    dataset.facet_list = list(dataset.facets.order_by("name"))
    return dataset


def job_detail(pk: int) -> Job:
    """Fetch a job with everything its page shows, or raise Http404.

    Attached lists: `run_list` (the newest runs, each with `duration`),
    `input_edges` and `output_edges` (LineageEdges with their dataset),
    `child_list` (jobs whose parent this is), `facet_list` (by name).
    """
    job = get_object_or_404(
        Job.objects.select_related("namespace", "parent", "parent__namespace"), pk=pk
    )
    job.run_list = list(
        job.runs.annotate(duration=_run_duration()).order_by(
            F("first_event_time").desc(nulls_last=True), "-pk"
        )[:DETAIL_ROW_LIMIT]
    )
    edges = list(
        job.edges.select_related("dataset", "dataset__namespace").order_by(
            "dataset__namespace__name", "dataset__name"
        )
    )
    job.input_edges = [e for e in edges if e.direction == Direction.INPUT]
    job.output_edges = [e for e in edges if e.direction == Direction.OUTPUT]
    job.child_list = list(
        job.children.select_related("namespace").order_by("namespace__name", "name")
    )
    job.facet_list = list(job.facets.order_by("name"))
    return job


def run_detail(run_id) -> Run:
    """Fetch a run by its OpenLineage runId with its datasets and facets, or 404.

    Attached lists: `input_list` and `output_list` (RunDatasets with dataset and
    schema version), `child_list` (runs whose parent this is), `facet_list`, and
    `event_list` (the stored events of the run by eventTime, without payloads).
    """
    run = get_object_or_404(
        Run.objects.select_related(
            "job", "job__namespace", "parent", "parent__job", "parent__job__namespace"
        ).annotate(duration=_run_duration()),
        run_id=run_id,
    )
    run_datasets = list(
        run.datasets.select_related(
            "dataset", "dataset__namespace", "schema_version"
        ).order_by("dataset__namespace__name", "dataset__name")
    )
    run.input_list = [d for d in run_datasets if d.direction == Direction.INPUT]
    run.output_list = [d for d in run_datasets if d.direction == Direction.OUTPUT]
    run.child_list = list(
        run.children.select_related("job", "job__namespace").order_by(
            "first_event_time", "pk"
        )
    )
    run.facet_list = list(run.facets.order_by("name"))
    run.event_list = list(
        Event.objects.filter(run_id=run.run_id)
        .defer("payload", "warnings")
        .order_by("event_time", "pk")
    )
    return run


def search(name_contains: str, *, limit: int = 50) -> tuple[list[Job], list[Dataset]]:
    """Find jobs and datasets whose name contains the text (case-insensitive)."""
    jobs = job_list(name_contains=name_contains)[:limit]
    datasets = dataset_list(name_contains=name_contains)[:limit]
    return list(jobs), list(datasets)


@dataclass(frozen=True, slots=True)
class GraphListItem:
    """A node of a lineage graph as the graph page's text list shows it."""

    kind: str
    namespace: str
    name: str
    url: str
    latest_run_state: str = ""


def lineage_node_list(
    root: graph.NodeRef, *, depth: int, direction: str
) -> tuple[list[tuple[str, list[GraphListItem]]], bool]:
    """List the nodes of the graph around `root`, grouped by where they lie.

    Returns (heading, items) sections and whether the walk was truncated. The
    sections are the selected node, then the nodes only upstream, only
    downstream, both, and connected some other way, each sorted by name. The
    walk is the lineage API's, so the list matches the drawn graph.
    """
    lineage = graph.lineage_graph(root, depth=depth, direction=direction)
    downstream: dict[graph.NodeRef, set] = defaultdict(set)
    upstream: dict[graph.NodeRef, set] = defaultdict(set)
    for job_id, dataset_id, edge_direction in lineage.edges:
        job = graph.NodeRef(graph.JOB, job_id)
        dataset = graph.NodeRef(graph.DATASET, dataset_id)
        origin, target = job, dataset
        if edge_direction == Direction.INPUT:
            origin, target = dataset, job
        downstream[origin].add(target)
        upstream[target].add(origin)
    above = _reachable(root, upstream)
    below = _reachable(root, downstream)

    items = {ref: _graph_list_item(lineage, ref) for ref in _node_refs(lineage)}
    groups = [
        ("Selected node", {root}),
        ("Upstream", above - below),
        ("Downstream", below - above),
        ("Both upstream and downstream", above & below),
        ("Other connected nodes", set(items) - above - below - {root}),
    ]
    sections = []
    for heading, refs in groups:
        group = sorted(
            (items[ref] for ref in refs),
            key=lambda item: (item.name, item.namespace, item.kind),
        )
        if group:
            sections.append((heading, group))
    return sections, lineage.truncated


def _node_refs(lineage: graph.LineageGraph) -> list[graph.NodeRef]:
    return [graph.NodeRef(graph.DATASET, pk) for pk in lineage.datasets] + [
        graph.NodeRef(graph.JOB, pk) for pk in lineage.jobs
    ]


def _reachable(root: graph.NodeRef, edges: dict) -> set[graph.NodeRef]:
    seen: set[graph.NodeRef] = set()
    queue = deque([root])
    while queue:
        for ref in edges.get(queue.popleft(), ()):
            if ref not in seen and ref != root:
                seen.add(ref)
                queue.append(ref)
    return seen


def _graph_list_item(lineage: graph.LineageGraph, ref: graph.NodeRef) -> GraphListItem:
    if ref.kind == graph.DATASET:
        node = lineage.datasets[ref.pk]
        url = reverse("lineage:dataset-detail", args=[ref.pk])
        return GraphListItem("Dataset", node.namespace, node.name, url)
    node = lineage.jobs[ref.pk]
    state = node.latest_run.state if node.latest_run is not None else ""
    url = reverse("lineage:job-detail", args=[ref.pk])
    return GraphListItem("Job", node.namespace, node.name, url, state or "")
