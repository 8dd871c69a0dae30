"""Calls to the catalog API as the personas, in JSON."""

import json

BASE = "/api/v1/catalog"


def call(client, method: str, path: str, body=None, *, key: str | None = None):
    """Send `body` as JSON to `BASE + path`, with `key` as bearer token if given."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    send = getattr(client, method.lower())
    if body is None:
        return send(BASE + path, **headers)
    return send(
        BASE + path, json.dumps(body), content_type="application/json", **headers
    )


def error_of(response) -> dict:
    return response.json()["error"]
