"""The portal's pages, read by a logged-in consumer."""

import html
import uuid
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from lineage.models import (
    DatasetFacet,
    Direction,
    Event,
    JobFacet,
    Run,
    RunDataset,
    RunFacet,
)
from tests.factories import (
    SEEN_AT,
    make_dataset,
    make_job,
    make_reads,
    make_run,
    make_writes,
)

ORDERS_FIELDS = [
    {"name": "order_id", "type": "bigint", "description": "Primary key"},
    {
        "name": "customer",
        "type": "struct",
        "fields": [
            {"name": "email", "type": "string", "description": "Contact address"},
            {
                "name": "address",
                "type": "struct",
                "fields": [{"name": "city", "type": "string"}],
            },
        ],
    },
]
COMPLETE_RUN_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
FAILED_RUN_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")
RUNNING_RUN_ID = uuid.UUID("00000000-0000-4000-8000-000000000003")


class _TableReader(HTMLParser):
    """Collect the text of every table row's cells, one list per row."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def alert_text(response) -> str:
    """The text of the page's alert paragraph, unescaped."""
    content = response.content.decode()
    return html.unescape(content.split('role="alert">')[1].split("</p>")[0])


def table_rows(response) -> list[list[str]]:
    reader = _TableReader()
    reader.feed(response.content.decode())
    return reader.rows


@pytest.fixture
def estate(db):
    """A small estate: raw orders -> ingest_orders -> sales.orders -> report.build.

    ingest_orders has three runs: COMPLETE in 2 min 5 s, FAIL in 850 ms and one
    still RUNNING. `/sales.db/orders` in s3://warehouse is an alias of
    sales.orders, and report.build belongs to the Airflow DAG `report`.
    """
    raw = make_dataset("s3://lake", "/raw/orders")
    orders = make_dataset("hive://metastore:9083", "sales.orders", fields=ORDERS_FIELDS)
    alias = make_dataset("s3://warehouse", "/sales.db/orders", canonical=orders)
    report = make_dataset("hive://metastore:9083", "sales.orders_report")
    ingest = make_job("spark", "ingest_orders")
    dag = make_job("airflow", "report")
    report_job = make_job("airflow", "report.build", parent=dag)
    make_reads(ingest, raw)
    make_writes(ingest, orders)
    make_reads(report_job, orders)
    make_writes(report_job, report)

    complete = make_run(
        ingest,
        run_id=COMPLETE_RUN_ID,
        state=Run.State.COMPLETE,
        started_at=SEEN_AT,
        ended_at=SEEN_AT + timedelta(minutes=2, seconds=5),
    )
    failed = make_run(
        ingest,
        run_id=FAILED_RUN_ID,
        state=Run.State.FAIL,
        started_at=SEEN_AT + timedelta(hours=1),
        ended_at=SEEN_AT + timedelta(hours=1, milliseconds=850),
    )
    make_run(
        ingest,
        run_id=RUNNING_RUN_ID,
        state=Run.State.RUNNING,
        started_at=SEEN_AT + timedelta(hours=2),
    )
    for run in (complete, failed):
        RunDataset.objects.create(
            run=run, dataset=raw, direction=Direction.INPUT, event_time=run.ended_at
        )
        RunDataset.objects.create(
            run=run,
            dataset=orders,
            direction=Direction.OUTPUT,
            schema_version=orders.current_schema,
            event_time=run.ended_at,
        )
    DatasetFacet.objects.create(
        dataset=orders,
        name="documentation",
        payload={"description": "One row per order & its customer"},
        event_time=SEEN_AT,
    )
    JobFacet.objects.create(
        job=ingest,
        name="sql",
        payload={"query": "SELECT * FROM raw WHERE total > 0"},
        event_time=SEEN_AT,
    )
    RunFacet.objects.create(
        run=failed,
        name="errorMessage",
        payload={"message": "Disk full", "programmingLanguage": "python"},
        event_time=SEEN_AT,
    )
    return {
        "raw": raw,
        "orders": orders,
        "alias": alias,
        "report": report,
        "ingest": ingest,
        "dag": dag,
        "report_job": report_job,
    }


@pytest.fixture
def reader(client, consumer):
    client.force_login(consumer)
    return client


PAGE_NAMES = [
    "lineage:namespace-list",
    "lineage:job-list",
    "lineage:dataset-list",
    "lineage:search",
    "lineage:graph",
]


