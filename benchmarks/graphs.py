"""A generated lineage graph of an exact node count, and walks over it.

The graph is bipartite, jobs and datasets, built from layered pipelines. Each
pipeline starts from one to three source datasets. Each of its layers has one
to four jobs that read one to three datasets of earlier layers (fan-in) and
write one or two new ones (fan-out). One job in ten also reads a dataset of an
earlier pipeline, chosen with preferential attachment, so a few datasets gather
many readers. Hubs make the degrees uneven, as in real estates: a few shared
dimension datasets are read by about one job in thirty, and a few
data-quality jobs each read a hundred or more datasets.
"""

import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from benchmarks.events import (
    ESTATE_START,
    PRODUCER,
    RUN_EVENT_SCHEMA_URL,
    format_time,
    random_uuid,
)

MIN_NODES = 100
HUB_DATASETS = 5
HUB_JOBS = 3
CROSS_READS = 0.15
DATASET_NAMESPACES = (
    "postgres://warehouse.internal:5432",
    "s3://acme-lake",
    "bigquery",
)
JOB_NAMESPACES = ("airflow-finance", "airflow-marketing", "spark-etl", "dbt")


@dataclass(frozen=True, slots=True)
class Dataset:
    namespace: str
    name: str

    @property
    def node_id(self) -> str:
        return f"dataset:{self.namespace}:{self.name}"


@dataclass(slots=True)
class Job:
    namespace: str
    name: str
    inputs: list[Dataset]
    outputs: list[Dataset]

    @property
    def node_id(self) -> str:
        return f"job:{self.namespace}:{self.name}"


