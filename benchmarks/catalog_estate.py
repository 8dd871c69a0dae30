"""A generated catalog: 100,000 products over 1,000,000 dataset fields.

Everything is written with set-based SQL (`generate_series`), so the default
estate takes a minute or two rather than hours of ORM calls:
- 20 domains, 200 tags, 2,000 users (`bench_user_0001`, ...) and 20 groups;
- products named from a vocabulary ("Daily orders by region 004213"). Of
  them 80 % are published, 10 % drafts, 5 % deprecated and 5 % retired, and
  20 % public, 50 % internal, 20 % confidential and 10 % restricted. Each has
  two tags and a user owner. Three in ten have a user steward too, and one in
  ten a group steward;
- datasets in three namespaces, each with a current schema of ten fields (one
  in three has an `address` struct of three nested fields), and an older
  schema version for one in five; 90 % of them published by one product each;
- an ML feature for every other product;
- `bench-consumer`, who holds no role but is in a group granted
  `view_dataproduct` on 20 restricted products and stewards 50 products, so
  that the visibility rule has rows to read.

Then `rebuild_search_index` builds the search index. As a benchmark,
`catalog-estate` times each step and reports the row counts and sizes.
"""

import logging
import time

import psycopg

from benchmarks.portal import bench_database, manage

logger = logging.getLogger(__name__)

CONSUMER = "bench-consumer"
DOMAINS = (
    "Finance", "Sales", "Marketing", "Logistics", "People", "Risk", "Supply chain",
    "Customer", "Product", "Operations", "Legal", "Security", "Billing", "Support",
    "Growth", "Data platform", "Manufacturing", "Procurement", "Research",
    "Compliance",
)  # fmt: skip
NOUNS = (
    "orders", "invoices", "payments", "customers", "shipments", "revenue", "churn",
    "sessions", "clicks", "inventory", "returns", "refunds", "leads", "campaigns",
    "subscriptions", "claims", "tickets", "employees", "suppliers", "contracts",
    "forecasts", "margins", "transactions", "accounts", "devices",
)  # fmt: skip
QUALIFIERS = (
    "daily", "weekly", "monthly", "hourly", "realtime", "curated", "raw",
    "enriched", "aggregated", "snapshot",
)  # fmt: skip
DIMENSIONS = ("region", "country", "channel", "segment", "store", "product line")
FIELDS = (
    "order_id", "customer_id", "product_id", "amount", "currency", "created_at",
    "updated_at", "status", "quantity", "unit_price", "discount", "tax", "country",
    "region", "email", "phone", "first_name", "last_name", "session_id",
    "device_id", "event_time", "event_type", "campaign_id", "channel", "revenue",
    "cost", "margin", "invoice_id", "payment_method", "shipment_id", "carrier",
    "warehouse_id", "sku", "category", "score", "is_active", "account_id",
    "balance", "risk_score", "ticket_id", "priority", "employee_id", "department",
    "salary_band", "supplier_id", "contract_id", "forecast_value", "lat", "lon",
    "ip_address",
)  # fmt: skip
TYPES = ("bigint", "text", "numeric", "timestamp", "boolean")
NAMESPACES = ("postgres://warehouse.internal:5432", "s3://acme-lake", "bigquery")
USERS = 2_000
TAGS = 200
GROUPS = 20


def _array(values) -> str:
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"ARRAY[{quoted}]::text[]"


def _pick(values, index_sql: str) -> str:
    """SQL picking one of `values` by an integer expression."""
    return f"({_array(values)})[1 + (({index_sql}) %% {len(values)})]"


