"""OpenLineage events with schema facets, and a product with a contracted port."""

import uuid
from datetime import timedelta

from django.utils import timezone

from catalog import services
from catalog.contracts import contract_create
from lineage.models import Dataset
from lineage.services import ingest_payloads
from tests.catalog_factories import make_product

PRODUCER = "https://example.com/contract-test/1.0"
SCHEMA_URL = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json"
LAKE = "s3://lake"
ORDERS = "/orders/daily"

# The contract of the orders port: id and amount may not be null.
ORDERS_CONTRACT = [
    {"name": "id", "type": "bigint", "nullable": False},
    {"name": "amount", "type": "decimal(10,2)", "nullable": False},
    {
        "name": "customer",
        "type": "struct",
        "fields": [
            {"name": "name", "type": "string"},
            {"name": "city", "type": "string"},
        ],
    },
]
# What the pipeline writes today, as OpenLineage describes it: no nullability,
# type names of the warehouse.
ORDERS_SCHEMA = [
    {"name": "id", "type": "LONG"},
    {"name": "amount", "type": "decimal(10,2)"},
    {
        "name": "customer",
        "type": "STRUCT",
        "fields": [
            {"name": "name", "type": "VARCHAR"},
            {"name": "city", "type": "text"},
        ],
    },
    {"name": "note", "type": "string", "description": "added, optional"},
]


def schema_event(
    fields: list,
    *,
    minutes: int = 0,
    namespace: str = LAKE,
    name: str = ORDERS,
    symlink: tuple[str, str] | None = None,
) -> dict:
    """A COMPLETE RunEvent writing the dataset with this schema, `minutes` from now."""
    facets = {
        "schema": {"_producer": PRODUCER, "_schemaURL": SCHEMA_URL, "fields": fields}
    }
    if symlink is not None:
        facets["symlinks"] = {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json",
            "identifiers": [
                {"namespace": symlink[0], "name": symlink[1], "type": "TABLE"}
            ],
        }
    event_time = timezone.now() + timedelta(minutes=minutes)
    return {
        "eventType": "COMPLETE",
        "eventTime": event_time.isoformat(),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "airflow", "name": "orders.daily"},
        "inputs": [],
        "outputs": [{"namespace": namespace, "name": name, "facets": facets}],
    }


def send_schema(fields: list, **options) -> None:
    (outcome,) = ingest_payloads([schema_event(fields, **options)])
    assert outcome.error is None


def contracted_port(
    owner, stewards=(), *, compatibility="forward", written=ORDERS_SCHEMA, **product
):
    """An orders product whose port's dataset was written once, with the schema
    `written`, and then given contract 1.0.0."""
    send_schema(written)
    product = make_product("Orders", owner=owner, stewards=stewards, **product)
    dataset = Dataset.objects.get(namespace__name=LAKE, name=ORDERS)
    port = services.output_port_add(product=product, dataset=dataset)
    contract_create(
        port=port,
        version="1.0.0",
        fields=ORDERS_CONTRACT,
        compatibility=compatibility,
        created_by=owner,
    )
    return port
