"""The owner dashboard: SLA problems, violations, access requests, notifications."""

from datetime import UTC, datetime, timedelta

import pytest

from catalog.access import access_request_send
from catalog.models import (
    ContractViolation,
    DataContract,
    Notification,
    SlaPeriod,
    SlaStatus,
)
from catalog.notifications import notify_product_managers
from catalog.services import output_port_add
from tests.catalog.pages import messages_of, table
from tests.catalog_factories import make_product
from tests.factories import make_dataset

BREACHES = "Your products whose SLA is breached or at risk now"
VIOLATIONS = "Schemas of your products' output ports that break their contract"
REQUESTS = "Unread requests for access to your products"


def _sla(product, status, *, days_ago: int = 1, ended: bool = False) -> None:
    started = datetime(2026, 3, 10, 8, 0, tzinfo=UTC) - timedelta(days=days_ago)
    SlaPeriod.objects.create(
        product=product,
        status=status,
        started_at=started,
        ended_at=started + timedelta(hours=1) if ended else None,
        detail=f"{product.name} is late.",
    )


def _violation(product, field_path: str) -> None:
    dataset = make_dataset(
        "warehouse", f"{product.slug}.{field_path}", fields=[{"name": "id"}]
    )
    port = output_port_add(product=product, dataset=dataset)
    contract = DataContract.objects.create(
        port=port, version="1.0.0", version_major=1, version_minor=0, version_patch=0
    )
    ContractViolation.objects.create(
        contract=contract,
        schema_version=dataset.current_schema,
        kind=ContractViolation.Kind.FIELD_REMOVED,
        field_path=field_path,
        expected="bigint",
        detected_at=datetime(2026, 3, 9, 7, 30, tzinfo=UTC),
    )


@pytest.fixture
def orders(owner, steward):
    return make_product("Orders", owner=owner, stewards=[steward])


def test_dashboard_lists_breaches_and_risks(client, owner, orders):
    _sla(orders, SlaStatus.BREACHED)
    customers = make_product("Customers", owner=owner)
    _sla(customers, SlaStatus.AT_RISK)
    _sla(make_product("Fine", owner=owner), SlaStatus.MET)
    _sla(make_product("Was late", owner=owner), SlaStatus.BREACHED, ended=True)
    client.force_login(owner)

    response = client.get("/catalog/dashboard")

    assert table(response, BREACHES) == [
        ["Customers", "at risk", "2026-03-09 08:00", "Customers is late."],
        ["Orders", "breached", "2026-03-09 08:00", "Orders is late."],
    ]


def test_dashboard_skips_products_of_others(client, consumer, orders):
    _sla(orders, SlaStatus.BREACHED)
    _violation(orders, "total")
    client.force_login(consumer)

    response = client.get("/catalog/dashboard")

    assert table(response, BREACHES) == [
        ["Every SLA of your products is met or not evaluated yet."]
    ]
    assert table(response, VIOLATIONS) == [["No open contract violations."]]
    assert table(response, REQUESTS) == [["No pending access requests."]]


def test_dashboard_lists_open_violations(client, steward, orders):
    _violation(orders, "total")
    client.force_login(steward)

    response = client.get("/catalog/dashboard")

    assert table(response, VIOLATIONS) == [
        [
            "Orders",
            "warehouse:orders.total",
            "v1.0.0",
            "total",
            "field removed",
            "bigint",
            "—",
            "2026-03-09 07:30",
        ]
    ]


def test_dashboard_lists_pending_access_requests(client, owner, consumer, orders):
    access_request_send(product=orders, requester=consumer, reason="Revenue report")
    client.force_login(owner)

    response = client.get("/catalog/dashboard")

    rows = table(response, REQUESTS)
    assert len(rows) == 1
    assert rows[0][0] == "Orders"
    assert rows[0][1] == (
        "consumer requests access to Orders consumer requests access to the data "
        "product Orders. Reason: Revenue report"
    )
    assert rows[0][3] == "Mark as read: consumer requests access to Orders"


def test_mark_one_notification_read(client, owner, consumer, orders):
    access_request_send(product=orders, requester=consumer, reason="Revenue report")
    mine = Notification.objects.get(recipient=owner)
    stewards = Notification.objects.get(recipient__username="steward")
    client.force_login(owner)

    response = client.post(
        "/catalog/notifications/read", {"notification": [mine.pk]}, follow=True
    )

    assert messages_of(response) == ["Marked 1 notification as read."]
    assert table(response, REQUESTS) == [["No pending access requests."]]
    mine.refresh_from_db()
    stewards.refresh_from_db()
    assert mine.read_at is not None
    assert stewards.read_at is None


def test_mark_notification_of_another_user_changes_nothing(
    client, consumer, owner, orders
):
    access_request_send(product=orders, requester=consumer, reason="Revenue report")
    theirs = Notification.objects.get(recipient=owner)
    client.force_login(consumer)

    response = client.post(
        "/catalog/notifications/read",
        {"notification": [theirs.pk, "x", "9" * 40]},
        follow=True,
    )

    assert messages_of(response) == ["Marked 0 notifications as read."]
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_notifications_read(client, owner, orders):
    for index in range(3):
        notify_product_managers(
            product=orders,
            kind=Notification.Kind.SLA_BREACH,
            subject=f"Orders breached its SLA ({index})",
            body="",
            dedupe_key=f"breach-{index}",
        )
    client.force_login(owner)

    response = client.post("/catalog/notifications/read", {"all": "1"}, follow=True)

    assert messages_of(response) == ["Marked 3 notifications as read."]
    assert response.context["dashboard"].unread_count == 0
    assert not Notification.objects.filter(
        recipient=owner, read_at__isnull=True
    ).exists()


def test_mark_read_needs_post(client, owner):
    client.force_login(owner)

    assert client.get("/catalog/notifications/read").status_code == 405


def test_outsider_cannot_mark_read(outsider, owner, orders):
    notify_product_managers(
        product=orders,
        kind=Notification.Kind.SLA_BREACH,
        subject="Orders breached its SLA",
        body="",
        dedupe_key="breach",
    )

    response = outsider.post("/catalog/notifications/read", {"all": "1"})

    assert response.status_code == 302
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def _add_troubled_product(owner, consumer, index: int) -> None:
    product = make_product(f"Product {index}", owner=owner)
    _sla(product, SlaStatus.BREACHED)
    _violation(product, f"field_{index}")
    access_request_send(product=product, requester=consumer, reason="Report")


def test_dashboard_query_count_is_flat(
    client, owner, consumer, db, django_assert_num_queries
):
    client.force_login(owner)
    _add_troubled_product(owner, consumer, 0)
    with django_assert_num_queries(8):
        client.get("/catalog/dashboard")

    for index in range(1, 15):
        _add_troubled_product(owner, consumer, index)
    with django_assert_num_queries(8):
        response = client.get("/catalog/dashboard")

    dashboard = response.context["dashboard"]
    assert len(dashboard.products) == 15
    assert len(dashboard.sla_problems) == 15
    assert len(dashboard.violations) == 15
    assert len(dashboard.access_requests) == 15
    assert dashboard.unread_count == 15
