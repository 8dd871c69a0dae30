"""Contract violations computed from the OpenLineage events a pipeline sends."""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.contracts import contract_create, contracts_check_ports
from catalog.models import ContractViolation, Notification
from lineage.models import SchemaVersion
from tests.catalog.contract_helpers import (
    LAKE,
    ORDERS,
    ORDERS_CONTRACT,
    ORDERS_SCHEMA,
    contracted_port,
    send_schema,
)

pytestmark = pytest.mark.django_db


def without(fields: list, name: str) -> list:
    return [field for field in fields if field["name"] != name]


def broken_schema() -> list:
    """The orders schema without `amount`, with `id` as a string and without
    the customer's city."""
    fields = copy.deepcopy(without(ORDERS_SCHEMA, "amount"))
    fields[0]["type"] = "string"
    fields[1]["fields"] = [{"name": "name", "type": "string"}]
    return fields


def open_violations(port) -> list[tuple]:
    return sorted(
        ContractViolation.objects.filter(
            contract__port=port, resolved_at__isnull=True
        ).values_list("kind", "field_path", "expected", "actual")
    )


def test_matching_schema_records_no_violation(owner):
    port = contracted_port(owner)

    send_schema(ORDERS_SCHEMA, minutes=1)
    contracts_check_ports(port_ids=[port.pk])

    assert not ContractViolation.objects.exists()


def test_broken_schema_recorded_as_violations(owner):
    port = contracted_port(owner)

    send_schema(broken_schema(), minutes=1)
    contracts_check_ports(port_ids=[port.pk])

    assert open_violations(port) == [
        ("field_removed", "amount", "decimal(10,2)", ""),
        ("field_removed", "customer.city", "string", ""),
        ("type_changed", "id", "bigint", "string"),
    ]
    violation = ContractViolation.objects.get(field_path="amount")
    assert violation.contract.version == "1.0.0"
    assert violation.schema_version.dataset.name == ORDERS


def test_check_twice_writes_nothing(owner, steward):
    port = contracted_port(owner, stewards=[steward])
    send_schema(broken_schema(), minutes=1)
    contracts_check_ports(port_ids=[port.pk])
    before = list(ContractViolation.objects.values_list("pk", "resolved_at"))

    contracts_check_ports(port_ids=[port.pk])

    assert list(ContractViolation.objects.values_list("pk", "resolved_at")) == before
    assert Notification.objects.count() == 2


def test_violation_notifies_owner_and_steward_once(owner, steward, consumer):
    port = contracted_port(owner, stewards=[steward])

    send_schema(broken_schema(), minutes=1)
    contracts_check_ports(port_ids=[port.pk])
    contracts_check_ports(port_ids=[port.pk])

    notifications = Notification.objects.order_by("recipient__username")
    assert [n.recipient for n in notifications] == [owner, steward]
    port.dataset.refresh_from_db()
    schema = port.dataset.current_schema
    contract = port.contracts.get()
    for notification in notifications:
        assert notification.kind == Notification.Kind.CONTRACT_VIOLATION
        assert notification.product == port.product
        assert notification.dedupe_key == (
            f"contract-violation:{contract.pk}:{schema.pk}"
        )
        assert notification.subject == (
            f"Contract 1.0.0 of Orders broken by {LAKE}:{ORDERS}"
        )
        assert notification.body == (
            f"A schema sent for {LAKE}:{ORDERS} breaks version 1.0.0 of the "
            f"contract of output port {LAKE}:{ORDERS} (3 breaking changes): "
            "type changed at id (expected bigint, actual string); field removed "
            "at amount (expected decimal(10,2), actual none); field removed at "
            "customer.city (expected string, actual none)."
        )


def test_fixed_schema_resolves_violations(owner):
    port = contracted_port(owner)
    send_schema(broken_schema(), minutes=1)
    contracts_check_ports(port_ids=[port.pk])

    send_schema(ORDERS_SCHEMA, minutes=2)
    contracts_check_ports(port_ids=[port.pk])

    assert open_violations(port) == []
    assert ContractViolation.objects.filter(resolved_at__isnull=False).count() == 3


def test_partly_fixed_schema_keeps_what_still_breaks(owner):
    port = contracted_port(owner)
    send_schema(broken_schema(), minutes=1)
    contracts_check_ports(port_ids=[port.pk])

    send_schema(without(ORDERS_SCHEMA, "amount"), minutes=2)
    contracts_check_ports(port_ids=[port.pk])

    # Each schema version that still breaks the contract keeps its violation.
    assert open_violations(port) == [
        ("field_removed", "amount", "decimal(10,2)", ""),
        ("field_removed", "amount", "decimal(10,2)", ""),
    ]
    assert ContractViolation.objects.filter(resolved_at__isnull=False).count() == 2


def test_reverted_schema_reopens_violations(owner, steward):
    port = contracted_port(owner, stewards=[steward])
    send_schema(broken_schema(), minutes=1)
    contracts_check_ports(port_ids=[port.pk])
    send_schema(ORDERS_SCHEMA, minutes=2)
    contracts_check_ports(port_ids=[port.pk])

    send_schema(broken_schema(), minutes=3)
    contracts_check_ports(port_ids=[port.pk])

    assert len(open_violations(port)) == 3
    assert ContractViolation.objects.count() == 3
    # The same schema version was notified about already.
    assert Notification.objects.count() == 2


