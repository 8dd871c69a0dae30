"""Read the search index: ranked results, facet counts and suggestions.

Visibility is `catalog.selectors.products_visible_to`, written over the
documents' own columns so that it costs no join per match: admins and
auditors see every document; anyone else sees documents marked `open_to_all`
(products that are neither drafts nor restricted, their features and
datasets, and datasets no product publishes) plus those of the products they
hold a role on or were granted `view_dataproduct` on, directly or through a
group. `tests/catalog/test_search_visibility.py` checks both rules agree.

A search costs one query whatever the data size: it reads at most MAX_MATCHES
matching documents, plus any named exactly as the query.
"""

import re
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse

from catalog.models import (
    DataProduct,
    DataProductGroupObjectPermission,
    DataProductUserObjectPermission,
    Domain,
    Ownership,
    SearchDocument,
)
from catalog.search.params import SearchParams
from catalog.search.query import parse_query, tsquery_sql
from catalog.selectors import VIEW_PERMISSION, sees_every_product

MAX_SUGGESTIONS = 10
# Shorter text is matched at the start of titles only: the trigram index that
# serves "contains" needs three characters.
MIN_CONTAINS_CHARS = 3
# Matches read per search. Without a bound, a word found in a tenth of a large
# catalog costs reading, ranking and counting tens of thousands of rows. Past
# this many, people narrow the search rather than page through it.
MAX_MATCHES = 1000
# Values listed per facet, the most frequent first.
FACET_VALUES = 20
# ts_rank_cd weights of D, C, B and A: a name match outranks the rest.
RANK_WEIGHTS = "{0.05, 0.2, 0.4, 1.0}"
# Marks around matched words in ts_headline output: control characters that
# are removed from the source text first, so that text cannot fake them.
_START, _STOP = "\x02", "\x03"
# html.escape(quote=True), in SQL: "&" first.
_ENTITIES = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("'", "&#x27;"),
)
_CUT_ENTITY = re.compile(r"&[#\w]*$")
_HEADLINE_OPTIONS = (
    f"StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=12, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)

_DOCUMENT = SearchDocument._meta.db_table
_PRODUCT = DataProduct._meta.db_table
_DOMAIN = Domain._meta.db_table
_OWNERSHIP = Ownership._meta.db_table
_USER_GROUPS = Group.user_set.through._meta.db_table
_USER_GRANT = DataProductUserObjectPermission._meta.db_table
_GROUP_GRANT = DataProductGroupObjectPermission._meta.db_table

# Each branch reads an index, and the planner cannot turn an OR into that.
_MEMBER_PRODUCTS_SQL = f"""
    SELECT o.product_id FROM {_OWNERSHIP} o WHERE o.user_id = %(user)s
    UNION ALL
    SELECT o.product_id FROM {_OWNERSHIP} o
    JOIN {_USER_GROUPS} ug ON ug.group_id = o.group_id
    WHERE ug.user_id = %(user)s
    UNION ALL
    SELECT g.content_object_id FROM {_USER_GRANT} g
    JOIN auth_permission perm ON perm.id = g.permission_id
    WHERE g.user_id = %(user)s AND perm.codename = %(codename)s
    UNION ALL
    SELECT g.content_object_id FROM {_GROUP_GRANT} g
    JOIN auth_permission perm ON perm.id = g.permission_id
    JOIN {_USER_GROUPS} ug ON ug.group_id = g.group_id
    WHERE ug.user_id = %(user)s AND perm.codename = %(codename)s
"""


@dataclass
class SearchHit:
    kind: str
    object_id: int
    title: str
    title_html: str
    snippet_html: str
    url: str
    subtitle: str
    product: dict | None
    domain: dict | None


@dataclass
class SearchResult:
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[dict]] = field(default_factory=dict)
    # True when more documents match than were read (MAX_MATCHES): `total` and
    # the facet counts are then lower bounds.
    truncated: bool = False


def visibility_sql(user) -> tuple[str, dict]:
    """Return a SQL condition on documents `d` that keeps those `user` may see."""
    if user is None or not user.is_authenticated:
        return "false", {}
    if sees_every_product(user):
        return "true", {}
    user_pk = getattr(user, "pk", None)
    if user_pk is None:
        # An API key that acts for no user.
        return "d.open_to_all", {}
    condition = f"(d.open_to_all OR d.product_id IN ({_MEMBER_PRODUCTS_SQL}))"
    return condition, {"user": user_pk, "codename": VIEW_PERMISSION}


def _filters_sql(
    filters: dict[str, list[str]], domain_ids: list[int]
) -> tuple[str, dict]:
    conditions, params = [], {}
    columns = {"kind": "d.kind", "classification": "d.classification"}
    columns["lifecycle"] = "d.lifecycle"
    for name, column in columns.items():
        if name in filters:
            conditions.append(f"{column} = ANY(%({name})s)")
            params[name] = filters[name]
    if "domain" in filters:
        # Ids rather than a subquery on slugs, so the planner can combine the
        # domain index with the text match.
        conditions.append("d.domain_id = ANY(%(domain_ids)s)")
        params["domain_ids"] = domain_ids
    for name, column in (("tag", "d.tags"), ("owner", "d.owners")):
        if name in filters:
            conditions.append(f"{column} && %({name})s::text[]")
            params[name] = filters[name]
    return "".join(f" AND {condition}" for condition in conditions), params


