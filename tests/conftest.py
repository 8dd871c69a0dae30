"""Shared fixtures: the personas who use the portal, API keys and the corpus.

The personas:
- admin: a superuser, who may change everything;
- owner: a data owner, in the "Data owners" group that may register products;
- steward: looks after products that others own, named as their steward;
- consumer: signed in with no role and no special rights;
- auditor: may see every product (model-wide view permission) and change none;
- outsider: not signed in at all (an anonymous client).
"""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache

from core.services import api_key_create
from tests.browser import launch_chromium

CORPUS_DIR = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "openlineage-corpus"
)


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser(
        "admin", "admin@example.com", "admin-password-1"
    )


@pytest.fixture
def consumer(db):
    """A data consumer: logged in, no special rights."""
    return get_user_model().objects.create_user(
        "consumer", "consumer@example.com", "consumer-password-1"
    )


@pytest.fixture
def owner(db):
    user = get_user_model().objects.create_user(
        "owner", "owner@example.com", "owner-password-1"
    )
    group, _ = Group.objects.get_or_create(name="Data owners")
    group.permissions.add(Permission.objects.get(codename="add_dataproduct"))
    user.groups.add(group)
    return user


@pytest.fixture
def steward(db):
    return get_user_model().objects.create_user(
        "steward", "steward@example.com", "steward-password-1"
    )


@pytest.fixture
def auditor(db):
    user = get_user_model().objects.create_user(
        "auditor", "auditor@example.com", "auditor-password-1"
    )
    user.user_permissions.add(Permission.objects.get(codename="view_dataproduct"))
    return user


@pytest.fixture
def outsider(client):
    """A client that has not signed in."""
    return client


@pytest.fixture
def pipeline_key(db):
    """The raw API key a pipeline sends OpenLineage events with."""
    _, raw_key = api_key_create(name="airflow-prod", scopes=["lineage:write"])
    return raw_key


@pytest.fixture
def reader_key(db):
    _, raw_key = api_key_create(name="lineage-reader", scopes=["read"])
    return raw_key


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, started once per test module."""
    yield from launch_chromium()


@pytest.fixture
def corpus_dir():
    if not CORPUS_DIR.is_dir():
        pytest.fail(f"The OpenLineage corpus is missing: expected it at {CORPUS_DIR}.")
    return CORPUS_DIR


def second_session():
    """Open a psycopg connection of its own to the test database, for holding
    locks that the code under test must wait for."""
    import psycopg
    from django.db import connection

    database = connection.settings_dict
    return psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"],
        host=database["HOST"],
        port=database["PORT"] or 5432,
    )


@pytest.fixture(autouse=True)
def empty_cache():
    """Start every test with an empty cache: the rows a cached product page was
    drawn from are gone once the test before has rolled back."""
    cache.clear()
