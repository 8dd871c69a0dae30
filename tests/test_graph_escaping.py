"""Names and facets come from outside: every page must show them as text."""

import uuid
from datetime import timedelta

import pytest
from django.utils.html import escape

from lineage.models import DatasetFacet, Direction, JobFacet, RunDataset, RunFacet
from tests.factories import SEEN_AT, make_dataset, make_job, make_reads, make_run

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAK = '"><img src=x onerror=alert(1)>'
SVG_TEXT_BREAK = "</text><script>"
HOSTILE_NAMESPACE = SCRIPT
HOSTILE_DATASET = ATTRIBUTE_BREAK + SVG_TEXT_BREAK
HOSTILE_JOB = SVG_TEXT_BREAK + SCRIPT
RUN_ID = uuid.UUID("00000000-0000-4000-8000-0000000000aa")
# What must never reach a page unescaped.
RAW_MARKUP = ["<script>alert", "<img", "</text><script>", "onerror=alert(1)>"]


@pytest.fixture
def hostile(db):
    dataset = make_dataset(
        HOSTILE_NAMESPACE,
        HOSTILE_DATASET,
        fields=[
            {
                "name": ATTRIBUTE_BREAK,
                "type": SCRIPT,
                "description": SVG_TEXT_BREAK,
                "fields": [{"name": SCRIPT, "type": "string"}],
            }
        ],
    )
    alias = make_dataset(HOSTILE_NAMESPACE, SCRIPT, canonical=dataset)
    job = make_job(HOSTILE_NAMESPACE, HOSTILE_JOB, parent=make_job("dag", SCRIPT))
    make_reads(job, dataset)
    run = make_run(
        job, run_id=RUN_ID, ended_at=SEEN_AT + timedelta(seconds=3), state="COMPLETE"
    )
    RunDataset.objects.create(
        run=run, dataset=dataset, direction=Direction.INPUT, event_time=SEEN_AT
    )
    facet_payload = {"description": SCRIPT + ATTRIBUTE_BREAK, SCRIPT: SVG_TEXT_BREAK}
    DatasetFacet.objects.create(
        dataset=dataset, name=SCRIPT, payload=facet_payload, event_time=SEEN_AT
    )
    JobFacet.objects.create(
        job=job, name=ATTRIBUTE_BREAK, payload=facet_payload, event_time=SEEN_AT
    )
    RunFacet.objects.create(
        run=run, name=SVG_TEXT_BREAK, payload=facet_payload, event_time=SEEN_AT
    )
    return {"dataset": dataset, "alias": alias, "job": job}


@pytest.fixture
def reader(client, consumer):
    client.force_login(consumer)
    return client


def page_paths(hostile) -> list[str]:
    return [
        "/",
        "/jobs/",
        "/datasets/",
        f"/datasets/{hostile['dataset'].pk}/",
        f"/datasets/{hostile['alias'].pk}/",
        f"/jobs/{hostile['job'].pk}/",
        f"/jobs/{hostile['job'].parent_id}/",
        f"/runs/{RUN_ID}/",
        "/search/?q=script",
        "/jobs/?q=%3Cscript%3E",
    ]


def test_pages_escape_hostile_names(reader, hostile):
    for path in page_paths(hostile):
        content = reader.get(path).content.decode()

        for markup in RAW_MARKUP:
            assert markup not in content, f"{markup!r} unescaped on {path}"


def test_lists_show_hostile_names_as_text(reader, hostile):
    namespaces = reader.get("/").content.decode()
    datasets = reader.get("/datasets/").content.decode()
    jobs = reader.get("/jobs/").content.decode()

    assert f"<code>{escape(HOSTILE_NAMESPACE)}</code>" in namespaces
    assert f">{escape(HOSTILE_DATASET)}</a>" in datasets
    assert f">{escape(HOSTILE_JOB)}</a>" in jobs


def test_dataset_page_escapes_schema_and_facets(reader, hostile):
    content = reader.get(f"/datasets/{hostile['dataset'].pk}/").content.decode()

    assert f"<code>{escape(ATTRIBUTE_BREAK)}</code>" in content
    assert f"<code>{escape(SCRIPT)}</code></th>" in content
    assert f"<summary><code>{escape(SCRIPT)}</code>" in content
    assert (
        "&quot;description&quot;: &quot;&lt;script&gt;alert(1)&lt;/script&gt;"
        "\\&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&quot;"
    ) in content


def test_graph_link_encodes_hostile_node_id(reader, hostile):
    content = reader.get(f"/datasets/{hostile['dataset'].pk}/").content.decode()

    assert (
        "/lineage/?nodeId=dataset%3A%3Cscript%3Ealert%281%29%3C%2Fscript%3E%3A"
        "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%3C%2Ftext%3E%3Cscript%3E"
    ) in content


def test_graph_page_escapes_node_id(reader, hostile):
    node_id = f"dataset:{HOSTILE_NAMESPACE}:{HOSTILE_DATASET}"

    content = reader.get("/lineage/", {"nodeId": node_id}).content.decode()

    for markup in RAW_MARKUP:
        assert markup not in content
    assert f'data-node-id="{escape(node_id)}"' in content
    assert f'value="{escape(node_id)}"' in content
