"""The product page's cached sections: what expires them, and what is never
cached because it depends on the reader."""

import re
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from catalog import page_cache
from catalog.contracts import contract_create, contracts_check_ports
from catalog.features import feature_create
from catalog.models import (
    ContractViolation,
    DataProduct,
    Ownership,
    SlaPeriod,
    Tag,
)
from catalog.receivers import touched_names_and_runs
from catalog.services import (
    domain_update,
    output_port_add,
    ownership_add,
    ownership_remove,
    product_update,
)
from catalog.sla import service_level_set
from catalog.tasks import ports_changed
from lineage.ingestion.parsing import parse_event
from lineage.ingestion.rebuild import rebuild_lineage
from lineage.services import ingest_payloads
from tests.catalog.contract_helpers import (
    ORDERS_SCHEMA,
    contracted_port,
    schema_event,
    send_schema,
)
from tests.catalog.pages import section, text
from tests.catalog_factories import make_domain, make_product
from tests.factories import make_dataset, make_job, make_reads, make_writes

PAGE = "/catalog/products/orders/"


@pytest.fixture
def orders(owner):
    return make_product(
        "Orders", owner=owner, domain=make_domain("Sales"), tags=["daily"]
    )


def _page(client) -> str:
    response = client.get(PAGE)
    assert response.status_code == 200
    return response.content.decode()


def _rename_owner(product, owner, client):
    owner.first_name, owner.last_name = "Olivia", "Owner"
    owner.save()
    return "Olivia Owner"


def _add_steward_group(product, owner, client):
    group = Group.objects.create(name="Sales analysts")
    ownership_add(product=product, role=Ownership.Role.STEWARD, group=group)
    return "Sales analysts (group)"


def _edit_description(product, owner, client):
    product_update(product=product, description="Every **order** of the shop.")
    return "Every order of the shop."


def _retag(product, owner, client):
    product_update(product=product, tags=["weekly"])
    return "#weekly"


def _rename_domain(product, owner, client):
    domain_update(domain=product.domain, name="Retail")
    return "Domain: Retail"


def _set_sla(product, owner, client):
    service_level_set(product=product, freshness=timedelta(hours=6))
    return "Freshness 6 h"


def _open_sla_period(product, owner, client):
    SlaPeriod.objects.create(
        product=product,
        status="breached",
        started_at=timezone.now(),
        detail="sales.orders is 9 hours old.",
    )
    return "sales.orders is 9 hours old."


def _publish(product, owner, client):
    output_port_add(product=product, dataset=make_dataset("warehouse", "sales.orders"))
    return "sales.orders"


def _add_contract(product, owner, client):
    dataset = make_dataset("warehouse", "sales.orders")
    port = output_port_add(product=product, dataset=dataset)
    _page(client)
    contract_create(
        port=port,
        version="1.0.0",
        fields=[{"name": "id", "type": "bigint"}],
        created_by=owner,
    )
    return "v1.0.0"


def _record_violation(product, owner, client):
    dataset = make_dataset(
        "warehouse", "sales.orders", fields=[{"name": "id", "type": "bigint"}]
    )
    port = output_port_add(product=product, dataset=dataset)
    contract = contract_create(
        port=port,
        version="1.0.0",
        fields=[{"name": "id", "type": "bigint"}],
        created_by=owner,
    )
    _page(client)
    ContractViolation.objects.create(
        contract=contract,
        schema_version=dataset.current_schema,
        kind=ContractViolation.Kind.FIELD_REMOVED,
        field_path="id",
        detected_at=timezone.now(),
    )
    return "1 open violation"


def _add_feature(product, owner, client):
    feature_create(
        product=product,
        name="order_total_7d",
        entity="customer",
        join_keys=["customer_id"],
        value_type="float64",
    )
    return "order_total_7d"


CHANGES = [
    _rename_owner,
    _add_steward_group,
    _edit_description,
    _retag,
    _rename_domain,
    _set_sla,
    _open_sla_period,
    _publish,
    _add_contract,
    _record_violation,
    _add_feature,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__[1:])
def test_page_shows_change_on_next_read(client, consumer, owner, orders, change):
    client.force_login(consumer)
    _page(client)

    expected = change(DataProduct.objects.get(pk=orders.pk), owner, client)

    assert expected in text(_page(client))


def test_page_drops_removed_role(client, consumer, owner, orders):
    steward = Group.objects.create(name="Sales analysts")
    role = ownership_add(product=orders, role=Ownership.Role.STEWARD, group=steward)
    client.force_login(consumer)
    assert "Sales analysts" in _page(client)

    ownership_remove(ownership=role)

    assert "Sales analysts" not in _page(client)


def test_cached_sections_save_queries(
    client, consumer, orders, django_assert_num_queries
):
    client.force_login(consumer)
    with django_assert_num_queries(21):
        first = _page(client)
    # Session, user, product, the reader's roles, lineage walk.
    with django_assert_num_queries(5):
        second = _page(client)

    assert _without_csrf(first) == _without_csrf(second)


def _without_csrf(page: str) -> str:
    """The page without its CSRF tokens, which are masked anew for each response."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


@pytest.mark.parametrize("first", ["owner", "consumer"])
def test_reader_parts_never_cached(client, orders, request, first):
    """Check that the owner gets the edit button and the consumer the access
    request form, and neither gets the other's, in either order of reading."""
    readers = ["owner", "consumer"] if first == "owner" else ["consumer", "owner"]
    pages = {}
    for reader in readers:
        client.force_login(request.getfixturevalue(reader))
        pages[reader] = _page(client)

    assert "Edit product" in pages["owner"]
    assert "Request access" not in text(pages["owner"])
    assert "Edit product" not in pages["consumer"]
    assert "Request access" in text(pages["consumer"])


