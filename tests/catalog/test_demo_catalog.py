from django.contrib.auth import get_user_model
from openlineage.client.serde import Serde

from catalog.demo import load_demo_catalog
from catalog.models import DataProduct
from catalog.selectors import products_visible_to
from lineage.demo import build_demo_events
from lineage.services import ingest_payloads


def _load():
    ingest_payloads([Serde.to_dict(event) for event in build_demo_events(20261128)])
    return load_demo_catalog(password="demo-password-1")


def test_demo_catalog_loads_once(db):
    created = _load()

    assert [product.name for product in created] == [
        "Sales orders",
        "Campaign performance",
        "Daily revenue",
        "Customer features",
        "Customer lifetime value",
    ]
    assert _load() == []
    sales = DataProduct.objects.get(name="Sales orders")
    assert sorted(sales.output_ports.values_list("dataset__name", flat=True)) == [
        "analytics.fct_orders",
        "curated.orders_enriched",
    ]
    users = get_user_model().objects
    casey_sees = products_visible_to(users.get(username="casey"))
    assert sorted(casey_sees.values_list("name", flat=True)) == [
        "Campaign performance",
        "Daily revenue",
        "Sales orders",
    ]
    assert products_visible_to(users.get(username="alex")).count() == 5
    assert users.get(username="olivia").check_password("demo-password-1")