def _matches_sql(user, params: SearchParams) -> tuple[str, str, dict] | None:
    """Return the tsquery, the condition on visible and filtered documents, and
    their parameters, or None when nothing can match."""
    parsed = parse_query(params.q)
    if parsed.is_empty:
        return None
    tsquery, tsquery_params = tsquery_sql(parsed)
    # Named parameters throughout: number the tsquery's.
    for index in range(len(tsquery_params)):
        tsquery = tsquery.replace("%s", f"%(tsquery_{index})s", 1)
    visible, sql_params = visibility_sql(user)
    filters, filter_params = _filters_sql(params.filters, params.domain_ids)
    sql_params.update(filter_params)
    sql_params.update(
        {f"tsquery_{index}": value for index, value in enumerate(tsquery_params)}
    )
    return tsquery, visible + filters, sql_params


def _marked_html(text: str) -> str:
    """Turn the marks in ts_headline output of escaped text into <mark> elements.

    ts_headline ends a fragment after its last word, which may cut an entity
    such as `&gt;` short: the cut entity is dropped.
    """
    text = _CUT_ENTITY.sub("", text or "")
    return text.replace(_START, "<mark>").replace(_STOP, "</mark>")


def _url(kind: str, object_id: int, product_slug: str | None) -> str:
    if kind == SearchDocument.Kind.DATASET:
        return reverse("lineage:dataset-detail", args=[object_id])
    url = reverse("catalog:product-detail", args=[product_slug])
    return url + ("#features" if kind == SearchDocument.Kind.FEATURE else "")


def _escaped_sql(column: str) -> str:
    """SQL for html.escape(column), with the highlight marks removed first.

    Escaping comes before ts_headline, which drops what looks like HTML tags
    when it cuts fragments, so its output contains no markup but the marks.
    """
    escaped = f"translate({column}, '{_START}{_STOP}', '')"
    for character, entity in _ENTITIES:
        literal = character.replace("'", "''")
        escaped = f"replace({escaped}, '{literal}', '{entity}')"
    return escaped


# One statement: the visible matches (at most MAX_MATCHES, plus documents
# named exactly as the query), then the ranked page with highlights and the
# facet counts over every match, as two JSON arrays.
_SEARCH_SQL = f"""
WITH q AS MATERIALIZED (SELECT {{tsquery}} AS query),
found AS (
    (SELECT d.id FROM {_DOCUMENT} d
     WHERE left(lower(d.title), 200) = left(lower(%(exact)s), 200)
        AND lower(d.title) = lower(%(exact)s) AND {{condition}}
     LIMIT %(max_matches)s)
    UNION
    (SELECT d.id FROM {_DOCUMENT} d, q
     WHERE d.search_vector @@ q.query AND {{condition}}
     LIMIT %(max_matches)s)
),
matched AS MATERIALIZED (
    SELECT d.kind, d.object_id, d.title, d.subtitle, d.body, d.product_id,
        d.domain_id, d.classification, d.lifecycle, d.tags, d.owners,
        lower(d.title) = lower(%(exact)s) AS exact,
        ts_rank_cd(%(weights)s, d.search_vector, q.query) AS rank
    FROM {_DOCUMENT} d, q
    WHERE d.id IN (SELECT id FROM found)
),
page AS (
    SELECT * FROM matched
    ORDER BY exact DESC, rank DESC, title, kind, object_id
    LIMIT %(limit)s OFFSET %(offset)s
),
counted AS (
    SELECT 'kind' AS facet, kind AS value, count(*) AS n
    FROM matched GROUP BY kind
    UNION ALL
    SELECT 'domain', domain_id::text, count(*)
    FROM matched WHERE domain_id IS NOT NULL GROUP BY domain_id
    UNION ALL
    SELECT 'classification', classification, count(*)
    FROM matched WHERE classification <> '' GROUP BY classification
    UNION ALL
    SELECT 'lifecycle', lifecycle, count(*)
    FROM matched WHERE lifecycle <> '' GROUP BY lifecycle
    UNION ALL
    SELECT 'tag', tag, count(*) FROM matched, unnest(tags) AS tag GROUP BY tag
    UNION ALL
    SELECT 'owner', owner, count(*)
    FROM matched, unnest(owners) AS owner GROUP BY owner
),
ranked AS (
    SELECT facet, value, n,
        row_number() OVER (PARTITION BY facet ORDER BY n DESC, value) AS place
    FROM counted
)
SELECT
    (SELECT count(*) FROM found),
    (SELECT json_agg(json_build_array(
        page.kind, page.object_id, page.title, page.subtitle,
        ts_headline('simple', {_escaped_sql("page.title")}, q.query,
            %(title_options)s),
        ts_headline('simple', {_escaped_sql("page.body")}, q.query, %(options)s),
        p.slug, p.name, dom.slug, dom.name)
        ORDER BY page.exact DESC, page.rank DESC, page.title, page.kind,
            page.object_id)
     FROM page CROSS JOIN q
     LEFT JOIN {_PRODUCT} p ON p.id = page.product_id
     LEFT JOIN {_DOMAIN} dom ON dom.id = page.domain_id),
    (SELECT json_agg(json_build_array(
        ranked.facet, ranked.value, ranked.n, dom.slug, dom.name)
        ORDER BY ranked.facet, ranked.place)
     FROM ranked
     LEFT JOIN {_DOMAIN} dom
        ON ranked.facet = 'domain' AND ranked.value = dom.id::text
     WHERE ranked.place <= %(facet_values)s)
"""