def _statements(products: int, datasets: int, fields_per_dataset: int) -> list:
    """(label, SQL) pairs that build the estate; `%(base_*)s` offset the ids."""
    published = datasets * 9 // 10
    field_json = f"""
        SELECT json_agg(CASE
            WHEN k = {fields_per_dataset} AND i %% 3 = 0 THEN json_build_object(
                'name', 'address', 'type', 'struct', 'fields', json_build_array(
                    json_build_object('name', 'street', 'type', 'text'),
                    json_build_object('name', 'city', 'type', 'text'),
                    json_build_object('name', 'postcode', 'type', 'text')))
            ELSE json_build_object(
                'name', {_pick(FIELDS, "i * 7 + k * 13")},
                'type', {_pick(TYPES, "i + k")})
            END ORDER BY k)
        FROM generate_series(1, %(fields)s - v) AS k
    """
    return [
        (
            "users",
            """INSERT INTO auth_user (id, password, is_superuser, username,
                first_name, last_name, email, is_staff, is_active, date_joined)
            SELECT %(base_user)s + i, '!', false,
                'bench_user_' || lpad(i::text, 4, '0'), '', '', '', false, true, now()
            FROM generate_series(1, %(users)s) AS i""",
        ),
        (
            "groups",
            """INSERT INTO auth_group (id, name)
            SELECT %(base_group)s + i, 'bench group ' || i
            FROM generate_series(1, %(groups)s) AS i""",
        ),
        (
            "domains",
            f"""INSERT INTO catalog_domain (id, name, slug, description,
                created_at, updated_at)
            SELECT %(base_domain)s + i, d.name, lower(replace(d.name, ' ', '-')),
                'The ' || d.name || ' domain.', now(), now()
            FROM unnest({_array(DOMAINS)}) WITH ORDINALITY AS d(name, i)""",
        ),
        (
            "tags",
            f"""INSERT INTO catalog_tag (id, name, description)
            SELECT %(base_tag)s + i, {_pick(NOUNS, "i")} || '-' || i, ''
            FROM generate_series(1, %(tags)s) AS i""",
        ),
        (
            "namespaces",
            f"""INSERT INTO lineage_namespace (id, name, first_seen_at)
            SELECT %(base_namespace)s + i, n.name, now()
            FROM unnest({_array(NAMESPACES)}) WITH ORDINALITY AS n(name, i)""",
        ),
        (
            "datasets",
            f"""INSERT INTO lineage_dataset (id, namespace_id, name, first_seen_at,
                last_event_time)
            SELECT %(base_dataset)s + i, %(base_namespace)s + 1 + i %% 3,
                'analytics.' || {_pick(NOUNS, "i")} || '_'
                    || {_pick(QUALIFIERS, "i / 25")} || '_' || lpad(i::text, 6, '0'),
                now() - interval '90 days', now()
            FROM generate_series(1, %(datasets)s) AS i""",
        ),
        (
            "schema versions",
            f"""INSERT INTO lineage_schemaversion (dataset_id, fingerprint, fields,
                first_seen_at, last_seen_at)
            SELECT %(base_dataset)s + i, md5(i || ':' || v) || md5(v || ':' || i),
                ({field_json}), now() - (v + 1) * interval '30 days',
                now() - v * interval '30 days'
            FROM generate_series(1, %(datasets)s) AS i,
                generate_series(0, CASE WHEN i %% 5 = 0 THEN 1 ELSE 0 END) AS v""",
        ),
        (
            "current schemas",
            """UPDATE lineage_dataset d SET current_schema_id = s.id,
                current_schema_time = s.last_seen_at
            FROM lineage_schemaversion s
            WHERE s.dataset_id = d.id AND s.last_seen_at > now() - interval '1 day'
                AND d.id > %(base_dataset)s""",
        ),
        (
            "products",
            f"""INSERT INTO catalog_dataproduct (id, name, slug, domain_id,
                description, lifecycle, classification, contains_personal_data,
                created_by_id, created_at, updated_at)
            SELECT %(base_product)s + i,
                initcap({_pick(QUALIFIERS, "i / 25")}) || ' ' || {_pick(NOUNS, "i")}
                    || ' by ' || {_pick(DIMENSIONS, "i / 7")} || ' '
                    || lpad(i::text, 6, '0'),
                'bench-product-' || i,
                %(base_domain)s + 1 + (i * 7) %% {len(DOMAINS)},
                'Curated ' || {_pick(NOUNS, "i + 3")} || ' and '
                    || {_pick(NOUNS, "i + 11")} || ' for ' || {_pick(DOMAINS, "i * 7")}
                    || ' reporting, refreshed ' || {_pick(QUALIFIERS, "i")} || '.',
                CASE WHEN i %% 20 < 16 THEN 'published' WHEN i %% 20 < 18 THEN 'draft'
                    WHEN i %% 20 = 18 THEN 'deprecated' ELSE 'retired' END,
                CASE WHEN i %% 10 < 2 THEN 'public' WHEN i %% 10 < 7 THEN 'internal'
                    WHEN i %% 10 < 9 THEN 'confidential' ELSE 'restricted' END,
                i %% 4 = 0, %(base_user)s + 1 + i %% %(users)s, now(), now()
            FROM generate_series(1, %(products)s) AS i""",
        ),
        (
            "product tags",
            """INSERT INTO catalog_dataproduct_tags (dataproduct_id, tag_id)
            SELECT %(base_product)s + i, %(base_tag)s + 1 + (i * t * 31) %% %(tags)s
            FROM generate_series(1, %(products)s) AS i, generate_series(1, 2) AS t
            ON CONFLICT DO NOTHING""",
        ),
        (
            "owners",
            """INSERT INTO catalog_ownership (product_id, role, user_id, created_at)
            SELECT %(base_product)s + i, 'owner', %(base_user)s + 1 + i %% %(users)s,
                now()
            FROM generate_series(1, %(products)s) AS i
            UNION ALL
            SELECT %(base_product)s + i, 'steward',
                %(base_user)s + 1 + (i * 13) %% %(users)s, now()
            FROM generate_series(1, %(products)s) AS i WHERE i %% 10 < 3""",
        ),
        (
            "group stewards",
            """INSERT INTO catalog_ownership (product_id, role, group_id, created_at)
            SELECT %(base_product)s + i, 'steward',
                %(base_group)s + 1 + i %% %(groups)s, now()
            FROM generate_series(1, %(products)s) AS i WHERE i %% 10 = 5""",
        ),
        (
            "output ports",
            """INSERT INTO catalog_outputport (product_id, dataset_id, description,
                created_at)
            SELECT %(base_product)s + 1 + (i - 1) %% %(products)s,
                %(base_dataset)s + i, '', now()
            FROM generate_series(1, %(published)s) AS i""",
        ),
        (
            "features",
            f"""INSERT INTO catalog_feature (product_id, name, entity, join_keys,
                value_type, description, source_column, created_at, updated_at)
            SELECT %(base_product)s + i,
                {_pick(FIELDS, "i")} || '_' || {_pick(QUALIFIERS, "i")} || '_avg',
                {_pick(("customer", "account", "device", "order"), "i")},
                jsonb_build_array({_pick(("customer_id", "account_id"), "i")}),
                'float64', 'Average ' || {_pick(FIELDS, "i")} || ' per entity.',
                {_pick(FIELDS, "i")}, now(), now()
            FROM generate_series(2, %(products)s, 2) AS i""",
        ),
    ], published