def test_schema_fixed_before_check_notifies_nobody(owner):
    port = contracted_port(owner)

    send_schema(broken_schema(), minutes=1)
    send_schema(ORDERS_SCHEMA, minutes=2)
    contracts_check_ports(port_ids=[port.pk])

    assert ContractViolation.objects.count() == 3
    assert open_violations(port) == []
    assert not Notification.objects.exists()


def test_unknown_nullability_is_no_violation(owner):
    port = contracted_port(owner)
    # The contract marks id as not nullable. OpenLineage's facet has no
    # nullability.
    send_schema(ORDERS_SCHEMA, minutes=1)
    contracts_check_ports(port_ids=[port.pk])

    assert not ContractViolation.objects.exists()


def test_sent_nullable_field_loosens_the_contract(owner):
    port = contracted_port(owner)
    fields = copy.deepcopy(ORDERS_SCHEMA)
    fields[0]["nullable"] = True

    send_schema(fields, minutes=1)
    contracts_check_ports(port_ids=[port.pk])

    assert open_violations(port) == [
        ("nullability_loosened", "id", "not nullable", "nullable")
    ]


def test_alias_schema_checked_against_contract(owner):
    port = contracted_port(owner)

    # The same table under a path that the symlinks facet ties to it.
    send_schema(
        without(ORDERS_SCHEMA, "amount"),
        minutes=1,
        namespace="hdfs://warehouse",
        name="/user/hive/orders_daily",
        symlink=(LAKE, ORDERS),
    )
    contracts_check_ports(port_ids=[port.pk])

    violation = ContractViolation.objects.get()
    assert violation.field_path == "amount"
    assert violation.schema_version.dataset.name == "/user/hive/orders_daily"
    assert violation.schema_version.dataset.canonical_id == port.dataset_id


def test_schema_seen_before_contract_not_checked(owner):
    send_schema(without(ORDERS_SCHEMA, "amount"), minutes=-60)
    port = contracted_port(owner)

    # Only the current schema, which is fine, is checked.
    assert not ContractViolation.objects.exists()
    assert SchemaVersion.objects.count() == 2
    assert port.contracts.count() == 1


def test_new_contract_checks_current_schema(owner):
    port = contracted_port(owner, written=without(ORDERS_SCHEMA, "amount"))

    assert open_violations(port) == [("field_removed", "amount", "decimal(10,2)", "")]


def test_new_contract_version_resolves_old_violations(owner):
    port = contracted_port(owner)
    send_schema(without(ORDERS_SCHEMA, "amount"), minutes=1)
    contracts_check_ports(port_ids=[port.pk])

    contract_create(
        port=port,
        version="2.0.0",
        fields=without(ORDERS_CONTRACT, "amount"),
        created_by=owner,
    )

    assert open_violations(port) == []
    resolved = ContractViolation.objects.get()
    assert resolved.contract.version == "1.0.0"
    assert resolved.resolved_at is not None


def test_ingested_through_http_api(client, owner, pipeline_key):
    from tests.catalog.contract_helpers import schema_event

    port = contracted_port(owner)

    response = client.post(
        "/api/v1/lineage",
        data=schema_event(without(ORDERS_SCHEMA, "amount"), minutes=1),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {pipeline_key}",
    )
    contracts_check_ports(port_ids=[port.pk])

    assert response.status_code == 201
    assert open_violations(port) == [("field_removed", "amount", "decimal(10,2)", "")]


def test_check_queries_do_not_grow_with_schemas(owner, steward):
    port = contracted_port(owner, stewards=[steward])
    send_schema(broken_schema(), minutes=1)
    with CaptureQueriesContext(connection) as few:
        contracts_check_ports(port_ids=[port.pk])
    for minute in range(2, 8):
        fields = broken_schema()
        fields.append({"name": f"extra_{minute}", "type": "int"})
        send_schema(fields, minutes=minute)

    with CaptureQueriesContext(connection) as many:
        contracts_check_ports(port_ids=[port.pk])

    assert len(many) <= len(few)
    assert ContractViolation.objects.count() == 3 * 7


def test_check_of_port_without_contract_writes_nothing(owner):
    from catalog import services
    from lineage.models import Dataset
    from tests.catalog_factories import make_product

    send_schema(ORDERS_SCHEMA)
    product = make_product("Orders", owner=owner)
    dataset = Dataset.objects.get(name=ORDERS)
    port = services.output_port_add(product=product, dataset=dataset)

    contracts_check_ports(port_ids=[port.pk])

    assert not ContractViolation.objects.exists()


def test_ports_changed_task_checks_contracts(owner):
    from catalog.tasks import ports_changed

    port = contracted_port(owner)
    send_schema(without(ORDERS_SCHEMA, "amount"), minutes=1)

    ports_changed([port.pk])

    assert open_violations(port) == [("field_removed", "amount", "decimal(10,2)", "")]


def test_ingestion_triggers_contract_check(owner, django_capture_on_commit_callbacks):
    from catalog import receivers
    from portal.celery import app

    port = contracted_port(owner)
    receivers.forget_ports_exist()

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            send_schema(without(ORDERS_SCHEMA, "amount"), minutes=1)
    finally:
        app.conf.task_always_eager = False

    assert open_violations(port) == [("field_removed", "amount", "decimal(10,2)", "")]
