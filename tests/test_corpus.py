"""Every file of the shared OpenLineage corpus, sent through the API with the
outcome and event count its expected.tsv gives."""

import csv
from pathlib import Path

import pytest

from lineage.models import Event

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "openlineage-corpus"


def expected_rows() -> list[dict]:
    path = CORPUS / "expected.tsv"
    if not path.is_file():
        return []
    with path.open(newline="") as file:
        return list(csv.DictReader(file, delimiter="\t"))


@pytest.mark.parametrize(
    "row", expected_rows(), ids=[row["path"] for row in expected_rows()]
)
def test_corpus_file_outcome(client, pipeline_key, corpus_dir, row):
    body = (corpus_dir / row["path"]).read_bytes()
    expected_events = int(row["events"])

    response = client.post(
        "/api/v1/lineage/batch",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {pipeline_key}",
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == expected_events
    if row["outcome"] == "accept":
        assert [result["status"] for result in results] == [201] * len(results)
        assert Event.objects.count() == len({result["id"] for result in results})
    else:
        assert [result["error"]["field"] for result in results] == [row["field"]] * len(
            results
        )
        assert Event.objects.count() == 0


@pytest.mark.parametrize(
    "row",
    [row for row in expected_rows() if row["events"] == "1"],
    ids=[row["path"] for row in expected_rows() if row["events"] == "1"],
)
def test_corpus_single_event_endpoint(client, pipeline_key, corpus_dir, row):
    response = client.post(
        "/api/v1/lineage",
        data=(corpus_dir / row["path"]).read_bytes(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {pipeline_key}",
    )

    if row["outcome"] == "accept":
        assert response.status_code == 201
        assert Event.objects.filter(pk=response.json()["id"]).exists()
    else:
        assert response.status_code == 400
        assert response.json()["error"]["field"] == row["field"]


def test_corpus_lists_every_event_file(corpus_dir):
    listed = {row["path"] for row in expected_rows()}
    on_disk = {
        str(path.relative_to(corpus_dir))
        for path in (corpus_dir / "events").rglob("*.json")
    }

    assert listed == on_disk
