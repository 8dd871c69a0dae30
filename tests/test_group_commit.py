"""Group commit: concurrent submissions of one process share a transaction."""

import logging
import threading
from uuid import uuid4

import pytest

from lineage.ingestion.group_commit import GroupCommitter
from lineage.ingestion.parsing import parse_event
from lineage.models import Event, Run
from tests.conftest import second_session

pytestmark = pytest.mark.django_db(transaction=True)


def start_event(job: str) -> dict:
    return {
        "eventType": "START",
        "eventTime": "2024-06-01T08:00:00Z",
        "producer": "https://example.com/group-commit-test/1.0",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json",
        "run": {"runId": str(uuid4())},
        "job": {"namespace": "group-commit", "name": job},
        "inputs": [{"namespace": "s3://bucket", "name": f"/in/{job}"}],
        "outputs": [],
    }


def submit_concurrently(committer, events, results=None, offset=0) -> list:
    results = results if results is not None else [None] * len(events)

    def submit(index):
        results[index] = committer.store([events[index]], api_key_id=None, timeout=30)

    threads = [
        threading.Thread(target=submit, args=(i,)) for i in range(offset, len(events))
    ]
    for thread in threads:
        thread.start()
    return threads, results


def wait_for(condition) -> None:
    for _ in range(200):
        if condition():
            return
        threading.Event().wait(0.05)
    raise AssertionError("The condition did not hold within 10 s.")


def waiting_for_lock(session) -> bool:
    row = session.execute(
        "SELECT count(*) FROM pg_locks"
        " WHERE relation = 'lineage_event'::regclass AND NOT granted"
    ).fetchone()
    return row[0] > 0


def test_waiting_submissions_commit_as_one_group(caplog):
    caplog.set_level(logging.DEBUG, logger="lineage.ingestion.group_commit")
    committer = GroupCommitter()
    events = [parse_event(start_event(f"job_{i}")) for i in range(8)]

    # A second session holds the raw log locked, so the first group blocks in
    # its INSERT while the other submissions queue up behind it.
    with second_session() as blocker:
        blocker.execute("LOCK TABLE lineage_event IN EXCLUSIVE MODE")
        results = [None] * len(events)
        first, _ = submit_concurrently(committer, events[:1], results)
        wait_for(lambda: waiting_for_lock(blocker))
        rest, _ = submit_concurrently(committer, events, results, offset=1)
        wait_for(lambda: committer._queue.qsize() == len(events) - 1)
        blocker.rollback()
    for thread in first + rest:
        thread.join(timeout=30)

    assert all(result is not None and result[0].created for result in results)
    assert Event.objects.count() == 8
    assert Run.objects.count() == 8
    group_sizes = [
        record.args[0]
        for record in caplog.records
        if record.msg.startswith("Committed a group")
    ]
    assert sorted(group_sizes) == [1, 7]


def test_duplicate_in_one_group_is_stored_once():
    committer = GroupCommitter()
    event = start_event("dup")
    first, second = parse_event(dict(event)), parse_event(dict(event))

    threads, results = submit_concurrently(committer, [first, second])
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(result[0].created for result in results) == [False, True]
    assert results[0][0].event_id == results[1][0].event_id
    assert Event.objects.count() == 1


def test_separate_api_keys_commit_separately(pipeline_key):
    from core.models import ApiKey

    key_id = ApiKey.objects.get().pk
    committer = GroupCommitter()

    stored = committer.store(
        [parse_event(start_event("keyed"))], api_key_id=key_id, timeout=30
    )
    unkeyed = committer.store(
        [parse_event(start_event("unkeyed"))], api_key_id=None, timeout=30
    )

    assert Event.objects.get(pk=stored[0].event_id).api_key_id == key_id
    assert Event.objects.get(pk=unkeyed[0].event_id).api_key_id is None
