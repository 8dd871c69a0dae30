from django.core.management import call_command


def test_openapi_schema_valid_without_warnings(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
    )

    schema = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/catalog/products/{slug}/features/{id}:" in schema


def test_swagger_ui_served(client, consumer):
    client.force_login(consumer)

    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