_CONSUMER_SQL = """
WITH consumer AS (
    INSERT INTO auth_user (password, is_superuser, username, first_name,
        last_name, email, is_staff, is_active, date_joined)
    VALUES ('!', false, %(consumer)s, '', '', '', false, true, now())
    RETURNING id
),
readers AS (
    INSERT INTO auth_group (name) VALUES ('bench readers') RETURNING id
),
membership AS (
    INSERT INTO auth_user_groups (user_id, group_id)
    SELECT consumer.id, readers.id FROM consumer, readers
),
grants AS (
    INSERT INTO catalog_dataproductgroupobjectpermission
        (permission_id, group_id, content_object_id)
    SELECT perm.id, readers.id, p.id
    FROM readers, auth_permission perm,
        (SELECT id FROM catalog_dataproduct WHERE classification = 'restricted'
         AND id > %(base_product)s ORDER BY id LIMIT 20) p
    WHERE perm.codename = 'view_dataproduct'
)
INSERT INTO catalog_ownership (product_id, role, user_id, created_at)
SELECT p.id, 'steward', consumer.id, now()
FROM consumer, (SELECT id FROM catalog_dataproduct WHERE id > %(base_product)s
    ORDER BY id DESC LIMIT 50) p
"""

_SEQUENCES = (
    "auth_user",
    "auth_group",
    "catalog_domain",
    "catalog_tag",
    "lineage_namespace",
    "lineage_dataset",
    "catalog_dataproduct",
)