@pytest.mark.parametrize("url_name", PAGE_NAMES)
def test_anonymous_redirected_to_login(client, db, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_anonymous_detail_pages_redirected(client, estate):
    urls = [
        reverse("lineage:dataset-detail", args=[estate["orders"].pk]),
        reverse("lineage:job-detail", args=[estate["ingest"].pk]),
        reverse("lineage:run-detail", args=[COMPLETE_RUN_ID]),
    ]
    for url in urls:
        response = client.get(url)

        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_login_form_logs_in_and_redirects(client, consumer):
    response = client.post(
        "/login/", {"username": "consumer", "password": "consumer-password-1"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/catalog/"
    assert client.get("/catalog/").status_code == 200


def test_login_page_labels_its_fields(client, db):
    content = client.get("/login/").content.decode()

    assert '<label class="form-label" for="id_username">Username</label>' in content
    assert '<label class="form-label" for="id_password">Password</label>' in content


def test_logout_is_a_post_form(reader, estate):
    content = reader.get("/").content.decode()

    assert (
        '<form class="d-flex align-items-center" action="/logout/" method="post">'
        in (content)
    )
    response = reader.post("/logout/")
    assert response.status_code == 302
    assert reader.get("/").status_code == 302


def test_pages_use_local_bootstrap_only(reader, estate):
    content = reader.get("/").content.decode()

    assert (
        '<link rel="stylesheet" href="/static/vendor/bootstrap/css/bootstrap.min.css">'
        in (content)
    )
    assert 'src="http' not in content
    assert 'href="http' not in content
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in content


def test_namespace_list_counts(reader, estate, django_assert_num_queries):
    with django_assert_num_queries(4):
        response = reader.get("/")

    assert response.status_code == 200
    assert table_rows(response)[1:] == [
        ["airflow", "2", "0", "2024-05-01 12:00"],
        ["hive://metastore:9083", "0", "2", "2024-05-01 12:00"],
        ["s3://lake", "0", "1", "2024-05-01 12:00"],
        ["s3://warehouse", "0", "1", "2024-05-01 12:00"],
        ["spark", "1", "0", "2024-05-01 12:00"],
    ]


def test_namespaces_path_serves_same_list(reader, estate):
    response = reader.get("/namespaces/")

    assert response.status_code == 200
    assert len(table_rows(response)) == 6


def test_namespace_list_query_count_is_flat(reader, estate, django_assert_num_queries):
    for index in range(30):
        make_job(f"extra-{index}", "job")

    with django_assert_num_queries(4):
        response = reader.get("/")

    assert len(table_rows(response)) == 36


def test_job_list_shows_latest_run_state(reader, estate, django_assert_num_queries):
    with django_assert_num_queries(5):
        response = reader.get("/jobs/")

    assert table_rows(response)[1:] == [
        ["airflow", "report", "no run yet", "2024-05-01 12:00"],
        ["airflow", "report.build", "no run yet", "2024-05-01 12:00"],
        ["spark", "ingest_orders", "RUNNING", "2024-05-01 12:00"],
    ]


def test_job_list_filters_by_namespace(reader, estate):
    namespace = estate["report_job"].namespace

    response = reader.get("/jobs/", {"namespace": namespace.pk})

    assert [row[1] for row in table_rows(response)[1:]] == ["report", "report.build"]
    assert f'<option value="{namespace.pk}" selected>airflow</option>' in (
        response.content.decode()
    )


def test_dataset_list_filters_by_namespace(reader, estate):
    namespace = estate["raw"].namespace

    response = reader.get("/datasets/", {"namespace": namespace.pk})

    assert [row[1] for row in table_rows(response)[1:]] == ["/raw/orders"]


def test_unknown_namespace_filter_is_ignored(reader, estate):
    response = reader.get("/jobs/", {"namespace": "999999"})

    assert len(table_rows(response)) == 4


def test_job_list_filters_by_latest_state(reader, estate):
    running = reader.get("/jobs/", {"state": "RUNNING"})
    failed = reader.get("/jobs/", {"state": "FAIL"})
    never_run = reader.get("/jobs/", {"state": "NONE"})

    assert [row[1] for row in table_rows(running)[1:]] == ["ingest_orders"]
    assert table_rows(failed)[1:] == [["No jobs match."]]
    assert [row[1] for row in table_rows(never_run)[1:]] == ["report", "report.build"]


def test_job_list_paginates(reader, db, django_assert_num_queries):
    for index in range(55):
        make_job("bulk", f"job-{index:02d}")

    with django_assert_num_queries(5):
        first = reader.get("/jobs/")
    second = reader.get("/jobs/", {"page": 2})

    assert len(table_rows(first)) == 51
    assert [row[1] for row in table_rows(second)[1:]] == [
        f"job-{index}" for index in range(50, 55)
    ]
    assert "Page 2 of 2" in second.content.decode()


def test_dataset_list_shows_alias_and_fields(reader, estate, django_assert_num_queries):
    with django_assert_num_queries(5):
        response = reader.get("/datasets/")

    assert table_rows(response)[1:] == [
        ["hive://metastore:9083", "sales.orders", "5", "2024-05-01 12:00"],
        ["hive://metastore:9083", "sales.orders_report", "—", "2024-05-01 12:00"],
        ["s3://lake", "/raw/orders", "—", "2024-05-01 12:00"],
        [
            "s3://warehouse",
            "/sales.db/orders alias of hive://metastore:9083:sales.orders",
            "—",
            "2024-05-01 12:00",
        ],
    ]


def test_dataset_list_filters_by_name(reader, estate):
    response = reader.get("/datasets/", {"q": "REPORT"})

    assert [row[1] for row in table_rows(response)[1:]] == ["sales.orders_report"]


def test_dataset_detail_shows_schema_tree(reader, estate, django_assert_num_queries):
    orders = estate["orders"]

    with django_assert_num_queries(8):
        response = reader.get(f"/datasets/{orders.pk}/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "<code>hive://metastore:9083</code>" in content
    assert "<code>sales.orders</code>" in content
    # Current schema and the one schema version list the same five fields.
    schema_rows = [row for row in table_rows(response) if len(row) == 3]
    assert schema_rows[:6] == [
        ["Field", "Type", "Description"],
        ["order_id", "bigint", "Primary key"],
        ["customer", "struct", ""],
        ["└nested level 1: email", "string", "Contact address"],
        ["└nested level 1: address", "struct", ""],
        ["└nested level 2: city", "string", ""],
    ]
    assert 'style="--depth: 2"' in content


def test_dataset_detail_shows_aliases_jobs_and_versions(reader, estate):
    orders = estate["orders"]

    response = reader.get(f"/datasets/{orders.pk}/")

    content = response.content.decode()
    alias_link = f'<a href="/datasets/{estate["alias"].pk}/">'
    assert alias_link + '<span class="text-body-secondary">s3://warehouse:</span>' in (
        content
    )
    producer = content.split('id="producers-heading"')[1].split("</section>")[0]
    consumer = content.split('id="consumers-heading"')[1].split("</section>")[0]
    assert f"/jobs/{estate['ingest'].pk}/" in producer
    assert "ingest_orders" in producer
    assert "report.build" in consumer
    versions = [row for row in table_rows(response) if len(row) == 5]
    fingerprint = orders.current_schema.fingerprint[:12] + "…"
    assert versions == [
        ["Written at", "Run", "Job", "State", "Schema version"],
        [
            "2024-05-01 13:00:00",
            str(FAILED_RUN_ID),
            "spark:ingest_orders",
            "FAIL",
            fingerprint,
        ],
        [
            "2024-05-01 12:02:05",
            str(COMPLETE_RUN_ID),
            "spark:ingest_orders",
            "COMPLETE",
            fingerprint,
        ],
    ]


def test_dataset_detail_shows_facets_as_json(reader, estate):
    response = reader.get(f"/datasets/{estate['orders'].pk}/")

    content = response.content.decode()
    assert "<summary><code>documentation</code>" in content
    assert (
        '<pre class="facet-json"><code>{\n  &quot;description&quot;: '
        "&quot;One row per order &amp; its customer&quot;\n}</code></pre>"
    ) in content


def test_dataset_detail_links_to_graph(reader, estate):
    response = reader.get(f"/datasets/{estate['orders'].pk}/")

    assert (
        '<a class="btn btn-primary" href="/lineage/?nodeId='
        'dataset%3Ahive%3A%2F%2Fmetastore%3A9083%3Asales.orders">Lineage graph</a>'
    ) in response.content.decode()


def test_alias_page_names_its_canonical(reader, estate):
    response = reader.get(f"/datasets/{estate['alias'].pk}/")

    facts = response.content.decode().split('<dl class="row facts')[1]
    assert "Alias of" in facts
    assert f'<a href="/datasets/{estate["orders"].pk}/">' in facts


def test_job_detail_shows_runs_with_durations(
    reader, estate, django_assert_num_queries
):
    ingest = estate["ingest"]

    with django_assert_num_queries(7):
        response = reader.get(f"/jobs/{ingest.pk}/")

    runs = [row for row in table_rows(response) if len(row) == 5]
    assert runs == [
        ["Run", "State", "Started", "Ended", "Duration"],
        [str(RUNNING_RUN_ID), "RUNNING", "2024-05-01 14:00:00", "—", "—"],
        [
            str(FAILED_RUN_ID),
            "FAIL",
            "2024-05-01 13:00:00",
            "2024-05-01 13:00:00",
            "850 ms",
        ],
        [
            str(COMPLETE_RUN_ID),
            "COMPLETE",
            "2024-05-01 12:00:00",
            "2024-05-01 12:02:05",
            "2 min 5 s",
        ],
    ]
    content = response.content.decode()
    assert '<span class="badge text-bg-danger">FAIL</span>' in content
    assert '<span class="badge text-bg-success">COMPLETE</span>' in content


def test_job_detail_shows_inputs_outputs_and_facets(reader, estate):
    response = reader.get(f"/jobs/{estate['ingest'].pk}/")

    content = response.content.decode()
    inputs = content.split('id="inputs-heading"')[1].split("</section>")[0]
    outputs = content.split('id="outputs-heading"')[1].split("</section>")[0]
    assert "/raw/orders" in inputs
    assert "sales.orders" not in inputs
    assert "sales.orders" in outputs
    assert "<summary><code>sql</code>" in content
    assert "&quot;SELECT * FROM raw WHERE total &gt; 0&quot;" in content
    assert "?nodeId=job%3Aspark%3Aingest_orders" in content


def test_job_detail_shows_parent_job(reader, estate):
    response = reader.get(f"/jobs/{estate['report_job'].pk}/")

    content = response.content.decode()
    parent = content.split("Parent job</dt>")[1].split("</dd>")[0]
    assert parent == (
        '\n  <dd class="col-sm-9 col-lg-10 text-break">'
        f'<a href="/jobs/{estate["dag"].pk}/">'
        '<span class="text-body-secondary">airflow:</span>report</a>\n'
    )


def test_dag_page_lists_child_jobs(reader, estate):
    response = reader.get(f"/jobs/{estate['dag'].pk}/")

    assert "Child jobs" in response.content.decode()
    assert f"/jobs/{estate['report_job'].pk}/" in response.content.decode()


def test_run_detail_shows_state_datasets_and_facets(
    reader, estate, django_assert_num_queries
):
    for state, offset in (("START", 0), ("FAIL", 850)):
        Event.objects.create(
            event_hash=f"{state:0<64}",
            event_type=Event.Type.RUN,
            run_state=state,
            event_time=SEEN_AT + timedelta(hours=1, milliseconds=offset),
            run_id=FAILED_RUN_ID,
            producer="https://example.com/spark-listener",
            payload={},
        )

    with django_assert_num_queries(7):
        response = reader.get(f"/runs/{FAILED_RUN_ID}/")

    content = response.content.decode()
    assert response.status_code == 200
    assert '<span class="badge text-bg-danger">FAIL</span>' in content
    assert '<dd class="col-sm-9 col-lg-10">850 ms</dd>' in content
    inputs = content.split('id="inputs-heading"')[1].split("</section>")[0]
    outputs = content.split('id="outputs-heading"')[1].split("</section>")[0]
    assert "/raw/orders" in inputs
    assert "sales.orders" in outputs
    assert "&quot;message&quot;: &quot;Disk full&quot;" in content
    events = [row[:4] for row in table_rows(response) if len(row) == 5]
    assert events == [
        ["Event time", "Type", "State", "Producer"],
        [
            "2024-05-01 13:00:00",
            "RunEvent",
            "START",
            "https://example.com/spark-listener",
        ],
        [
            "2024-05-01 13:00:00",
            "RunEvent",
            "FAIL",
            "https://example.com/spark-listener",
        ],
    ]


@pytest.mark.parametrize(
    "path", ["/datasets/999999/", "/jobs/999999/", f"/runs/{uuid.uuid4()}/"]
)
def test_unknown_pk_is_404(reader, estate, path):
    assert reader.get(path).status_code == 404


def test_search_finds_jobs_and_datasets(reader, estate):
    response = reader.get("/search/", {"q": "orders"})

    content = response.content.decode()
    jobs = content.split('id="job-results"')[1].split("</section>")[0]
    datasets = content.split('id="dataset-results"')[1].split("</section>")[0]
    assert "ingest_orders" in jobs
    assert "report.build" not in jobs
    for name in ("/raw/orders", "sales.orders", "sales.orders_report"):
        assert name in datasets


def test_graph_page_passes_node_to_script(reader, estate):
    response = reader.get(
        "/lineage/",
        {"nodeId": "job:spark:ingest_orders", "depth": "2", "direction": "upstream"},
    )

    content = response.content.decode()
    assert (
        'data-api-url="/api/v1/lineage" data-node-id="job:spark:ingest_orders" '
        'data-depth="2" data-direction="upstream"'
    ) in content
    assert '<option value="2" selected>2</option>' in content
    assert '<option value="upstream" selected>Upstream only</option>' in content
    assert '<script src="/static/lineage/graph.js"></script>' in content


def test_graph_page_ignores_bad_direction(reader, estate):
    response = reader.get(
        "/lineage/", {"nodeId": "job:spark:ingest_orders", "direction": "x"}
    )

    assert 'data-depth="3" data-direction="both"' in response.content.decode()


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (
            "/lineage/",
            {"nodeId": "job:spark:ingest_orders", "depth": "\u00b2"},
            "Invalid depth '²': expected a whole number from 1 to 20.",
        ),
        (
            "/lineage/",
            {"nodeId": "job:spark:ingest_orders", "depth": "-4"},
            "Invalid depth '-4': expected a whole number from 1 to 20.",
        ),
        (
            "/lineage/",
            {"nodeId": "job:spark:ingest_orders", "depth": "21"},
            "Invalid depth '21': expected a whole number from 1 to 20.",
        ),
        (
            "/lineage/",
            {"nodeId": "job:spark:ingest_orders", "depth": "0"},
            "Invalid depth '0': expected a whole number from 1 to 20.",
        ),
        (
            "/jobs/",
            {"page": "\u0663"},
            "Invalid page '٣': expected a whole number from 1 to 1000000000.",
        ),
        (
            "/datasets/",
            {"page": "9" * 5000},
            f"Invalid page {'9' * 100!r}: expected a whole number from 1 to "
            "1000000000.",
        ),
        (
            "/datasets/",
            {"namespace": "x1"},
            "Invalid namespace 'x1': expected a whole number from 1 to "
            "9223372036854775807.",
        ),
        (
            "/",
            {"page": "0"},
            "Invalid page '0': expected a whole number from 1 to 1000000000.",
        ),
    ],
)
def test_bad_number_in_query_is_400(reader, estate, path, params, message):
    response = reader.get(path, params)

    assert response.status_code == 400
    assert alert_text(response) == message


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/lineage/", {"nodeId": "job:a\x00:x"}),
        ("/search/", {"q": "\x00"}),
        ("/jobs/", {"q": "\x00"}),
        ("/datasets/", {"q": "\x00"}),
    ],
)
def test_nul_in_query_is_400(reader, estate, path, params):
    response = reader.get(path, params)

    assert response.status_code == 400


