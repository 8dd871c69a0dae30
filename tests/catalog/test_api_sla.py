from datetime import timedelta

import pytest

from catalog.models import ServiceLevel
from catalog.sla import service_level_set
from tests.catalog.api_helpers import call, error_of
from tests.catalog_factories import make_product


@pytest.fixture
def api(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def orders(owner, steward):
    return make_product("Orders", owner=owner, stewards=[steward])


def test_steward_sets_sla(api, steward, orders):
    body = {"freshness": "PT6H", "schedule": "0 6 * * *", "availability_target": 99.5}

    response = call(api(steward), "put", "/products/orders/sla", body)

    assert response.status_code == 200
    assert response.json()["freshness"] == "P0DT06H00M00S"
    assert response.json()["availability_target"] == "99.50"
    assert orders.service_level.freshness == timedelta(hours=6)


def test_put_replaces_every_target(api, owner, orders):
    service_level_set(
        product=orders, freshness=timedelta(hours=1), schedule="0 * * * *"
    )

    response = call(
        api(owner), "put", "/products/orders/sla", {"freshness": "1 0:00:00"}
    )

    assert response.status_code == 200
    assert response.json()["freshness"] == "P1DT00H00M00S"
    assert response.json()["schedule"] == ""


def test_consumer_reads_sla_but_may_not_set_it(api, consumer, orders):
    service_level_set(product=orders, schedule="0 6 * * *")
    client = api(consumer)

    read = call(client, "get", "/products/orders/sla")
    write = call(client, "put", "/products/orders/sla", {"schedule": ""})

    assert read.json()["schedule"] == "0 6 * * *"
    assert write.status_code == 403


def test_product_without_sla_is_404(api, consumer, orders):
    response = call(api(consumer), "get", "/products/orders/sla")

    assert response.status_code == 404
    assert error_of(response)["message"] == "Data product 'orders' has no SLA."


def test_owner_deletes_sla(api, owner, orders):
    service_level_set(product=orders, schedule="0 6 * * *")

    response = call(api(owner), "delete", "/products/orders/sla")

    assert response.status_code == 204
    assert not ServiceLevel.objects.exists()


@pytest.mark.parametrize(
    "body, field, message",
    [
        (
            {"freshness": "six hours"},
            "freshness",
            "Invalid duration: use ISO 8601, such as PT6H or P1D.",
        ),
        ({"freshness": "PT0S"}, "freshness", "Freshness must be longer than zero."),
        (
            {"schedule": "daily"},
            "schedule",
            "Give five cron fields: minute, hour, day of month, month and day of "
            "week, such as '0 6 * * *'.",
        ),
        (
            {"availability_target": 0},
            "availability_target",
            "The target is a percentage above 0, up to 100.",
        ),
        (
            {"availability_target": 1000},
            "availability_target",
            "Ensure that there are no more than 3 digits before the decimal point.",
        ),
        (
            {"availability_target": "lots"},
            "availability_target",
            "A valid number is required.",
        ),
        (
            {"schedule": "x" * 101},
            "schedule",
            "Ensure this field has no more than 100 characters.",
        ),
    ],
)
def test_bad_sla_names_field(api, owner, orders, body, field, message):
    response = call(api(owner), "put", "/products/orders/sla", body)

    assert response.status_code == 400
    assert error_of(response)["field"] == field
    assert error_of(response)["message"] == message
    assert not ServiceLevel.objects.exists()
