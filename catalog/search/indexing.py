"""Writes to the search index: one SearchDocument per product, dataset and feature.

Every function rebuilds documents from their sources with set-based SQL, so it
costs a few statements whatever the number of ids, and running it twice
changes nothing the second time.

Text is indexed with the `simple` text search configuration: it lowercases
words and neither stems them nor drops stop words. Names are identifiers, not
English: `order_id` must match `order_id`, `order` and `id`, and stemming would
also merge `orders` into `order` and drop a column named `a` or `by`.
Separators that PostgreSQL's parser would keep inside one token (the dots of
`address.city`, the slashes of a path, `:` and `@`) are turned into spaces
first, on both the documents and the queries (`catalog.search.query`), so that
every part of a dotted or slashed name is a word of its own.

Weights: A is the name, B the tags, owners, domain and field names, C the
description and, for products, the names of the datasets they publish.
"""

import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction

from catalog.models import (
    DataProduct,
    Domain,
    Feature,
    OutputPort,
    Ownership,
    SearchDocument,
    Tag,
)
from lineage.models import Dataset, Namespace, SchemaVersion

logger = logging.getLogger(__name__)

# Characters turned into spaces before the parser sees a name; the query side
# uses the same set.
SEPARATORS = "._/:@-"
# Snippets are cut from at most this many characters of a description.
BODY_CHARS = 10_000
# Each weighted part of a document indexes at most this many characters. A
# tsvector holds at most 1 MB, and a dataset with 100,000 fields or a long
# description would otherwise fail to index, and with it its whole batch.
INDEXED_CHARS = 100_000

_DOCUMENT = SearchDocument._meta.db_table
_PRODUCT = DataProduct._meta.db_table
_PRODUCT_TAGS = DataProduct.tags.through._meta.db_table
_TAG = Tag._meta.db_table
_DOMAIN = Domain._meta.db_table
_OWNERSHIP = Ownership._meta.db_table
_USER = get_user_model()._meta.db_table
_GROUP = Group._meta.db_table
_PORT = OutputPort._meta.db_table
_FEATURE = Feature._meta.db_table
_DATASET = Dataset._meta.db_table
_NAMESPACE = Namespace._meta.db_table
_SCHEMA = SchemaVersion._meta.db_table


def _words(expression: str) -> str:
    """SQL for the text of `expression` with separators turned into spaces."""
    spaces = " " * len(SEPARATORS)
    return f"translate(coalesce({expression}, ''), '{SEPARATORS}', '{spaces}')"


def _weighted(weight: str, expression: str) -> str:
    text = f"left({_words(expression)}, {INDEXED_CHARS})"
    return f"setweight(to_tsvector('simple', {text}), '{weight}')"


_UPSERT = """
ON CONFLICT (kind, object_id) DO UPDATE SET
    product_id = EXCLUDED.product_id,
    domain_id = EXCLUDED.domain_id,
    title = EXCLUDED.title,
    subtitle = EXCLUDED.subtitle,
    body = EXCLUDED.body,
    classification = EXCLUDED.classification,
    lifecycle = EXCLUDED.lifecycle,
    tags = EXCLUDED.tags,
    owners = EXCLUDED.owners,
    open_to_all = EXCLUDED.open_to_all,
    search_vector = EXCLUDED.search_vector,
    schema_version_id = EXCLUDED.schema_version_id,
    updated_at = EXCLUDED.updated_at
"""

_COLUMNS = """
INSERT INTO {document} (
    kind, object_id, product_id, domain_id, title, subtitle, body,
    classification, lifecycle, tags, owners, open_to_all, search_vector,
    schema_version_id, updated_at
)
"""