def test_related_products_follow_the_reader(
    client, admin_user, consumer, owner, orders
):
    secret = make_product(
        "Secret input",
        owner=owner,
        classification=DataProduct.Classification.RESTRICTED,
    )
    source = make_dataset("warehouse", "hr.salaries")
    target = make_dataset("warehouse", "sales.orders")
    output_port_add(product=secret, dataset=source)
    output_port_add(product=orders, dataset=target)
    job = make_job("airflow", "build")
    make_reads(job, source)
    make_writes(job, target)

    client.force_login(admin_user)
    assert "Secret input" in _page(client)
    client.force_login(consumer)

    assert "Secret input" not in _page(client)


def test_freshness_age_counts_from_request(client, consumer, orders):
    """The trust summary is drawn from cached figures, but the time since the
    last update counts from the request, not from when they were cached."""
    sections = page_cache.ProductSections(
        overview_html="", ports_html="", features_html="", trust=_trust(orders)
    )
    cached_at = sections.trust.now

    later = sections.trust_at(cached_at + timedelta(minutes=30))

    assert later.freshness_age == timedelta(hours=2, minutes=30)
    assert later.now == cached_at + timedelta(minutes=30)


def _trust(product):
    from dataclasses import replace

    from catalog.trust import product_trust

    return replace(product_trust(product, days=30), freshness_age=timedelta(hours=2))


@pytest.mark.django_db(transaction=True)
def test_stale_render_not_served_after_commit(client, consumer, owner):
    """A reader on another connection that draws the sections while a change
    is not committed yet stores what it read before the change: the stamp that
    the commit gives the product keeps later reads from serving it."""
    orders = make_product("Orders", owner=owner, description="Old text.")
    client.force_login(consumer)
    seen_during_change = []

    def read_on_another_connection():
        try:
            seen_during_change.append(_page(client))
        finally:
            connection.close()

    with transaction.atomic():
        product_update(
            product=DataProduct.objects.get(pk=orders.pk), description="New text."
        )
        reader = threading.Thread(target=read_on_another_connection)
        reader.start()
        reader.join()

    assert "Old text." in seen_during_change[0]
    page = _page(client)
    assert "New text." in page
    assert "Old text." not in page


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Nothing listens on port 1: every cache call fails at once.
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
)
def test_page_served_when_cache_down(client, consumer, owner, orders):
    client.force_login(consumer)

    page = _page(client)

    assert "Orders" in page
    product_update(product=orders, description="Changed while the cache is down.")
    assert "Changed while the cache is down." in _page(client)


def test_contract_checks_expire_the_page(client, consumer, owner):
    """Checks record and resolve violations in bulk, without model signals."""
    port = contracted_port(owner)
    client.force_login(consumer)
    assert "Field removed" not in text(_page(client))

    send_schema([field for field in ORDERS_SCHEMA if field["name"] != "amount"])
    contracts_check_ports(port_ids=[port.pk])
    assert "Field removed at amount" in text(_page(client))

    send_schema(ORDERS_SCHEMA, minutes=1)
    contracts_check_ports(port_ids=[port.pk])
    assert "Field removed at amount" not in text(_page(client))


def test_new_runs_refresh_trust_summary(client, consumer, owner):
    """Lineage changes no catalog row, so the task that checks the touched
    ports expires their products' pages."""
    port = contracted_port(owner)
    client.force_login(consumer)
    assert "Failed runs 0 of 1" in text(section(client.get(PAGE), "trust-heading"))

    failed = schema_event(ORDERS_SCHEMA)
    failed["eventType"] = "FAIL"
    ingest_payloads([failed])
    ports_changed([port.pk])

    assert "Failed runs 1 of 2" in text(section(client.get(PAGE), "trust-heading"))


def test_deleted_tag_disappears(client, consumer, orders):
    client.force_login(consumer)
    assert "#daily" in _page(client)

    Tag.objects.get(name="daily").delete()

    assert "#daily" not in _page(client)


def _move_feature(source):
    feature = feature_create(
        product=source,
        name="order_total_7d",
        entity="customer",
        join_keys=["customer_id"],
        value_type="float64",
    )
    return feature, "order_total_7d"


def _move_port(source):
    dataset = make_dataset("warehouse", "sales.orders")
    return output_port_add(product=source, dataset=dataset), "sales.orders"


def _move_service_level(source):
    level = service_level_set(product=source, freshness=timedelta(hours=6))
    return level, "Freshness 6 h"


@pytest.mark.parametrize(
    "make_row",
    [_move_feature, _move_port, _move_service_level],
    ids=lambda make_row: make_row.__name__.removeprefix("_move_"),
)
def test_row_moved_leaves_old_page(client, consumer, owner, orders, make_row):
    """The admin's forms let a row move to another product: the product it
    leaves must stop showing it."""
    other = make_product("Returns", owner=owner)
    row, expected_text = make_row(orders)
    client.force_login(consumer)
    assert expected_text in text(_page(client))

    row.product = other
    row.save()

    assert expected_text not in text(_page(client))


def test_run_ended_without_outputs_touches_port(db):
    """A FAIL or ABORT event, like a COMPLETE one, often names no outputs."""
    events = [
        parse_event({**schema_event(ORDERS_SCHEMA), "eventType": state, "outputs": []})
        for state in ("COMPLETE", "FAIL", "ABORT", "RUNNING")
    ]
    _, ended = touched_names_and_runs(events)

    assert ended == {event.run_id for event in events[:3]}


def test_rebuild_renews_every_stamp(owner):
    port = contracted_port(owner)
    before = page_cache._version(port.product_id)

    rebuild_lineage()

    assert page_cache._version(port.product_id) != before
