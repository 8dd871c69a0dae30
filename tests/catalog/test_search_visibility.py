"""Search shows each persona exactly the products `products_visible_to` shows
them, with their features and datasets; datasets of no product are open."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from guardian.shortcuts import assign_perm

from catalog import services
from catalog.models import DataProduct, Feature, SearchDocument
from catalog.search.indexing import search_index_datasets
from catalog.search.params import SearchParams
from catalog.search.selectors import search_documents, suggest_titles
from catalog.selectors import products_visible_to
from core.authentication import ApiKeyUser
from core.services import api_key_create
from tests.catalog_factories import make_product
from tests.factories import make_dataset

Lifecycle = DataProduct.Lifecycle
Classification = DataProduct.Classification


@pytest.fixture
def estate(owner, steward, consumer):
    """Products of every lifecycle and classification, each with a feature and
    a published dataset, all matching the word "ledger"."""
    products = [
        make_product("Ledger open", owner=owner, classification=Classification.PUBLIC),
        make_product("Ledger internal", owner=owner),
        make_product(
            "Ledger secret", owner=owner, classification=Classification.CONFIDENTIAL
        ),
        make_product(
            "Ledger locked", owner=owner, classification=Classification.RESTRICTED
        ),
        make_product("Ledger sketch", owner=owner, lifecycle=Lifecycle.DRAFT),
        make_product(
            "Ledger stewarded",
            owner=owner,
            lifecycle=Lifecycle.DRAFT,
            stewards=[steward],
        ),
        make_product(
            "Ledger granted", owner=owner, classification=Classification.RESTRICTED
        ),
        make_product("Ledger group", owner=owner, lifecycle=Lifecycle.DRAFT),
    ]
    assign_perm("catalog.view_dataproduct", consumer, products[6])
    readers = Group.objects.create(name="Ledger readers")
    consumer.groups.add(readers)
    assign_perm("catalog.view_dataproduct", readers, products[7])
    for index, product in enumerate(products):
        Feature.objects.create(
            product=product,
            name=f"ledger_feature_{index}",
            entity="account",
            value_type=Feature.ValueType.FLOAT64,
        )
        services.output_port_add(
            product=product,
            dataset=make_dataset("warehouse", f"ledger_table_{index}", fields=[]),
        )
    # Lineage datasets are indexed after ingestion; these were made directly.
    unpublished = make_dataset("warehouse", "ledger_unpublished", fields=[])
    search_index_datasets(dataset_ids=[unpublished.pk])
    return products


def _found(user, query="ledger") -> dict[str, set[str]]:
    result = search_documents(user, SearchParams(q=query, limit=50))
    found: dict[str, set[str]] = {"product": set(), "feature": set(), "dataset": set()}
    for hit in result.hits:
        found[hit.kind].add(hit.title)
    assert result.total == sum(len(titles) for titles in found.values())
    return found


def _expected(user, products) -> dict[str, set[str]]:
    visible = set(products_visible_to(user).values_list("pk", flat=True))
    indexes = [i for i, product in enumerate(products) if product.pk in visible]
    return {
        "product": {products[i].name for i in indexes},
        "feature": {f"ledger_feature_{i}" for i in indexes},
        "dataset": {f"ledger_table_{i}" for i in indexes} | {"ledger_unpublished"},
    }


@pytest.mark.parametrize(
    "persona", ["admin_user", "owner", "steward", "consumer", "auditor"]
)
def test_search_agrees_with_products_visible_to(request, estate, persona):
    user = request.getfixturevalue(persona)

    assert _found(user) == _expected(user, estate)


def test_consumer_misses_drafts_and_restricted(estate, consumer):
    products = _found(consumer)["product"]

    assert products == {
        "Ledger open",
        "Ledger internal",
        "Ledger secret",
        "Ledger granted",
        "Ledger group",
    }


def test_steward_sees_stewarded_draft(estate, steward):
    assert "Ledger stewarded" in _found(steward)["product"]
    assert "Ledger sketch" not in _found(steward)["product"]


def test_auditor_sees_every_product(estate, auditor):
    assert len(_found(auditor)["product"]) == len(estate)


def test_api_key_without_user_sees_open_products(estate):
    api_key, _ = api_key_create(name="reader", scopes=["read"])

    found = _found(ApiKeyUser(api_key))

    assert found["product"] == {"Ledger open", "Ledger internal", "Ledger secret"}
    assert "ledger_table_3" not in found["dataset"]


def test_anonymous_sees_nothing(estate):
    assert _found(AnonymousUser()) == {
        "product": set(),
        "feature": set(),
        "dataset": set(),
    }
    assert suggest_titles(AnonymousUser(), "ledger") == []


def test_suggestions_hide_invisible_products(estate, consumer, owner):
    consumer_titles = {item["title"] for item in suggest_titles(consumer, "ledger s")}
    owner_titles = {item["title"] for item in suggest_titles(owner, "ledger s")}

    assert consumer_titles == {"Ledger secret"}
    assert owner_titles == {"Ledger secret", "Ledger sketch", "Ledger stewarded"}


def test_outsider_page_redirects_to_login(outsider):
    response = outsider.get("/catalog/search?q=ledger")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_dataset_of_hidden_product_is_hidden(estate, consumer):
    documents = SearchDocument.objects.filter(kind="dataset", title="ledger_table_3")

    assert documents.get().open_to_all is False
    assert "ledger_table_3" not in _found(consumer)["dataset"]
