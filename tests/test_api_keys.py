"""`manage.py create_api_key`: a key printed once, only its hash stored."""

import io

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
