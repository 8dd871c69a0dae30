"""Check the query parameters of a search, shared by the API and the page.

Every problem raises SearchParamError naming the parameter, never a database
error: the text is limited in length, facet values must be known, paging is
bounded.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection

from catalog.models import DataProduct, Domain, SearchDocument, Tag

MAX_QUERY_CHARS = 200
MAX_VALUES_PER_FACET = 10
MAX_LIMIT = 50
DEFAULT_LIMIT = 20
# Ranked results past this offset are not worth the sort they cost.
MAX_OFFSET = 1000

CHOICES = {
    "kind": SearchDocument.Kind.values,
    "classification": DataProduct.Classification.values,
    "lifecycle": DataProduct.Lifecycle.values,
}
# Facets whose values name rows: checked against the database in one query.
LOOKUPS = {
    "domain": (Domain._meta.db_table, "slug"),
    "tag": (Tag._meta.db_table, "name"),
    "owner": (get_user_model()._meta.db_table, "username"),
}
FACETS = (*CHOICES, *LOOKUPS)


class SearchParamError(ValueError):
    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class SearchParams:
    q: str
    filters: dict[str, list[str]] = field(default_factory=dict)
    # The ids of the domains in filters["domain"].
    domain_ids: list[int] = field(default_factory=list)
    limit: int = DEFAULT_LIMIT
    offset: int = 0


def _number(query_params, name: str, *, default: int, low: int, high: int) -> int:
    raw = query_params.get(name, "")
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 20) or not (
        low <= int(raw) <= high
    ):
        raise SearchParamError(
            name,
            f"Invalid {name} {raw[:50]!r}: expected a whole number from {low} "
            f"to {high}.",
        )
    return int(raw)


def text_param(query_params, name: str, *, required: bool) -> str:
    """Read a search text without its leading spaces; a trailing space is kept,
    because it marks the last word as complete (no prefix matching)."""
    text = query_params.get(name, "").lstrip()
    if required and not text.strip():
        raise SearchParamError(name, f"Missing {name}: enter the words to search for.")
    if len(text) > MAX_QUERY_CHARS:
        raise SearchParamError(
            name,
            f"Invalid {name}: it has {len(text)} characters, the maximum is "
            f"{MAX_QUERY_CHARS}.",
        )
    return text


def _facet_values(query_params, name: str) -> list[str]:
    values = sorted({value for value in query_params.getlist(name) if value != ""})
    if len(values) > MAX_VALUES_PER_FACET:
        raise SearchParamError(
            name,
            f"Invalid {name}: {len(values)} values given, the maximum is "
            f"{MAX_VALUES_PER_FACET}.",
        )
    for value in values:
        if len(value) > MAX_QUERY_CHARS:
            raise SearchParamError(name, f"Unknown {name} {value[:50]!r}.")
    return values


def _check_lookups(filters: dict[str, list[str]]) -> list[int]:
    """Raise for the first domain, tag or owner that does not exist, else return
    the ids of the domains named (one query)."""
    requested = [(name, value) for name in LOOKUPS for value in filters.get(name, [])]
    if not requested:
        return []
    selects = " UNION ALL ".join(
        f"SELECT '{name}', {column}, id FROM {table} WHERE {column} = ANY(%s)"
        for name, (table, column) in LOOKUPS.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(selects, [filters.get(name, []) for name in LOOKUPS])
        rows = cursor.fetchall()
    found = {(name, value) for name, value, _ in rows}
    for name, value in requested:
        if (name, value) not in found:
            raise SearchParamError(name, f"Unknown {name} {value[:50]!r}.")
    return sorted(pk for name, _, pk in rows if name == "domain")


def parse_search_params(query_params, *, required: bool = True) -> SearchParams:
    """Read q, the facet filters, limit and offset from a QueryDict."""
    q = text_param(query_params, "q", required=required)
    filters = {}
    for name in FACETS:
        values = _facet_values(query_params, name)
        if name in CHOICES:
            for value in values:
                if value not in CHOICES[name]:
                    raise SearchParamError(
                        name,
                        f"Unknown {name} {value[:50]!r}: expected one of "
                        f"{', '.join(CHOICES[name])}.",
                    )
        if values:
            filters[name] = values
    domain_ids = _check_lookups(filters)
    limit = _number(query_params, "limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    offset = _number(query_params, "offset", default=0, low=0, high=MAX_OFFSET)
    return SearchParams(
        q=q, filters=filters, domain_ids=domain_ids, limit=limit, offset=offset
    )