# `%(all)s` selects every product, otherwise those in `%(ids)s`.
_PRODUCTS_SQL = (
    f"""
WITH target AS (
    SELECT p.id, p.name, p.description, p.domain_id, p.classification,
        p.lifecycle, d.name AS domain_name
    FROM {_PRODUCT} p JOIN {_DOMAIN} d ON d.id = p.domain_id
    WHERE %(all)s OR p.id = ANY(%(ids)s)
),
tags AS (
    SELECT pt.dataproduct_id AS product_id, array_agg(t.name ORDER BY t.name) AS names
    FROM {_PRODUCT_TAGS} pt JOIN {_TAG} t ON t.id = pt.tag_id
    WHERE pt.dataproduct_id IN (SELECT id FROM target)
    GROUP BY 1
),
holders AS (
    SELECT o.product_id,
        array_agg(DISTINCT u.username) FILTER (WHERE u.username IS NOT NULL)
            AS usernames,
        string_agg(DISTINCT g.name, ' ') AS group_names
    FROM {_OWNERSHIP} o
    LEFT JOIN {_USER} u ON u.id = o.user_id
    LEFT JOIN {_GROUP} g ON g.id = o.group_id
    WHERE o.product_id IN (SELECT id FROM target)
    GROUP BY 1
),
published AS (
    SELECT port.product_id,
        string_agg(catalog_schema_field_paths(s.fields), ' ') AS field_paths,
        string_agg(ds.name, ' ') AS dataset_names
    FROM {_PORT} port
    JOIN {_DATASET} ds ON ds.id = port.dataset_id
    LEFT JOIN {_SCHEMA} s ON s.id = ds.current_schema_id
    WHERE port.product_id IN (SELECT id FROM target)
    GROUP BY 1
)
"""
    + _COLUMNS.format(document=_DOCUMENT)
    + f"""
SELECT 'product', t.id, t.id, t.domain_id, t.name, t.domain_name,
    left(t.description, {BODY_CHARS}), t.classification, t.lifecycle,
    coalesce(tags.names, '{{}}'), coalesce(h.usernames, '{{}}'),
    t.lifecycle <> 'draft' AND t.classification <> 'restricted',
    {_weighted("A", "t.name")}
    || {
        _weighted(
            "B",
            "concat_ws(' ', array_to_string(tags.names, ' '), "
            "array_to_string(h.usernames, ' '), h.group_names, t.domain_name, "
            "pub.field_paths)",
        )
    }
    || {_weighted("C", "concat_ws(' ', t.description, pub.dataset_names)")},
    NULL, now()
FROM target t
LEFT JOIN tags ON tags.product_id = t.id
LEFT JOIN holders h ON h.product_id = t.id
LEFT JOIN published pub ON pub.product_id = t.id
"""
    + _UPSERT
)

# Features copy their facets from their product's document, so products are
# indexed first.
_FEATURES_SQL = (
    _COLUMNS.format(document=_DOCUMENT)
    + f"""
SELECT 'feature', f.id, f.product_id, pd.domain_id, f.name, pd.title,
    left(f.description, {BODY_CHARS}), pd.classification, pd.lifecycle,
    pd.tags, pd.owners, pd.open_to_all,
    {_weighted("A", "f.name")}
    || {
        _weighted(
            "B",
            "concat_ws(' ', f.entity, f.source_column, "
            "CASE WHEN jsonb_typeof(f.join_keys) = 'array' THEN "
            "(SELECT string_agg(key, ' ') "
            "FROM jsonb_array_elements_text(f.join_keys) AS key) END)",
        )
    }
    || {_weighted("C", "concat_ws(' ', f.description, pd.title)")},
    NULL, now()
FROM {_FEATURE} f
JOIN {_DOCUMENT} pd ON pd.kind = 'product' AND pd.object_id = f.product_id
WHERE %(all)s OR f.product_id = ANY(%(product_ids)s) OR f.id = ANY(%(ids)s)
"""
    + _UPSERT
)

# Datasets copy the facets of the product that publishes them. Aliases are not
# indexed: search finds the canonical dataset. With %(stale)s, only datasets
# whose document is missing or built from another schema version are written.
_DATASETS_SQL = (
    f"""
WITH target AS (
    SELECT ds.id, ds.name, ns.name AS namespace, ds.current_schema_id,
        catalog_schema_field_paths(s.fields) AS field_paths
    FROM {_DATASET} ds
    JOIN {_NAMESPACE} ns ON ns.id = ds.namespace_id
    LEFT JOIN {_SCHEMA} s ON s.id = ds.current_schema_id
    WHERE ds.canonical_id IS NULL
        AND (%(all)s OR ds.id = ANY(%(ids)s))
        AND NOT (%(stale)s AND EXISTS (
            SELECT 1 FROM {_DOCUMENT} old
            WHERE old.kind = 'dataset' AND old.object_id = ds.id
                AND old.schema_version_id IS NOT DISTINCT FROM ds.current_schema_id
        ))
)
"""
    + _COLUMNS.format(document=_DOCUMENT)
    + f"""
SELECT 'dataset', t.id, port.product_id, pd.domain_id, t.name, t.namespace,
    left(t.field_paths, {BODY_CHARS}), coalesce(pd.classification, ''),
    coalesce(pd.lifecycle, ''), coalesce(pd.tags, '{{}}'),
    coalesce(pd.owners, '{{}}'), coalesce(pd.open_to_all, true),
    {_weighted("A", "t.name")}
    || {_weighted("B", "t.field_paths")}
    || {_weighted("C", "concat_ws(' ', t.namespace, pd.title)")},
    t.current_schema_id, now()
FROM target t
LEFT JOIN {_PORT} port ON port.dataset_id = t.id
LEFT JOIN {_DOCUMENT} pd ON pd.kind = 'product' AND pd.object_id = port.product_id
"""
    + _UPSERT
    + " RETURNING product_id"
)


