"""`manage.py create_api_key`: a key printed once, only its hash stored."""

import io
import time

import pytest
from django.core.management import CommandError, call_command

from core.models import ApiKey
from core.services import hash_api_key


def create_key(*args) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("create_api_key", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_key_printed_once_and_hashed(db):
    stdout, stderr = create_key("airflow-prod", "--scope", "lineage:write")

    raw_key = stdout.strip()
    api_key = ApiKey.objects.get()
    assert raw_key.startswith("gk_")
    assert api_key.name == "airflow-prod"
    assert api_key.scopes == ["lineage:write"]
    assert api_key.key_hash == hash_api_key(raw_key)
    assert raw_key not in stderr
    assert raw_key not in str(ApiKey.objects.values().get())


def test_several_scopes(db):
    create_key("marquez-sync", "--scope", "lineage:write", "--scope", "read")

    assert ApiKey.objects.get().scopes == ["lineage:write", "read"]


def test_unknown_scope_rejected(db):
    with pytest.raises(CommandError):
        create_key("bad", "--scope", "admin")

    assert ApiKey.objects.count() == 0


def test_created_key_sends_events(client, db):
    stdout, _ = create_key("spark", "--scope", "lineage:write")

    response = client.post(
        "/api/v1/lineage",
        data=b"{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {stdout.strip()}",
    )

    # Authenticated and allowed: the empty event fails validation, not auth.
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "eventTime"


def lineage_get(client, raw_key):
    return client.get("/api/v1/namespaces", HTTP_AUTHORIZATION=f"Bearer {raw_key}")


def test_revoke_takes_effect_at_once_here(client, db):
    from core.services import api_key_create, api_key_revoke

    api_key, raw_key = api_key_create(name="reader", scopes=["read"])
    assert lineage_get(client, raw_key).status_code == 200

    api_key_revoke(api_key=api_key)

    assert lineage_get(client, raw_key).status_code == 401


def test_revoke_elsewhere_expires_from_cache(client, db, settings):
    from django.utils import timezone

    from core.services import api_key_create

    settings.API_KEY_CACHE_SECONDS = 0.2
    api_key, raw_key = api_key_create(name="reader", scopes=["read"])
    assert lineage_get(client, raw_key).status_code == 200

    # Another process revokes the key: this one keeps it cached for the TTL.
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=timezone.now())
    assert lineage_get(client, raw_key).status_code == 200
    time.sleep(0.3)

    assert lineage_get(client, raw_key).status_code == 401


def test_catalog_write_key_acts_as_its_user(owner):
    stdout, stderr = create_key(
        "owner-laptop", "--scope", "catalog:write", "--user", "owner"
    )

    api_key = ApiKey.objects.get()
    assert api_key.user == owner
    assert "catalog:write" in stderr


def test_catalog_write_key_needs_a_user(db):
    with pytest.raises(CommandError) as error:
        create_key("orphan", "--scope", "catalog:write")
    assert str(error.value) == (
        "The catalog:write scope needs a user for the key to act as."
    )

    with pytest.raises(CommandError) as error:
        create_key("ghost", "--scope", "read", "--user", "nobody")
    assert str(error.value) == "There is no user named 'nobody'."
    assert ApiKey.objects.count() == 0