def test_graph_page_decoded_nul_rejected(reader, estate):
    response = reader.get("/lineage/", {"nodeId": "job:a%00:x"})

    assert response.status_code == 400
    assert (
        "Invalid node id: it contains a NUL character, which no name can hold."
        in response.content.decode()
    )


@pytest.mark.parametrize("name", [" sp ", "\u2028ds\u2029"])
def test_graph_link_reaches_name_with_outer_whitespace(reader, db, name):
    dataset = make_dataset("brk", name)
    make_writes(make_job("brk", "writer"), dataset)

    detail = reader.get(f"/datasets/{dataset.pk}/").content.decode()
    link = detail.split('class="btn btn-primary" href="')[1].split('"')[0]
    response = reader.get(link.replace("&amp;", "&"))

    assert response.status_code == 200
    listing = response.content.decode().split("<div data-graph-list>")[1]
    assert f"/datasets/{dataset.pk}/" in listing
    assert "/jobs/" in listing


@pytest.mark.parametrize("name", [" sp ", "\u2028ds\u2029"])
def test_dataset_search_keeps_outer_whitespace(reader, db, name):
    exact = make_dataset("brk", name)
    plain = make_dataset("brk", name.strip())

    content = reader.get("/datasets/", {"q": name}).content.decode()

    assert f"/datasets/{exact.pk}/" in content
    assert f"/datasets/{plain.pk}/" not in content


