"""The benchmark generators at tiny sizes, so they do not rot between runs.

Nothing here is timed: the benchmarks themselves run only on demand
(`python -m benchmarks`).
"""

import networkx as nx
import orjson
import pytest

from benchmarks.events import RunEventStream, build_estate
from benchmarks.graphs import generate_graph, job_run_events, neighbourhood, pick_root
from benchmarks.ingest import batch_requests, count_batch
from lineage.ingestion.parsing import parse_event


@pytest.fixture
def run_events():
    tasks = build_estate(dags=3, tasks_per_dag=5, seed=1)
    return RunEventStream(tasks, seed=1).take(60)


def test_run_events_parse_without_warnings(run_events):
    parsed = [parse_event(orjson.loads(orjson.dumps(e))) for e in run_events]

    assert [event.warnings for event in parsed] == [[]] * 60
    assert {event.event_type for event in parsed} == {"RunEvent"}
    assert [event.run_state for event in parsed[:4]] == [
        "START",
        "COMPLETE",
        "START",
        "COMPLETE",
    ]
    assert all(event.parent is not None for event in parsed)
    assert all(event.outputs[0].schema_fields for event in parsed)


def test_run_events_are_distinct(run_events):
    run_ids = [event["run"]["runId"] for event in run_events]
    bodies = {orjson.dumps(event) for event in run_events}

    assert len(bodies) == 60
    assert len(set(run_ids)) == 30
    assert all(run_ids.count(run_id) == 2 for run_id in run_ids)


def test_run_events_fit_the_size_range(run_events):
    sizes = [len(orjson.dumps(event)) for event in run_events]

    assert min(sizes) >= 1_500
    assert max(sizes) <= 6_500


def test_estate_chains_each_task_to_its_predecessor():
    tasks = build_estate(dags=2, tasks_per_dag=5, seed=3)

    assert len(tasks) == 10
    assert len({task.name for task in tasks}) == 10
    for previous, task in zip(tasks[:4], tasks[1:5], strict=True):
        assert set(previous.outputs) <= set(task.inputs)


@pytest.mark.parametrize("node_count", [100, 101, 537, 5_000])
def test_graph_has_requested_node_count(node_count):
    graph = generate_graph(node_count, seed=node_count)
    node_ids = [job.node_id for job in graph.jobs] + [
        dataset.node_id for dataset in graph.datasets
    ]
    named = {dataset for job in graph.jobs for dataset in job.inputs + job.outputs}

    assert graph.node_count == node_count
    assert len(set(node_ids)) == node_count
    assert named == set(graph.datasets)


def test_graph_rejects_too_few_nodes():
    with pytest.raises(ValueError, match="node_count must be at least 100, not 99."):
        generate_graph(99)


def test_graph_events_parse_and_name_every_edge():
    graph = generate_graph(600, seed=2)
    events = list(job_run_events(graph, seed=2))
    parsed = [parse_event(event) for event in events]
    edges = set()
    for event in parsed:
        job = f"job:{event.job_namespace}:{event.job_name}"
        edges |= {(f"dataset:{d.namespace}:{d.name}", job) for d in event.inputs}
        edges |= {(job, f"dataset:{d.namespace}:{d.name}") for d in event.outputs}

    assert len(events) == len(graph.jobs)
    assert [event.warnings for event in parsed] == [[]] * len(events)
    assert edges == set(graph.edges())


def test_neighbourhood_matches_networkx():
    graph = generate_graph(2_000, seed=5)
    downstream, upstream = graph.adjacency()
    digraph = nx.DiGraph(graph.edges())
    for dataset in graph.datasets[::97]:
        root = dataset.node_id
        expected = set(nx.single_source_shortest_path_length(digraph, root, cutoff=3))
        expected |= set(
            nx.single_source_shortest_path_length(digraph.reverse(), root, cutoff=3)
        )

        assert neighbourhood(downstream, upstream, root, depth=3) == expected


def test_pick_root_returns_its_neighbourhood_size():
    graph = generate_graph(3_000, seed=4)
    downstream, upstream = graph.adjacency()

    root, count = pick_root(graph, depth=5, target=60, samples=300, seed=4)

    assert count == len(neighbourhood(downstream, upstream, root, depth=5))


def test_batch_requests_split_events():
    requests = batch_requests([{"n": n} for n in range(5)], size=2, api_key="gk_x")
    bodies = [request.partition(b"\r\n\r\n")[2] for request in requests]

    assert [orjson.loads(body) for body in bodies] == [
        [{"n": 0}, {"n": 1}],
        [{"n": 2}, {"n": 3}],
        [{"n": 4}],
    ]
    assert requests[0].startswith(b"POST /api/v1/lineage/batch HTTP/1.1\r\n")


def test_count_batch_rejects_a_rejected_event():
    created = orjson.dumps(
        {"results": [{"index": 0, "status": 201}, {"index": 1, "status": 200}]}
    )
    rejected = orjson.dumps({"results": [{"index": 0, "status": 400}]})

    assert count_batch(200, created) == 1
    with pytest.raises(ValueError, match="event 0 rejected"):
        count_batch(200, rejected)
