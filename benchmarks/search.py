"""Catalog search and the product page on the generated catalog estate.

`search`: GET /api/v1/catalog/search as `bench-consumer` (an API key acting
for that non-admin user, so the visibility rule applies) over a mix of
realistic queries: words, a prefix being typed, field names, an owner, with and
without facet filters. Requests go one after the other on one keep-alive
connection, the mix repeated `--repeats` / len(mix) times after a warm-up
round. Target: p95 under 50 ms. The baseline, in the same run, is a bare
`SELECT id ... WHERE search_vector @@ to_tsquery(...)` of the same words on
the index table through psycopg: matching alone, without visibility, ranking,
facets, highlights or HTTP. Suggestions (GET .../search/suggest) are timed too.

`product-page`: `--clients` concurrent clients (20) with a signed-in session
each. The portal gets a Redis database of its own as its cache
(`BENCH_CACHE_URL`), emptied first. They request each of 2,000 product pages
once (first visits: nothing cached yet), then product pages round-robin for
`--page-duration` seconds after 2 s of warm-up, by when each page's shared
sections are cached, as they are for a product people read. Target: p95 under
150 ms. The baseline is GET /health under the same load. The lineage dataset
page of each product's output port is measured the same way, as a page that
exists in every branch.
"""

import http.client
import logging
import os
import random
import re
import statistics
import threading
import time
from collections import Counter
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import orjson
import psycopg
import redis

from benchmarks import catalog_estate
from benchmarks.client import Connection, build_request, summarize
from benchmarks.portal import (
    BENCH_DATABASE,
    HOST,
    PortalServer,
    database_url,
    manage,
)
from benchmarks.report import log_path

logger = logging.getLogger(__name__)

SEARCH_P95_TARGET_MS = 50
PAGE_P95_TARGET_MS = 150
# A Redis database of the benchmark's own for the portal's cache, emptied first.
BENCH_CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13")
WARMUP_ROUNDS = 1

# (label, query parameters, baseline tsquery for to_tsquery('simple', ...)).
SEARCH_MIX = (
    ("word", {"q": "orders"}, "orders"),
    ("word", {"q": "revenue"}, "revenue"),
    ("two words", {"q": "daily invoices"}, "daily & invoices"),
    ("prefix", {"q": "cust"}, "cust:*"),
    ("prefix", {"q": "shipments wee"}, "shipments & wee:*"),
    ("field name", {"q": "order_id"}, "order <-> id"),
    ("field name", {"q": "address.city"}, "address <-> city"),
    ("owner", {"q": "bench_user_0042"}, "bench <-> user <-> 0042"),
    ("facet", {"q": "orders", "domain": "finance"}, "orders"),
    ("facet", {"q": "payments", "kind": "dataset"}, "payments"),
    ("facet", {"q": "customers", "classification": "internal"}, "customers"),
    ("facet", {"q": "churn", "tag": "churn-6", "lifecycle": "published"}, "churn"),
    ("no match", {"q": "zeppelin"}, "zeppelin"),
    ("phrase", {"q": '"by region" margins'}, "by <-> region & margins"),
)
SUGGEST_MIX = ("or", "ord", "cust", "daily rev", "analytics.ord", "bench_user_01")


def _target(path: str, params: dict) -> str:
    return f"{path}?{urlencode(params)}"


def _timed_mix(connection, requests: list[tuple[str, bytes]], rounds: int):
    """Send every request `rounds` times (after a warm-up round); return
    seconds by label and the last body of each request."""
    timings: dict[str, list[float]] = {}
    bodies = {}
    for attempt in range(WARMUP_ROUNDS + rounds):
        for index, (label, raw) in enumerate(requests):
            began = time.perf_counter()
            status, body = connection.request(raw)
            elapsed = time.perf_counter() - began
            if status != 200:
                raise RuntimeError(f"HTTP {status} for {label}: {body[:300]!r}")
            if attempt >= WARMUP_ROUNDS:
                timings.setdefault(label, []).append(elapsed)
                bodies[index] = body
    return timings, bodies


