"""The product page and its "Request access" action, for each persona."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import (
    ContractViolation,
    DataContract,
    DataProduct,
    Feature,
    Notification,
    Ownership,
    SlaPeriod,
    SlaStatus,
)
from catalog.services import output_port_add, ownership_add
from catalog.sla import service_level_set
from tests.catalog.pages import messages_of, section, table, text
from tests.catalog_factories import make_domain, make_product
from tests.factories import make_dataset, make_job, make_reads, make_writes

Lifecycle = DataProduct.Lifecycle
Classification = DataProduct.Classification
SENT = "Your request was sent to the product's owners and stewards."


def _publish(product, namespace: str, name: str, *, fields=None):
    dataset = make_dataset(namespace, name, fields=fields)
    output_port_add(product=product, dataset=dataset)
    return dataset


def _feeds(source, target, job_name: str) -> None:
    """A job reads `source` and writes `target`."""
    job = make_job("airflow", job_name)
    make_reads(job, source)
    make_writes(job, target)


@pytest.fixture
def orders(owner, steward):
    return make_product(
        "Orders",
        owner=owner,
        stewards=[steward],
        domain=make_domain("Sales"),
        description="One row per **order**.",
        tags=["daily", "sales"],
        contains_personal_data=True,
    )


@pytest.fixture
def lineage(owner, orders):
    """raw products -> Orders -> Revenue, with a restricted input too."""
    customers = make_product("Customers", owner=owner)
    secret = make_product(
        "Secret input", owner=owner, classification=Classification.RESTRICTED
    )
    revenue = make_product("Revenue", owner=owner)
    orders_table = _publish(orders, "warehouse", "sales.orders")
    _feeds(_publish(customers, "warehouse", "crm.customers"), orders_table, "build")
    _feeds(_publish(secret, "warehouse", "hr.salaries"), orders_table, "build2")
    _feeds(orders_table, _publish(revenue, "warehouse", "finance.revenue"), "sum")
    return {"customers": customers, "secret": secret, "revenue": revenue}


def test_page_shows_header_and_description(client, consumer, orders):
    client.force_login(consumer)

    response = client.get("/catalog/products/orders/")

    assert response.status_code == 200
    facts = response.content.decode().split('aria-label="Product facts">')[1]
    assert text(facts.split("</ul>")[0]) == (
        "Domain: Sales Published Internal Contains personal data #daily #sales"
    )
    assert "<p>One row per <strong>order</strong>.</p>" in response.content.decode()


def test_description_markdown_is_sanitised(client, consumer, owner):
    make_product(
        "Hostile",
        owner=owner,
        description="<script>alert(1)</script> [click](javascript:alert(2)) <b>x</b>",
    )
    client.force_login(consumer)

    content = client.get("/catalog/products/hostile/").content.decode()

    description = content.split('class="product-description text-break">')[1]
    description = description.split("</div>")[0]
    assert "<script>" not in description
    assert 'href="javascript:' not in description
    assert "<b>" not in description
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in description


def test_hostile_name_shows_as_text(client, consumer, owner):
    make_product("<script>alert(1)</script>", owner=owner, slug="hostile")
    client.force_login(consumer)

    content = client.get("/catalog/products/hostile/").content.decode()

    assert "<script>alert(1)</script>" not in content
    assert (
        '<h1 class="h3 me-auto text-break">&lt;script&gt;alert(1)&lt;/script&gt;'
        in (content)
    )


def test_owners_listed_by_role(client, consumer, orders, owner):
    from django.contrib.auth.models import Group

    ops = Group.objects.create(name="Ops <team>")
    ownership_add(product=orders, role=Ownership.Role.TECHNICAL_CONTACT, group=ops)
    client.force_login(consumer)

    response = client.get("/catalog/products/orders/")

    owners = text(section(response, "owners-heading"))
    assert owners == (
        "Owners Owner owner Steward steward Technical contact Ops <team> (group)"
    )
    assert "Ops &lt;team&gt;" in response.content.decode()


@pytest.mark.parametrize(
    "persona, can_edit, can_request",
    [
        ("owner", True, False),
        ("steward", True, False),
        ("consumer", False, True),
        ("auditor", False, True),
        ("admin_user", True, False),
    ],
)
def test_controls_follow_roles(client, orders, request, persona, can_edit, can_request):
    client.force_login(request.getfixturevalue(persona))

    response = client.get("/catalog/products/orders/")

    content = response.content.decode()
    assert ('href="/catalog/products/orders/edit"' in content) is can_edit
    assert ('action="/catalog/products/orders/request-access"' in content) is (
        can_request
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"lifecycle": Lifecycle.DRAFT},
        {"classification": Classification.RESTRICTED},
    ],
)
def test_hidden_product_is_404(client, consumer, owner, fields):
    make_product("Hidden", owner=owner, **fields)
    client.force_login(consumer)

    assert client.get("/catalog/products/hidden/").status_code == 404
    assert client.get("/catalog/products/hidden/edit").status_code == 404


def test_auditor_sees_restricted_product(client, auditor, owner):
    make_product("Hidden", owner=owner, classification=Classification.RESTRICTED)
    client.force_login(auditor)

    assert client.get("/catalog/products/hidden/").status_code == 200


def test_sla_targets_status_and_attainment(client, consumer, orders):
    service_level_set(
        product=orders,
        freshness=timedelta(hours=26),
        schedule="0 6 * * *",
        availability_target=Decimal("99.5"),
    )
    now = timezone.now()
    SlaPeriod.objects.create(
        product=orders,
        status=SlaStatus.MET,
        started_at=now - timedelta(days=2),
        ended_at=now - timedelta(days=1),
    )
    SlaPeriod.objects.create(
        product=orders,
        status=SlaStatus.BREACHED,
        started_at=now - timedelta(days=1),
        detail="sales.orders is 30 hours old.",
    )
    client.force_login(consumer)

    response = client.get("/catalog/products/orders/")

    sla = text(section(response, "sla-heading"))
    assert "Freshness 1 d 2 h" in sla
    assert "Schedule (UTC) 0 6 * * *" in sla
    assert "Availability target 99.50%" in sla
    assert "Current status: breached since" in sla
    assert "sales.orders is 30 hours old." in sla
    attainment = text(section(response, "attainment-heading"))
    assert "50.0 % of the time within the SLA; the target is 99.50 %." in attainment
    assert len(response.context["trust"].attainment) == 30


def test_page_without_sla_says_so(client, consumer, orders):
    client.force_login(consumer)

    response = client.get("/catalog/products/orders/")

    sla = text(section(response, "sla-heading"))
    assert "No service level is set for this product." in sla
    assert "Current status: not evaluated" in sla
    attainment = text(section(response, "attainment-heading"))
    assert "No SLA status known in this window." in attainment


def test_ports_show_contract_and_open_violations(client, consumer, orders):
    fields = [{"name": "id", "type": "bigint"}, {"name": "total", "type": "decimal"}]
    dataset = _publish(orders, "warehouse", "sales.orders", fields=fields)
    port = orders.output_ports.get()
    for version in ("1.0.0", "1.2.0", "1.10.0"):
        contract = DataContract.objects.create(
            port=port,
            version=version,
            version_major=1,
            version_minor=int(version.split(".")[1]),
            version_patch=0,
            fields=fields,
        )
    ContractViolation.objects.create(
        contract=contract,
        schema_version=dataset.current_schema,
        kind=ContractViolation.Kind.TYPE_CHANGED,
        field_path="total",
        expected="decimal",
        actual="string",
        detected_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
    )
    ContractViolation.objects.create(
        contract=contract,
        schema_version=dataset.current_schema,
        kind=ContractViolation.Kind.FIELD_REMOVED,
        field_path="gone",
        detected_at=datetime(2026, 2, 1, 8, 0, tzinfo=UTC),
        resolved_at=datetime(2026, 2, 2, 8, 0, tzinfo=UTC),
    )
    client.force_login(consumer)

    response = client.get("/catalog/products/orders/")

    ports = table(
        response, "Datasets this product publishes, with their current contract"
    )
    assert ports == [
        ["warehouse:sales.orders", "—", "v1.10.0 (Forward, 2 fields)", "1"]
    ]
    contract_section = text(section(response, f"contract-{contract.port_id}"))
    expected_violation = (
        "1 open violation Type changed at total : expected decimal , actual "
        "string , in a schema of warehouse:sales.orders"
    )
    assert expected_violation in contract_section
    assert "gone" not in contract_section
    assert f'href="/datasets/{dataset.pk}/"' in response.content.decode()


def test_lineage_shows_visible_inputs_and_consumers(client, consumer, orders, lineage):
    client.force_login(consumer)

    response = client.get("/catalog/products/orders/")

    assert [p.name for p in response.context["input_products"]] == ["Customers"]
    assert [p.name for p in response.context["consumer_products"]] == ["Revenue"]
    graph = response.context["graph"]
    assert [(n.label, n.side) for n in graph.nodes] == [
        ("Customers", "input"),
        ("Orders", "product"),
        ("Revenue", "consumer"),
    ]
    assert len(graph.edges) == 2
    content = response.content.decode()
    assert "Secret input" not in content
    link = '<a class="product-graph-node product-graph-input" href="{}">'
    assert link.format("/catalog/products/customers/") in content


def test_lineage_shows_restricted_input_to_its_owner(client, owner, orders, lineage):
    client.force_login(owner)

    response = client.get("/catalog/products/orders/")

    names = [p.name for p in response.context["input_products"]]
    assert names == ["Customers", "Secret input"]


def test_features_listed(client, consumer, orders):
    source = make_dataset("warehouse", "sales.orders")
    Feature.objects.create(
        product=orders,
        name="order_total_7d",
        entity="customer",
        join_keys=["customer_id"],
        value_type=Feature.ValueType.FLOAT64,
        source_dataset=source,
        source_column="total",
        freshness=timedelta(hours=1),
    )
    client.force_login(consumer)

    response = client.get("/catalog/products/orders/")

    features = table(response, "ML features this product serves")
    assert features == [
        [
            "order_total_7d",
            "customer",
            "customer_id",
            "Float64",
            "warehouse:sales.orders column total",
            "1 h",
        ]
    ]


def _grow(product, owner, count: int, start: int) -> None:
    """Give the product `count` more owners, ports, features and consumers."""
    users = get_user_model().objects
    for index in range(start, start + count):
        user = users.create_user(f"co-owner-{index}")
        ownership_add(product=product, role=Ownership.Role.OWNER, user=user)
        port_dataset = _publish(product, "warehouse", f"sales.part_{index}")
        consumer_product = make_product(f"Consumer {index}", owner=owner)
        target = _publish(consumer_product, "warehouse", f"derived.part_{index}")
        _feeds(port_dataset, target, f"derive_{index}")
        Feature.objects.create(
            product=product,
            name=f"feature_{index}",
            entity="customer",
            value_type=Feature.ValueType.INT64,
        )


def test_query_count_is_flat(
    client, consumer, orders, owner, django_assert_num_queries
):
    """Flat whether the page's shared sections are drawn or read from the cache
    (tests/catalog/test_page_cache.py)."""
    client.force_login(consumer)
    _grow(orders, owner, 1, start=0)
    with django_assert_num_queries(23):
        client.get("/catalog/products/orders/")

    _grow(orders, owner, 15, start=1)
    with django_assert_num_queries(23):
        response = client.get("/catalog/products/orders/")
    with django_assert_num_queries(7):
        client.get("/catalog/products/orders/")

    assert len(response.context["consumer_products"]) == 16
    ports = table(
        response, "Datasets this product publishes, with their current contract"
    )
    assert len(ports) == 16


def test_request_access_notifies_managers_once(client, consumer, orders):
    client.force_login(consumer)

    first = client.post(
        "/catalog/products/orders/request-access",
        {"reason": "Quarterly revenue report."},
        follow=True,
    )
    again = client.post(
        "/catalog/products/orders/request-access",
        {"reason": "Asking again."},
        follow=True,
    )

    assert messages_of(first) == [SENT]
    assert messages_of(again) == [
        "You already requested access to this product today: its owners and "
        "stewards have your request."
    ]
    notifications = Notification.objects.order_by("recipient__username")
    assert [n.recipient.username for n in notifications] == ["owner", "steward"]
    for notification in notifications:
        assert notification.kind == Notification.Kind.ACCESS_REQUEST
        assert notification.product == orders
        assert notification.subject == "consumer requests access to Orders"
        assert notification.body == (
            "consumer requests access to the data product Orders.\n\n"
            "Reason: Quarterly revenue report."
        )


def test_request_access_needs_a_reason(client, consumer, orders):
    client.force_login(consumer)

    response = client.post("/catalog/products/orders/request-access", {"reason": " "})

    assert response.status_code == 400
    assert response.context["access_form"].errors == {
        "reason": ["Say why you need access."]
    }
    assert Notification.objects.count() == 0


def test_request_access_to_hidden_product_is_404(client, consumer, owner):
    make_product("Hidden", owner=owner, lifecycle=Lifecycle.DRAFT)
    client.force_login(consumer)

    response = client.post(
        "/catalog/products/hidden/request-access", {"reason": "Please."}
    )

    assert response.status_code == 404
    assert Notification.objects.count() == 0


def test_manager_cannot_request_access(client, steward, orders):
    client.force_login(steward)

    response = client.post(
        "/catalog/products/orders/request-access", {"reason": "Me?"}, follow=True
    )

    assert messages_of(response) == ["You already manage this product."]
    assert Notification.objects.count() == 0


def test_request_access_needs_post(client, consumer, orders):
    client.force_login(consumer)

    assert client.get("/catalog/products/orders/request-access").status_code == 405


def test_graph_escapes_hostile_names(client, consumer, owner, orders):
    hostile = make_product(
        "</text><script>alert(1)</script>", owner=owner, slug="hostile"
    )
    orders_table = _publish(orders, "warehouse", "sales.orders")
    _feeds(_publish(hostile, "warehouse", "evil.table"), orders_table, "build")
    client.force_login(consumer)

    response = client.get("/catalog/products/orders/")

    graph = section(response, "lineage-heading").split("</svg>")[0]
    assert "<script>" not in graph
    assert "&lt;/text&gt;&lt;script&gt;alert(1)&lt;/…</text>" in graph
    assert "<title>&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt; (Finance)" in (
        graph
    )