def _hit(row: list) -> SearchHit:
    kind, object_id, title, subtitle, title_marked, body_marked = row[:6]
    product_slug, product_name, domain_slug, domain_name = row[6:]
    product = None
    if product_slug is not None:
        product = {"slug": product_slug, "name": product_name}
    domain = None
    if domain_slug is not None:
        domain = {"slug": domain_slug, "name": domain_name}
    return SearchHit(
        kind=kind,
        object_id=object_id,
        title=title,
        title_html=_marked_html(title_marked),
        snippet_html=_marked_html(body_marked),
        url=_url(kind, object_id, product_slug),
        subtitle=subtitle,
        product=product,
        domain=domain,
    )


def _facets(rows: list) -> dict[str, list[dict]]:
    facets: dict[str, list[dict]] = {
        name: []
        for name in ("kind", "domain", "tag", "classification", "owner", "lifecycle")
    }
    for facet, value, count, domain_slug, domain_name in rows:
        if facet == "domain":
            item = {"value": domain_slug, "label": domain_name, "count": count}
        else:
            item = {"value": value, "label": value, "count": count}
        facets[facet].append(item)
    return facets


def search_documents(user, params: SearchParams) -> SearchResult:
    """Rank the documents `user` may see that match `params`, with facet counts.

    Documents whose name is exactly the query come first, then by ts_rank_cd
    with RANK_WEIGHTS. Within a facet, several values match any of them.
    Costs one query: at most MAX_MATCHES matches are read, ranked and counted,
    so a query that matches more reports `truncated` and counts over those.
    """
    built = _matches_sql(user, params)
    if built is None:
        return SearchResult(total=0, hits=[], facets=_facets([]))
    tsquery, condition, sql_params = built
    sql = _SEARCH_SQL.replace("{tsquery}", tsquery).replace("{condition}", condition)
    sql_params.update(
        exact=params.q.strip(),
        weights=RANK_WEIGHTS,
        limit=params.limit,
        offset=params.offset,
        options=_HEADLINE_OPTIONS,
        title_options=f"StartSel={_START}, StopSel={_STOP}, HighlightAll=true",
        max_matches=MAX_MATCHES,
        facet_values=FACET_VALUES,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, sql_params)
        total, hits, facets = cursor.fetchone()
    return SearchResult(
        total=total,
        hits=[_hit(row) for row in hits or []],
        facets=_facets(facets or []),
        truncated=total >= MAX_MATCHES,
    )


def suggest_titles(user, prefix: str) -> list[dict]:
    """Return up to MAX_SUGGESTIONS visible documents whose title starts with
    or contains `prefix` (case-insensitive), those starting with it first.

    Costs one query.
    """
    prefix = prefix.strip().lower()
    if not prefix:
        return []
    visible, params = visibility_sql(user)
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    params.update(
        {"starts": escaped + "%", "contains": "%" + escaped + "%", "n": MAX_SUGGESTIONS}
    )
    # The "contains" scan runs only when fewer than MAX_SUGGESTIONS titles
    # start with the text: a common trigram makes it read many rows.
    sql = f"""
        WITH starts AS MATERIALIZED (
            SELECT 0 AS place, d.kind, d.object_id, d.title, d.product_id
            FROM {_DOCUMENT} d
            WHERE left(lower(d.title), 200) LIKE %(starts)s AND {visible}
            ORDER BY left(lower(d.title), 200), d.kind, d.object_id
            LIMIT %(n)s
        )
        SELECT * FROM starts
    """
    if len(prefix) >= MIN_CONTAINS_CHARS:
        sql += f"""
            UNION ALL
            (SELECT 1, d.kind, d.object_id, d.title, d.product_id
             FROM {_DOCUMENT} d
             WHERE (SELECT count(*) FROM starts) < %(n)s
                AND lower(d.title) LIKE %(contains)s AND {visible}
             LIMIT %(n)s)
        """
    sql = f"""
        SELECT s.kind, s.object_id, s.title, p.slug
        FROM ({sql}) s LEFT JOIN {_PRODUCT} p ON p.id = s.product_id
        ORDER BY s.place, length(s.title), s.title
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    suggestions, seen = [], set()
    for kind, object_id, title, product_slug in rows:
        if (kind, object_id) in seen:
            continue
        seen.add((kind, object_id))
        suggestions.append(
            {"kind": kind, "title": title, "url": _url(kind, object_id, product_slug)}
        )
    return suggestions[:MAX_SUGGESTIONS]
