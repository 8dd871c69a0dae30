"""Every write to a product's ML features.

A feature names its source as a lineage dataset (namespace and name, resolved
to the canonical dataset) and, optionally, a column of it. When the dataset
has a current schema, the column must be one of its fields; nested fields are
named with dots ("address.city").
"""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from catalog.models import DataProduct, Feature
from catalog.selectors import canonical_dataset
from catalog.services import UNSET, locked_copy
from lineage.models import Dataset

logger = logging.getLogger(__name__)


def schema_field_names(fields) -> set[str]:
    """Dotted names of every field of an OpenLineage schema, nested ones too."""
    names = set()
    pending = [("", fields)]
    while pending:
        prefix, level = pending.pop()
        if not isinstance(level, list):
            continue
        for field in level:
            if not isinstance(field, dict) or not isinstance(field.get("name"), str):
                continue
            name = f"{prefix}{field['name']}"
            names.add(name)
            pending.append((f"{name}.", field.get("fields")))
    return names


def _check_join_keys(join_keys) -> list[str]:
    if not isinstance(join_keys, list) or not join_keys:
        raise ValidationError({"join_keys": "Give at least one join key."})
    if not all(isinstance(key, str) and key.strip() for key in join_keys):
        raise ValidationError({"join_keys": "Every join key must be a non-empty name."})
    duplicates = sorted({key for key in join_keys if join_keys.count(key) > 1})
    if duplicates:
        repeated = ", ".join(duplicates)
        raise ValidationError(
            {"join_keys": f"Join keys must be distinct: {repeated} repeats."}
        )
    return join_keys


def _source_dataset(namespace: str, name: str) -> Dataset | None:
    if not namespace and not name:
        return None
    if not (namespace and name):
        raise ValidationError(
            {"source_dataset": "Give both the namespace and the name of the dataset."}
        )
    dataset = canonical_dataset(namespace, name)
    if dataset is None:
        raise ValidationError(
            {
                "source_dataset": f"Dataset {name!r} not found in namespace "
                f"{namespace!r}."
            }
        )
    return dataset


def _check_source_column(feature: Feature) -> None:
    column = feature.source_column
    if not column:
        return
    if feature.source_dataset is None:
        raise ValidationError(
            {"source_column": "Name the source dataset that this column belongs to."}
        )
    schema = feature.source_dataset.current_schema
    if schema is not None and column not in schema_field_names(schema.fields):
        raise ValidationError(
            {
                "source_column": f"Column {column!r} is not in the current schema "
                f"of {feature.source_dataset}."
            }
        )


def _check_and_save(feature: Feature) -> None:
    _check_join_keys(feature.join_keys)
    if feature.freshness is not None and feature.freshness <= timedelta(0):
        raise ValidationError({"freshness": "Freshness must be longer than zero."})
    _check_source_column(feature)
    duplicate = Feature.objects.filter(product=feature.product, name=feature.name)
    if duplicate.exclude(pk=feature.pk).exists():
        raise ValidationError(
            {"name": f"This product already has a feature named {feature.name!r}."}
        )
    # Uniqueness was checked above, with a message that names the feature.
    feature.full_clean(validate_unique=False, validate_constraints=False)
    feature.save()


@transaction.atomic
def feature_create(
    *,
    product: DataProduct,
    name: str,
    entity: str,
    join_keys: list[str],
    value_type: str,
    description: str = "",
    source_namespace: str = "",
    source_name: str = "",
    source_column: str = "",
    freshness: timedelta | None = None,
) -> Feature:
    """Describe an ML feature that a product serves."""
    feature = Feature(
        product=product,
        name=name,
        entity=entity,
        join_keys=join_keys,
        value_type=value_type,
        description=description,
        source_dataset=_source_dataset(source_namespace, source_name),
        source_column=source_column,
        freshness=freshness,
    )
    _check_and_save(feature)
    logger.info("Created feature %s of product %s", feature.pk, product.pk)
    return feature


@transaction.atomic
def feature_update(
    *, feature: Feature, source_namespace=UNSET, source_name=UNSET, **changes
) -> Feature:
    """Change a feature's fields.

    The source dataset changes only when `source_namespace` or `source_name` is
    given; an empty pair clears it. The column is checked against the dataset
    the feature ends up with.
    """
    locked_copy(feature)
    if source_namespace is not UNSET or source_name is not UNSET:
        current = feature.source_dataset
        if source_namespace is UNSET:
            source_namespace = current.namespace.name if current else ""
        if source_name is UNSET:
            source_name = current.name if current else ""
        feature.source_dataset = _source_dataset(source_namespace, source_name)
    for name, value in changes.items():
        setattr(feature, name, value)
    _check_and_save(feature)
    logger.info("Updated feature %s: %s", feature.pk, sorted(changes))
    return feature


@transaction.atomic
def feature_delete(*, feature: Feature) -> None:
    logger.info("Deleting feature %s of product %s", feature.pk, feature.product_id)
    feature.delete()
