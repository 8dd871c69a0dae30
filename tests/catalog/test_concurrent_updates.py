"""Two requests that change different fields of one row both keep their change."""

import threading

import pytest
from django.db import connection

from catalog.models import DataProduct
from catalog.services import product_update
from tests.catalog_factories import make_product


@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_of_different_fields_both_stay(owner):
    product = make_product("Orders", owner=owner, description="old")
    first_locked = threading.Event()
    release = threading.Event()
    errors = []

    def slow_update():
        # Holds the row lock while the second update waits for it.
        try:
            from django.db import transaction

            with transaction.atomic():
                stale = DataProduct.objects.get(pk=product.pk)
                product_update(product=stale, description="new description")
                first_locked.set()
                release.wait(5)
        except Exception as error:  # noqa: BLE001 - reported by the assert
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_update)
    stale_copy = DataProduct.objects.get(pk=product.pk)
    thread.start()
    first_locked.wait(5)
    waiter = threading.Thread(
        target=lambda: (
            product_update(product=stale_copy, name="Orders v2"),
            connection.close(),
        )
    )
    waiter.start()
    release.set()
    thread.join(10)
    waiter.join(10)

    product.refresh_from_db()
    assert errors == []
    assert product.name == "Orders v2"
    assert product.description == "new description"