@dataclass(slots=True)
class LineageGraph:
    jobs: list[Job]
    datasets: list[Dataset]

    @property
    def node_count(self) -> int:
        return len(self.jobs) + len(self.datasets)

    def edges(self) -> Iterator[tuple[str, str]]:
        """Yield (origin, destination) node ids: dataset -> job, job -> dataset."""
        for job in self.jobs:
            for dataset in job.inputs:
                yield dataset.node_id, job.node_id
            for dataset in job.outputs:
                yield job.node_id, dataset.node_id

    def adjacency(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Return (downstream, upstream) neighbour lists by node id."""
        downstream: dict[str, list[str]] = {}
        upstream: dict[str, list[str]] = {}
        for origin, destination in self.edges():
            downstream.setdefault(origin, []).append(destination)
            upstream.setdefault(destination, []).append(origin)
        return downstream, upstream


class _GraphBuilder:
    def __init__(self, node_count: int, seed: int):
        self.budget = node_count
        self.rng = random.Random(seed)
        self.jobs: list[Job] = []
        self.datasets: list[Dataset] = []
        # Datasets other pipelines read, once per read so far plus once for being
        # there: choosing from it favours popular datasets (preferential attachment).
        self.shared: list[Dataset] = []

    @property
    def remaining(self) -> int:
        return self.budget - len(self.jobs) - len(self.datasets)

    def new_dataset(self, name: str) -> Dataset:
        dataset = Dataset(self.rng.choice(DATASET_NAMESPACES), name)
        self.datasets.append(dataset)
        return dataset

    def new_job(self, namespace: str, name: str, inputs: list[Dataset]) -> Job:
        job = Job(namespace, name, inputs, [])
        self.jobs.append(job)
        return job

    def add_hub_datasets(self) -> list[Dataset]:
        hubs = []
        for index in range(HUB_DATASETS):
            hub = self.new_dataset(f"shared.dim_{index}")
            loader = self.new_job("airflow-platform", f"load_dim_{index}", [])
            loader.outputs.append(hub)
            hubs.append(hub)
        return hubs

    def add_pipeline(self, index: int, hubs: list[Dataset]) -> None:
        rng = self.rng
        namespace = rng.choice(JOB_NAMESPACES)
        sources = [
            self.new_dataset(f"raw.p{index}.source_{n}")
            for n in range(rng.randint(1, 3))
        ]
        layer = sources
        seen = list(layer)
        first_job = len(self.jobs)
        for depth in range(rng.randint(3, 7)):
            if depth == 1:
                self.read_unread(sources, self.jobs[first_job:])
            next_layer = []
            for position in range(rng.randint(1, 4)):
                if self.remaining < 3:
                    return
                fan_in = min(rng.randint(1, 3), len(seen))
                # Mostly the previous layer, sometimes an older one.
                inputs = rng.sample(layer, min(fan_in, len(layer)))
                if rng.random() < 0.3:
                    inputs.append(rng.choice(seen))
                if self.shared and rng.random() < CROSS_READS:
                    shared = rng.choice(self.shared)
                    self.shared.extend((shared, shared))
                    inputs.append(shared)
                if rng.random() < 1 / 30:
                    inputs.append(rng.choice(hubs))
                job = self.new_job(
                    namespace, f"p{index}.layer_{depth}.job_{position}", unique(inputs)
                )
                for n in range(1 if rng.random() < 0.6 else 2):
                    output = self.new_dataset(f"p{index}.layer_{depth}.t{position}_{n}")
                    job.outputs.append(output)
                    next_layer.append(output)
                    if rng.random() < 0.1:
                        self.shared.append(output)
            seen.extend(next_layer)
            layer = next_layer

    def read_unread(self, datasets: list[Dataset], readers: list[Job]) -> None:
        """Make the last job read those of `datasets` that none of `readers` reads.

        Every dataset must be named in some event, or loading would miss it.
        """
        read = {dataset for job in readers for dataset in job.inputs}
        last_job = self.jobs[-1]
        last_job.inputs.extend(d for d in datasets if d not in read)

    def add_hub_jobs(self) -> None:
        candidates = self.datasets[HUB_DATASETS:]
        for index in range(HUB_JOBS):
            reads = min(len(candidates), self.rng.randint(100, 250))
            job = self.new_job(
                "airflow-platform",
                f"quality_check_{index}",
                self.rng.sample(candidates, reads),
            )
            job.outputs.append(self.new_dataset(f"quality.report_{index}"))

    def fill_remaining(self) -> None:
        """Spend what is left of the node budget on extra outputs of the last job."""
        last_job = self.jobs[-1]
        for n in range(self.remaining):
            last_job.outputs.append(self.new_dataset(f"{last_job.name}.extra_{n}"))


def unique(datasets: list[Dataset]) -> list[Dataset]:
    return list(dict.fromkeys(datasets))


def generate_graph(node_count: int, *, seed: int = 7) -> LineageGraph:
    """Generate a lineage graph of exactly `node_count` jobs and datasets."""
    if node_count < MIN_NODES:
        raise ValueError(f"node_count must be at least {MIN_NODES}, not {node_count}.")
    builder = _GraphBuilder(node_count, seed)
    hubs = builder.add_hub_datasets()
    # Leave room for the data-quality hub jobs and their reports.
    reserve = 2 * HUB_JOBS
    index = 0
    while builder.remaining > reserve + 40:
        builder.add_pipeline(index, hubs)
        index += 1
    builder.add_hub_jobs()
    builder.fill_remaining()
    written = {dataset for job in builder.jobs for dataset in job.outputs}
    unwritten = [d for d in builder.datasets if d not in written]
    builder.read_unread(unwritten, builder.jobs)
    return LineageGraph(builder.jobs, builder.datasets)


def neighbourhood(
    downstream: dict[str, list[str]],
    upstream: dict[str, list[str]],
    root: str,
    *,
    depth: int,
    limit: int | None = None,
) -> set[str]:
    """Return the nodes within `depth` edges of `root`, walking both ways.

    This is an upstream walk and a downstream walk from the root, each up to
    `depth` edges, as the lineage API's direction=both gives. The walk stops
    early once it has found more than `limit` nodes.
    """
    found = {root}
    for neighbours in (downstream, upstream):
        seen = {root}
        frontier = deque([(root, 0)])
        while frontier:
            node, distance = frontier.popleft()
            if distance == depth:
                continue
            for neighbour in neighbours.get(node, ()):
                if neighbour not in seen:
                    seen.add(neighbour)
                    frontier.append((neighbour, distance + 1))
        found |= seen
        if limit is not None and len(found) > limit:
            break
    return found


def pick_root(
    graph: LineageGraph, *, depth: int, target: int, samples: int, seed: int
) -> tuple[str, int]:
    """Pick a dataset whose depth-`depth` neighbourhood is closest to `target` nodes.

    Looks at `samples` datasets drawn at random and returns (node id, node count).
    """
    downstream, upstream = graph.adjacency()
    rng = random.Random(seed)
    candidates = rng.sample(graph.datasets, min(samples, len(graph.datasets)))
    best_id, best_count = "", 0
    for dataset in candidates:
        count = len(
            neighbourhood(
                downstream, upstream, dataset.node_id, depth=depth, limit=2 * target
            )
        )
        if not best_id or abs(count - target) < abs(best_count - target):
            best_id, best_count = dataset.node_id, count
        if best_count == target:
            break
    return best_id, best_count


def job_run_events(graph: LineageGraph, *, seed: int) -> Iterator[dict]:
    """Yield one COMPLETE RunEvent per job, naming its inputs and outputs."""
    rng = random.Random(seed)
    for position, job in enumerate(graph.jobs):
        yield {
            "eventType": "COMPLETE",
            "eventTime": format_time(
                ESTATE_START.replace(microsecond=position % 10**6)
            ),
            "producer": PRODUCER,
            "schemaURL": RUN_EVENT_SCHEMA_URL,
            "run": {"runId": random_uuid(rng), "facets": {}},
            "job": {"namespace": job.namespace, "name": job.name, "facets": {}},
            "inputs": [
                {"namespace": dataset.namespace, "name": dataset.name}
                for dataset in job.inputs
            ],
            "outputs": [
                {"namespace": dataset.namespace, "name": dataset.name}
                for dataset in job.outputs
            ],
        }