def _bases(cursor) -> dict[str, int]:
    names = {
        "user": "auth_user",
        "group": "auth_group",
        "domain": "catalog_domain",
        "tag": "catalog_tag",
        "namespace": "lineage_namespace",
        "dataset": "lineage_dataset",
        "product": "catalog_dataproduct",
    }
    bases = {}
    for key, table in names.items():
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
        bases[f"base_{key}"] = cursor.fetchone()[0]
    return bases


def build_catalog_estate(
    cursor, *, products: int, datasets: int, fields_per_dataset: int = 10
) -> dict[str, float]:
    """Write the estate through a DB-API `cursor`; return seconds per step.

    Ids continue after the rows already there, so a test database with other
    rows works too. Signals do not fire: build the search index afterwards.
    """
    statements, published = _statements(products, datasets, fields_per_dataset)
    params = {
        **_bases(cursor),
        "users": USERS,
        "groups": GROUPS,
        "tags": TAGS,
        "products": products,
        "datasets": datasets,
        "published": published,
        "fields": fields_per_dataset,
        "consumer": CONSUMER,
    }
    seconds = {}
    for label, sql in statements:
        began = time.perf_counter()
        cursor.execute(sql, params)
        seconds[label] = round(time.perf_counter() - began, 2)
        logger.info("Wrote %s in %.1f s", label, seconds[label])
    # Identity columns continue after the explicit ids before more rows go in.
    for table in _SEQUENCES:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" (SELECT max(id) FROM {table}))"
        )
    cursor.execute(_CONSUMER_SQL, params)
    return seconds


def vacuum_analyze(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")


def table_rows(database_url: str) -> dict[str, int]:
    tables = (
        "catalog_dataproduct",
        "catalog_ownership",
        "catalog_outputport",
        "catalog_feature",
        "lineage_dataset",
        "lineage_schemaversion",
        "catalog_searchdocument",
    )
    with psycopg.connect(database_url) as connection:
        rows = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in tables
        }
        rows["current_schema_fields"] = connection.execute(
            "SELECT sum(json_array_length(s.fields)) FROM lineage_dataset d"
            " JOIN lineage_schemaversion s ON s.id = d.current_schema_id"
        ).fetchone()[0]
        rows["search_index_bytes"] = connection.execute(
            "SELECT pg_total_relation_size('catalog_searchdocument')"
        ).fetchone()[0]
    return rows


def prepare(options) -> tuple[str, dict]:
    """Recreate the benchmark database with the estate and its search index."""
    database_url = bench_database()
    began = time.perf_counter()
    with psycopg.connect(database_url) as connection:
        with connection.cursor() as cursor:
            steps = build_catalog_estate(
                cursor, products=options.products, datasets=options.datasets
            )
    generated = time.perf_counter() - began
    vacuum_analyze(database_url)
    began = time.perf_counter()
    logger.info("Building the search index")
    output = manage("rebuild_search_index")
    indexed = time.perf_counter() - began
    vacuum_analyze(database_url)
    timings = {
        "generate_s": round(generated, 1),
        "steps_s": steps,
        "search_index_s": round(indexed, 1),
        "rebuild_output": output.strip(),
    }
    return database_url, timings


def run(options) -> dict:
    database_url, timings = prepare(options)
    return {
        "benchmark": "catalog-estate",
        **timings,
        "rows": table_rows(database_url),
    }
