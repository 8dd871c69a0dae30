"""`manage.py ingest_openlineage`: files, folders, standard input and counts."""

import hashlib
import io
import sys

import orjson
import pytest
from django.core.management import CommandError, call_command

from lineage.ingestion.body import split_body
from lineage.models import Event

EVENT = {
    "eventType": "START",
    "eventTime": "2024-05-01T10:00:00.000Z",
    "producer": "https://example.com/lineage-test-producer/1.0",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {"runId": "01934f5e-0000-7000-8000-000000000001"},
    "job": {"namespace": "etl", "name": "daily_orders"},
}


def run_command(*paths) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("ingest_openlineage", *paths, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_corpus_folder_counts(db, corpus_dir):
    # Some sources ship the same event, so count distinct ones independently.
    hashes = []
    for path in sorted((corpus_dir / "events").rglob("*.json")):
        for item in split_body(path.read_bytes(), max_events=10_000)[1]:
            # The corpus rejects one event: a RunEvent without run.runId.
            if "run" not in item or "runId" in item["run"]:
                hashes.append(
                    hashlib.sha256(
                        orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
                    ).hexdigest()
                )
    assert len(hashes) == 113

    stdout, _ = run_command(str(corpus_dir / "events"))

    distinct = len(set(hashes))
    lines = stdout.splitlines()
    assert lines[0] == (f"Accepted {distinct}, duplicate {113 - distinct}, rejected 1.")
    assert lines[1] == "Rejected events (file [index] field: reason):"
    assert lines[2] == (
        f"  {corpus_dir / 'events/ol-fluentd-proxy/event_no_run_id.json'} [0] "
        "run.runId: run.runId is missing: a RunEvent needs the UUID of its run."
    )
    assert Event.objects.count() == distinct


def test_ndjson_and_array_files(db, tmp_path):
    second = {**EVENT, "eventType": "COMPLETE"}
    (tmp_path / "events.ndjson").write_bytes(
        orjson.dumps(EVENT) + b"\n" + orjson.dumps(second) + b"\n"
    )
    nested = tmp_path / "more" / "deeper"
    nested.mkdir(parents=True)
    (nested / "batch.json").write_bytes(orjson.dumps([EVENT, {"eventTime": 1}]))
    (nested / "notes.txt").write_text("not an event file")

    stdout, _ = run_command(str(tmp_path))

    assert stdout.splitlines()[0] == "Accepted 2, duplicate 1, rejected 1."
    assert f"{nested / 'batch.json'} [1] eventTime: " in stdout
    assert Event.objects.count() == 2


def test_standard_input(db, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(orjson.dumps([EVENT])))
    monkeypatch.setattr(sys, "stdin", stdin)

    stdout, _ = run_command("-")

    assert stdout.splitlines() == ["Accepted 1, duplicate 0, rejected 0."]
    assert Event.objects.count() == 1


def test_file_not_json_reported(db, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")

    stdout, _ = run_command(str(broken))

    lines = stdout.splitlines()
    assert lines[0] == "Accepted 0, duplicate 0, rejected 1."
    assert lines[2].startswith(f"  {broken} [0] (body): The body is not valid JSON")


def test_unreadable_path_fails(db, tmp_path):
    good = tmp_path / "event.json"
    good.write_bytes(orjson.dumps(EVENT))
    stdout, stderr = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command(
            "ingest_openlineage",
            str(tmp_path / "missing.json"),
            str(good),
            stdout=stdout,
            stderr=stderr,
        )

    assert str(raised.value) == "1 path(s) could not be read."
    assert stdout.getvalue().splitlines()[0] == "Accepted 1, duplicate 0, rejected 0."
    assert f"Cannot read {tmp_path / 'missing.json'}: No such file or directory" in (
        stderr.getvalue()
    )
    assert Event.objects.count() == 1


def test_file_with_byte_order_mark(db, tmp_path):
    event_file = tmp_path / "event.json"
    event_file.write_bytes(b"\xef\xbb\xbf" + orjson.dumps(EVENT))

    stdout, _ = run_command(str(event_file))

    assert stdout.splitlines() == ["Accepted 1, duplicate 0, rejected 0."]


def test_ndjson_bad_line_reported(db, tmp_path):
    events_file = tmp_path / "events.jsonl"
    events_file.write_bytes(orjson.dumps(EVENT) + b"\n\n{oops\n")

    stdout, _ = run_command(str(events_file))

    lines = stdout.splitlines()
    assert lines[0] == "Accepted 1, duplicate 0, rejected 1."
    assert lines[2].startswith(f"  {events_file} [1] (body): Line 3 is not valid JSON")