def _baseline(url: str, rounds: int) -> dict:
    timings, counts = [], {}
    with psycopg.connect(url) as connection:
        for attempt in range(WARMUP_ROUNDS + rounds):
            for _, params, tsquery in SEARCH_MIX:
                began = time.perf_counter()
                rows = connection.execute(
                    "SELECT id FROM catalog_searchdocument"
                    " WHERE search_vector @@ to_tsquery('simple', %s)",
                    [tsquery],
                ).fetchall()
                elapsed = time.perf_counter() - began
                if attempt >= WARMUP_ROUNDS:
                    timings.append(elapsed)
                    counts[params["q"]] = len(rows)
    return {**summarize(timings), "matches_without_visibility": counts}


def _api_key_for_consumer() -> str:
    output = manage(
        "create_api_key",
        "bench-search",
        "--scope",
        "read",
        "--user",
        catalog_estate.CONSUMER,
    )
    for line in output.splitlines():
        if line.strip().startswith("gk_"):
            return line.strip()
    raise RuntimeError(f"create_api_key printed no key:\n{output}")


def _estate(options) -> tuple[str, dict]:
    url = database_url(BENCH_DATABASE)
    if options.reuse_estate:
        logger.info("Reusing the estate in %s", BENCH_DATABASE)
        return url, {"reused": True}
    return catalog_estate.prepare(options)


def run_search(options) -> dict:
    url, estate = _estate(options)
    api_key = _api_key_for_consumer()
    headers = {"Authorization": f"Bearer {api_key}"}
    search_requests = [
        (
            f"{label}: {params}",
            build_request(
                "GET", _target("/api/v1/catalog/search", params), headers=headers
            ),
        )
        for label, params, _ in SEARCH_MIX
    ]
    suggest_requests = [
        (
            prefix,
            build_request(
                "GET",
                _target("/api/v1/catalog/search/suggest", {"q": prefix}),
                headers=headers,
            ),
        )
        for prefix in SUGGEST_MIX
    ]
    rounds = max(1, options.repeats // len(SEARCH_MIX))
    server = PortalServer(
        workers=options.workers, threads=options.threads, log_path=log_path("search")
    )
    with server, Connection(HOST, server.port) as connection:
        search_timings, bodies = _timed_mix(connection, search_requests, rounds)
        suggest_timings, _ = _timed_mix(connection, suggest_requests, rounds)
    every = [value for values in search_timings.values() for value in values]
    overall = summarize(every)
    per_query = {
        label: {
            **summarize(values),
            "count": orjson.loads(bodies[index])["count"],
        }
        for index, (label, values) in enumerate(search_timings.items())
    }
    suggestions = summarize(
        [value for values in suggest_timings.values() for value in values]
    )
    return {
        "benchmark": "search",
        "portal": server.settings,
        "estate": estate,
        "rows": catalog_estate.table_rows(url),
        "api": {
            **overall,
            "target_p95_ms": SEARCH_P95_TARGET_MS,
            "met": overall["p95_ms"] < SEARCH_P95_TARGET_MS,
        },
        "per_query": per_query,
        "suggest": suggestions,
        "baseline_sql_match": _baseline(url, rounds),
    }


BENCH_PASSWORD = "bench-consumer-password-1"
_PASSWORD_CODE = f"""
from django.contrib.auth import get_user_model
user = get_user_model().objects.get(username={catalog_estate.CONSUMER!r})
user.set_password({BENCH_PASSWORD!r})
user.save(update_fields=["password"])
"""


def _log_in(port: int) -> str:
    """Sign `bench-consumer` in through the login form; return the session id.

    The session is made by the server under test, because a session signed
    with another process's SECRET_KEY would be rejected.
    """
    manage("shell", "-c", _PASSWORD_CODE)
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request("GET", "/login/")
    response = connection.getresponse()
    form = response.read().decode()
    # The CSRF token may live in a cookie or in the session: send back both.
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    sent_cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if found is None:
        raise RuntimeError(
            f"GET /login/ gave HTTP {response.status} without a CSRF token: "
            f"{form[:300]!r}"
        )
    token = found.group(1)
    body = urlencode(
        {
            "username": catalog_estate.CONSUMER,
            "password": BENCH_PASSWORD,
            "csrfmiddlewaretoken": token,
        }
    )
    connection.request(
        "POST",
        "/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": sent_cookies,
        },
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    if response.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"Signing in failed with HTTP {response.status}.")
    return cookies["sessionid"].value


