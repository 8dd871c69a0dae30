"""Lineage between data products, found through the datasets their ports publish.

A product's inputs are the nearest products upstream of its ports' datasets:
the walk goes through jobs and datasets that no product publishes and stops at
the first port of another product on each path. Its consumers are found the
same way downstream. The walk is one recursive query over the lineage edges;
UNION drops datasets already reached, so cycles end it.
"""

from django.db import connection
from django.db.models import QuerySet

from catalog.models import DataProduct


def _reach_cte(name: str, *, from_dir: str, to_dir: str, transitive: bool) -> str:
    """Return a recursive CTE `name(dataset_id)` of the datasets reached from
    the product's ports.

    Walking downstream, a dataset is read (`input` edge) by a job that writes
    (`output` edge) the next dataset, and upstream is the reverse. Unless
    `transitive`, the walk stops at datasets another product publishes.
    """
    stop = (
        ""
        if transitive
        else (
            f"WHERE NOT EXISTS (SELECT 1 FROM catalog_outputport other"
            f" WHERE other.dataset_id = {name}.dataset_id"
            f" AND other.product_id <> %(product)s)"
        )
    )
    return f"""{name}(dataset_id) AS (
    SELECT dataset_id FROM catalog_outputport WHERE product_id = %(product)s
    UNION
    SELECT next_edge.dataset_id
    FROM {name}
    JOIN lineage_lineageedge edge
        ON edge.dataset_id = {name}.dataset_id AND edge.direction = '{from_dir}'
    JOIN lineage_lineageedge next_edge
        ON next_edge.job_id = edge.job_id AND next_edge.direction = '{to_dir}'
    {stop}
)"""


def _products_reached(name: str) -> str:
    return (
        f"SELECT DISTINCT '{name}', port.product_id FROM {name}"
        f" JOIN catalog_outputport port ON port.dataset_id = {name}.dataset_id"
        " WHERE port.product_id <> %(product)s"
    )


_UPSTREAM = {"from_dir": "output", "to_dir": "input"}
_DOWNSTREAM = {"from_dir": "input", "to_dir": "output"}

# Both directions in one statement: the product page reads both.
_NEAREST_SQL = (
    "WITH RECURSIVE "
    + _reach_cte("upstream", transitive=False, **_UPSTREAM)
    + ", "
    + _reach_cte("downstream", transitive=False, **_DOWNSTREAM)
    + " "
    + _products_reached("upstream")
    + " UNION ALL "
    + _products_reached("downstream")
)
_ALL_DOWNSTREAM_SQL = (
    "WITH RECURSIVE "
    + _reach_cte("downstream", transitive=True, **_DOWNSTREAM)
    + " "
    + _products_reached("downstream")
)


def _reached(sql: str, product: DataProduct) -> dict[str, list[int]]:
    reached = {"upstream": [], "downstream": []}
    with connection.cursor() as cursor:
        cursor.execute(sql, {"product": product.pk})
        for direction, product_id in cursor.fetchall():
            reached[direction].append(product_id)
    return reached


def nearest_product_ids(product: DataProduct) -> tuple[list[int], list[int]]:
    """Return the ids of the nearest products upstream (those this product is
    built from) and downstream (those built from it)."""
    reached = _reached(_NEAREST_SQL, product)
    return reached["upstream"], reached["downstream"]


def downstream_products(product: DataProduct) -> QuerySet[DataProduct]:
    """Return every product downstream, however far: those a breach here may
    affect."""
    ids = _reached(_ALL_DOWNSTREAM_SQL, product)["downstream"]
    return DataProduct.objects.filter(pk__in=ids)
