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

_REACH_SQL = """
WITH RECURSIVE reach(dataset_id) AS (
    SELECT dataset_id FROM catalog_outputport WHERE product_id = %(product)s
    UNION
    SELECT next_edge.dataset_id
    FROM reach
    JOIN lineage_lineageedge edge
        ON edge.dataset_id = reach.dataset_id AND edge.direction = %(from_dir)s
    JOIN lineage_lineageedge next_edge
        ON next_edge.job_id = edge.job_id AND next_edge.direction = %(to_dir)s
    WHERE %(transitive)s OR NOT EXISTS (
        SELECT 1 FROM catalog_outputport other
        WHERE other.dataset_id = reach.dataset_id
          AND other.product_id <> %(product)s
    )
)
SELECT DISTINCT port.product_id
FROM reach JOIN catalog_outputport port ON port.dataset_id = reach.dataset_id
WHERE port.product_id <> %(product)s
"""

# Walking downstream, a dataset is read (`input` edge) by a job that writes
# (`output` edge) the next dataset; upstream is the reverse.
_DOWNSTREAM = {"from_dir": "input", "to_dir": "output"}
_UPSTREAM = {"from_dir": "output", "to_dir": "input"}


def _reached_product_ids(product: DataProduct, steps: dict, transitive: bool) -> list:
    with connection.cursor() as cursor:
        cursor.execute(
            _REACH_SQL, {"product": product.pk, "transitive": transitive, **steps}
        )
        return [row[0] for row in cursor.fetchall()]


def input_products(product: DataProduct) -> QuerySet[DataProduct]:
    """Return the nearest products upstream: those this product is built from."""
    ids = _reached_product_ids(product, _UPSTREAM, transitive=False)
    return DataProduct.objects.filter(pk__in=ids)


def consumer_products(product: DataProduct) -> QuerySet[DataProduct]:
    """Return the nearest products downstream: those built from this one."""
    ids = _reached_product_ids(product, _DOWNSTREAM, transitive=False)
    return DataProduct.objects.filter(pk__in=ids)


def downstream_products(product: DataProduct) -> QuerySet[DataProduct]:
    """Return every product downstream, however far: those a breach here may
    affect."""
    ids = _reached_product_ids(product, _DOWNSTREAM, transitive=True)
    return DataProduct.objects.filter(pk__in=ids)