def _page_targets(url: str, count: int, seed: int) -> list[tuple[str, int]]:
    """(slug, dataset id) of products the consumer sees, with an output port."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT p.slug, port.dataset_id FROM catalog_dataproduct p"
            " JOIN catalog_outputport port ON port.product_id = p.id"
            " WHERE p.lifecycle <> 'draft' AND p.classification <> 'restricted'"
            " ORDER BY p.id"
        ).fetchall()
    return random.Random(seed).sample(rows, min(count, len(rows)))


def _load(port: int, requests: list[bytes], *, clients: int, duration: float | None):
    """Send `requests` round-robin from `clients` threads for `duration` seconds.

    When `duration` is None, each request is sent once. Return the seconds of
    every response and the count of each status.
    """
    began_at = time.monotonic()
    stop_at = began_at + (duration if duration is not None else float("inf"))
    timings: list[float] = []
    statuses: Counter = Counter()
    client_medians: list[float] = []
    lock = threading.Lock()

    def client(offset: int) -> None:
        mine, seen = [], Counter()
        with Connection(HOST, port) as connection:
            index = offset
            while time.monotonic() < stop_at:
                if duration is None and index >= len(requests):
                    break
                raw = requests[index % len(requests)]
                index += clients
                began = time.perf_counter()
                status, _ = connection.request(raw)
                mine.append(time.perf_counter() - began)
                seen[status] += 1
        with lock:
            timings.extend(mine)
            statuses.update(seen)
            if mine:
                client_medians.append(statistics.median(mine) * 1000)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = duration if duration is not None else time.monotonic() - began_at
    return {
        **summarize(timings),
        "requests_per_s": round(len(timings) / elapsed, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        # Each connection stays with one gunicorn worker: medians far apart
        # mean the workers got unequal shares of the connections.
        "client_median_ms": {
            "lowest": round(min(client_medians, default=0), 1),
            "highest": round(max(client_medians, default=0), 1),
        },
    }


def _empty_page_cache() -> None:
    """Point the portal at a cache of its own, emptied, so that no entry of an
    earlier run (of another estate with the same product ids) is served."""
    os.environ["CACHE_URL"] = BENCH_CACHE_URL
    redis.Redis.from_url(BENCH_CACHE_URL).flushdb()


def run_product_page(options) -> dict:
    url, estate = _estate(options)
    targets = _page_targets(url, 2_000, options.seed)
    # Pages need the hashed static files of the production settings.
    manage("collectstatic", "--noinput")
    _empty_page_cache()
    server = PortalServer(
        workers=options.workers,
        threads=options.threads,
        log_path=log_path("product-page"),
    )
    results = {}
    with server:
        cookie = {"Cookie": f"sessionid={_log_in(server.port)}"}
        product_pages = [
            build_request(
                "GET", options.product_page_path.format(slug=slug), headers=cookie
            )
            for slug, _ in targets
        ]
        # Every page once, with nothing cached yet: what the first reader of a
        # product waits for. It also fills the cache that the next phase reads.
        logger.info("Loading product_page_first_visit with %s clients", options.clients)
        results["product_page_first_visit"] = _load(
            server.port, product_pages, clients=options.clients, duration=None
        )
        phases = {
            "health": [build_request("GET", "/health")],
            "product_page": product_pages,
            "dataset_page": [
                build_request("GET", f"/datasets/{dataset_id}/", headers=cookie)
                for _, dataset_id in targets
            ],
        }
        for name, requests in phases.items():
            logger.info("Loading %s with %s clients", name, options.clients)
            _load(server.port, requests, clients=options.clients, duration=2)
            results[name] = _load(
                server.port,
                requests,
                clients=options.clients,
                duration=options.page_duration,
            )
    product = results["product_page"]
    served = product["statuses"].get("200", 0)
    product["target_p95_ms"] = PAGE_P95_TARGET_MS
    # A branch without the product page returns 404, so there is no verdict.
    product["met"] = (
        product["p95_ms"] < PAGE_P95_TARGET_MS if served == product["samples"] else None
    )
    return {
        "benchmark": "product-page",
        "portal": server.settings,
        "clients": options.clients,
        "duration_s": options.page_duration,
        "product_page_path": options.product_page_path,
        "estate": estate,
        **results,
    }