def _ids(values: Iterable[int]) -> list[int]:
    return sorted({int(value) for value in values})


@transaction.atomic
def search_index_products(*, product_ids: Iterable[int]) -> None:
    """Rewrite the documents of products, their features and published datasets.

    Products that no longer exist lose their documents and those of their
    features; datasets they published keep theirs, without the product.
    """
    ids = _ids(product_ids)
    if not ids:
        return
    params = {"all": False, "ids": ids, "product_ids": ids}
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_DOCUMENT} d WHERE d.kind IN ('product', 'feature')"
            f" AND d.product_id = ANY(%s) AND NOT EXISTS ("
            f"SELECT 1 FROM {_FEATURE} f WHERE d.kind = 'feature'"
            f" AND f.id = d.object_id AND f.product_id = d.product_id)"
            f" AND NOT EXISTS (SELECT 1 FROM {_PRODUCT} p WHERE d.kind = 'product'"
            f" AND p.id = d.object_id)",
            [ids],
        )
        cursor.execute(_PRODUCTS_SQL, params)
        cursor.execute(_FEATURES_SQL, {**params, "ids": []})
        # The datasets the products publish now, and those they published before.
        cursor.execute(
            f"SELECT dataset_id FROM {_PORT} WHERE product_id = ANY(%s)"
            f" UNION SELECT object_id FROM {_DOCUMENT}"
            f" WHERE kind = 'dataset' AND product_id = ANY(%s)",
            [ids, ids],
        )
        dataset_ids = [row[0] for row in cursor.fetchall()]
    _index_datasets(dataset_ids, stale_only=False)
    logger.debug("Indexed products %s", ids)


@transaction.atomic
def search_index_features(*, feature_ids: Iterable[int]) -> None:
    """Rewrite the documents of features; deleted features lose theirs."""
    ids = _ids(feature_ids)
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_DOCUMENT} d WHERE d.kind = 'feature'"
            f" AND d.object_id = ANY(%s) AND NOT EXISTS ("
            f"SELECT 1 FROM {_FEATURE} f WHERE f.id = d.object_id)",
            [ids],
        )
        cursor.execute(_FEATURES_SQL, {"all": False, "ids": ids, "product_ids": []})


def search_index_datasets(
    *, dataset_ids: Iterable[int], stale_only: bool = False
) -> list[int]:
    """Rewrite the documents of lineage datasets and return the ids of the
    products whose documents must follow (those publishing a changed schema).

    With `stale_only`, a dataset whose document was built from its current
    schema version is left alone: new OpenLineage events mostly repeat it.
    """
    ids = _ids(dataset_ids)
    if not ids:
        return []
    with transaction.atomic():
        product_ids = _index_datasets(ids, stale_only=stale_only)
    return product_ids


def _index_datasets(ids: list[int], *, stale_only: bool) -> list[int]:
    if not ids:
        return []
    with connection.cursor() as cursor:
        # Deleted datasets, and datasets that became aliases of another one.
        cursor.execute(
            f"DELETE FROM {_DOCUMENT} d WHERE d.kind = 'dataset'"
            f" AND d.object_id = ANY(%s) AND NOT EXISTS ("
            f"SELECT 1 FROM {_DATASET} ds WHERE ds.id = d.object_id"
            f" AND ds.canonical_id IS NULL)",
            [ids],
        )
        cursor.execute(_DATASETS_SQL, {"all": False, "ids": ids, "stale": stale_only})
        return sorted({row[0] for row in cursor.fetchall() if row[0] is not None})


@transaction.atomic
def search_index_rebuild() -> dict[str, int]:
    """Rebuild the whole index from the catalog and lineage; return row counts.

    TRUNCATE holds an exclusive lock until the commit, so searches wait for the
    new index rather than see a half-built one.
    """
    every = {"all": True, "ids": [], "product_ids": [], "stale": False}
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {_DOCUMENT}")
        cursor.execute(_PRODUCTS_SQL, every)
        cursor.execute(_FEATURES_SQL, every)
        cursor.execute(_DATASETS_SQL, every)
        cursor.execute(
            f"SELECT kind, count(*) FROM {_DOCUMENT} GROUP BY kind ORDER BY kind"
        )
        counts = dict(cursor.fetchall())
    logger.info("Rebuilt the search index: %s", counts)
    return counts
