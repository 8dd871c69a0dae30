"""The catalog search page: ranked results, facets to narrow them, and a box
that suggests titles as the user types (catalog/static/catalog/search.js)."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from catalog.search.params import FACETS, SearchParamError, parse_search_params
from catalog.search.selectors import search_documents

FACET_HEADINGS = {
    "kind": "Kind",
    "domain": "Domain",
    "tag": "Tag",
    "owner": "Owner",
    "classification": "Classification",
    "lifecycle": "Lifecycle",
}


def _query_string(q: str, filters: dict[str, list[str]], **extra) -> str:
    pairs = [("q", q)]
    for name in FACETS:
        pairs += [(name, value) for value in filters.get(name, [])]
    pairs += [(name, value) for name, value in extra.items()]
    return "?" + urlencode(pairs)


def _toggled(filters: dict[str, list[str]], name: str, value: str) -> dict:
    values = list(filters.get(name, []))
    if value in values:
        values.remove(value)
    else:
        values.append(value)
    return {**filters, name: values}


def _facet_sections(params, facets) -> list[dict]:
    sections = []
    for name, heading in FACET_HEADINGS.items():
        chosen = params.filters.get(name, [])
        items = [
            {
                **item,
                "chosen": item["value"] in chosen,
                "href": _query_string(
                    params.q, _toggled(params.filters, name, item["value"])
                ),
            }
            for item in facets.get(name, [])
        ]
        if items:
            sections.append({"name": name, "heading": heading, "items": items})
    return sections


@login_required
def search(request):
    try:
        params = parse_search_params(request.GET, required=False)
    except SearchParamError as error:
        context = {"message": error.message}
        return render(request, "lineage/bad_request.html", context, status=400)
    context = {
        # Not "q": base.html fills the navigation bar's lineage search with it.
        "query": params.q,
        "result": None,
    }
    if params.q.strip():
        result = search_documents(request.user, params)
        end = params.offset + len(result.hits)
        context.update(
            result=result,
            facet_sections=_facet_sections(params, result.facets),
            first=params.offset + 1,
            last=end,
            previous_href=(
                _query_string(
                    params.q,
                    params.filters,
                    offset=max(0, params.offset - params.limit),
                )
                if params.offset > 0
                else ""
            ),
            next_href=(
                _query_string(params.q, params.filters, offset=end)
                if end < result.total and end < 1000
                else ""
            ),
        )
    return render(request, "catalog/search.html", context)