def test_dataset_page_caps_schema_and_facet(reader, db):
    fields = [{"name": f"f{index:04}", "type": "int"} for index in range(501)]
    dataset = make_dataset("brk", "wide", fields=fields)
    DatasetFacet.objects.create(
        dataset=dataset,
        name="columnLineage",
        payload={"fields": {"x" * 30_000: {}}},
        event_time=SEEN_AT,
    )

    content = reader.get(f"/datasets/{dataset.pk}/").content.decode()

    assert "<code>f0499</code>" in content
    assert "<code>f0500</code>" not in content
    assert "1 more fields not shown. The API returns the whole schema." in content
    assert "x" * 20_000 not in content
    assert (
        "10032 more characters not shown. The API returns the whole facet." in content
    )


def test_graph_page_without_node_asks_for_one(reader, db):
    response = reader.get("/lineage/")

    content = response.content.decode()
    assert "Enter a node id, or open the graph from a dataset or job page." in content
    assert "graph.js" not in content


def test_graph_page_lists_nodes_as_text(reader, estate, django_assert_num_queries):
    orders = estate["orders"]

    with django_assert_num_queries(8):
        response = reader.get(
            "/lineage/", {"nodeId": "dataset:hive://metastore:9083:sales.orders"}
        )

    content = response.content.decode()
    listing = content.split("<div data-graph-list>")[1].split("</section>")[0]
    headings = [line.strip() for line in listing.splitlines() if "<h3" in line]
    assert headings == [
        '<h3 class="h6 mt-3">Selected node (1)</h3>',
        '<h3 class="h6 mt-3">Upstream (2)</h3>',
        '<h3 class="h6 mt-3">Downstream (2)</h3>',
    ]
    assert (
        f'<a href="/datasets/{orders.pk}/">hive://metastore:9083:sales.orders</a>'
    ) in listing
    assert (
        f'<a href="/jobs/{estate["ingest"].pk}/">spark:ingest_orders</a>'
        " (latest run RUNNING)"
    ) in listing
    assert f'<a href="/datasets/{estate["raw"].pk}/">s3://lake:/raw/orders</a>' in (
        listing
    )
    assert "sales.orders_report</a>" in listing


