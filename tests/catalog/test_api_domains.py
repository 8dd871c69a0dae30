import threading
import time

import pytest

from catalog.models import Domain, Tag
from tests.catalog.api_helpers import call, error_of
from tests.catalog_factories import make_domain, make_product
from tests.conftest import second_session


@pytest.fixture
def api(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_admin_creates_domain_with_slug_from_name(api, admin_user):
    body = {"name": "Supply Chain", "description": "Stock and shipping."}

    response = call(api(admin_user), "post", "/domains", body)

    assert response.status_code == 201
    assert response.json()["slug"] == "supply-chain"
    assert Domain.objects.get(slug="supply-chain").description == "Stock and shipping."


@pytest.mark.parametrize("persona", ["owner", "steward", "consumer", "auditor"])
def test_only_admins_change_domains(api, request, db, persona):
    make_domain("Finance")
    client = api(request.getfixturevalue(persona))

    created = call(client, "post", "/domains", {"name": "Sales"})
    changed = call(client, "patch", "/domains/finance", {"name": "Money"})
    deleted = call(client, "delete", "/domains/finance")

    for response in (created, changed, deleted):
        assert response.status_code == 403
        assert error_of(response)["message"] == "Only admins may change domains."


def test_everyone_signed_in_reads_domains(api, consumer):
    make_domain("Finance")
    make_domain("Marketing")

    response = call(api(consumer), "get", "/domains")

    assert [d["slug"] for d in response.json()["results"]] == ["finance", "marketing"]


def test_duplicate_domain_name_rejected(api, admin_user):
    make_domain("Finance")

    response = call(api(admin_user), "post", "/domains", {"name": "Finance"})

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "unique",
        "message": "A domain with this name already exists.",
        "field": "name",
    }


def test_slug_made_from_name_must_be_free(api, admin_user):
    make_domain("Finance")

    response = call(api(admin_user), "post", "/domains", {"name": "finance!"})

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "invalid",
        "message": "A domain with this slug already exists.",
        "field": "slug",
    }


def test_admin_renames_domain(api, admin_user):
    make_domain("Finance")

    response = call(api(admin_user), "patch", "/domains/finance", {"name": "Money"})

    assert response.status_code == 200
    assert response.json()["name"] == "Money"
    assert response.json()["slug"] == "finance"


def test_domain_in_use_cannot_be_deleted(api, admin_user, owner):
    make_product("Orders", owner=owner, domain=make_domain("Finance"))

    response = call(api(admin_user), "delete", "/domains/finance")

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "invalid",
        "message": "Domain 'finance' still has 1 data product: move it to "
        "another domain or delete it first.",
        "field": None,
    }
    assert Domain.objects.filter(slug="finance").exists()


def test_unused_domain_deleted(api, admin_user):
    make_domain("Finance")

    response = call(api(admin_user), "delete", "/domains/finance")

    assert response.status_code == 204
    assert not Domain.objects.exists()


def test_unknown_domain_is_404(api, admin_user):
    response = call(api(admin_user), "get", "/domains/nope")

    assert response.status_code == 404
    assert error_of(response)["message"] == "Domain 'nope' not found."


@pytest.mark.parametrize("count", [1, 5])
def test_domain_list_query_count(api, consumer, count, django_assert_num_queries):
    for number in range(count):
        make_domain(f"Domain {number}")
    client = api(consumer)

    # Session, user, count, page.
    with django_assert_num_queries(4):
        response = call(client, "get", "/domains")

    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [1, 5])
def test_tag_list_query_count(api, consumer, count, django_assert_num_queries):
    for number in range(count):
        Tag.objects.create(name=f"tag-{number}")
    client = api(consumer)

    # Session, user, count, page.
    with django_assert_num_queries(4):
        response = call(client, "get", "/tags")

    assert [t["name"] for t in response.json()["results"]][:1] == ["tag-0"]
    assert response.json()["count"] == count


def test_tags_are_read_only(api, admin_user):
    response = call(api(admin_user), "post", "/tags", {"name": "x"})

    assert response.status_code == 405
    assert error_of(response)["message"] == 'Method "POST" not allowed.'


def _commit_once_blocked(connection, timeout: float = 30.0) -> None:
    """Commit `connection` once another session waits for one of its locks."""
    deadline = time.monotonic() + timeout
    with second_session() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                "'Lock' AND datname = current_database()"
            ).fetchone()[0]
            watcher.rollback()
            if waiting:
                break
            time.sleep(0.05)
    connection.commit()


@pytest.mark.django_db(transaction=True)
def test_write_that_loses_a_race_is_409(api, admin_user):
    client = api(admin_user)

    with second_session() as other:
        # Not yet committed, so the serializer's uniqueness check passes and
        # the INSERT waits on the unique index until the commit below.
        other.execute(
            "INSERT INTO catalog_domain (name, slug, description, created_at, "
            "updated_at) VALUES ('Sales', 'sales', '', now(), now())"
        )
        threading.Thread(target=_commit_once_blocked, args=[other]).start()
        response = call(client, "post", "/domains", {"name": "Sales"})

    assert response.status_code == 409
    assert error_of(response) == {
        "code": "conflict",
        "message": "Another request changed the same data at the same time: send "
        "the request again.",
        "field": None,
    }
    retried = call(client, "post", "/domains", {"name": "Sales"})
    assert retried.status_code == 400
    assert error_of(retried)["field"] == "name"