def test_graph_page_unknown_node_is_404(reader, estate):
    response = reader.get("/lineage/", {"nodeId": "dataset:nowhere:nothing"})

    content = response.content.decode()
    assert response.status_code == 404
    assert (
        "Node dataset:nowhere:nothing not found: no dataset or job has that "
        "namespace and name."
    ) in content
    assert "graph.js" not in content


def test_graph_page_malformed_node_is_400(reader, estate):
    response = reader.get("/lineage/", {"nodeId": "table:orders"})

    assert response.status_code == 400
    assert "graph.js" not in response.content.decode()


def test_search_query_count_is_flat(reader, estate, django_assert_num_queries):
    for index in range(20):
        make_dataset("bulk", f"orders_copy_{index}")

    with django_assert_num_queries(4):
        response = reader.get("/search/", {"q": "orders"})

    assert response.content.decode().count('<a href="/datasets/') == 24


def test_job_page_lists_first_inputs_with_count(reader, db):
    job = make_job("brk", "wide")
    make_reads(job, *[make_dataset("brk", f"in{index:03}") for index in range(102)])

    content = reader.get(f"/jobs/{job.pk}/").content.decode()

    inputs = content.split('id="inputs-heading"')[1].split("</section>")[0]
    assert ">in099<" in inputs
    assert ">in100<" not in inputs
    assert "2 more not shown." in inputs
