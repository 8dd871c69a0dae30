"""GET /api/v1/catalog/search and /api/v1/catalog/search/suggest.

Search takes `q` (required, at most 200 characters), facet filters that may be
repeated (`kind`, `domain` (slug), `tag`, `owner` (username),
`classification`, `lifecycle`: values of one facet match any of them, facets
combine with AND), `limit` (1 to 50, default 20) and `offset` (0 to 1000).
Results are what the caller may see, ranked; facet counts are over every
visible match. A search reads at most 1,000 matches (and any document named
exactly as the query): past that, `count_is_lower_bound` is true and the
counts are over the matches read. Highlights are HTML: the text is escaped
and only `<mark>` elements are added.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.permissions import CatalogAccess
from catalog.search.params import (
    SearchParamError,
    parse_search_params,
    text_param,
)
from catalog.search.selectors import search_documents, suggest_titles
from core.errors import ApiError


def _hit_data(hit) -> dict:
    return {
        "kind": hit.kind,
        "id": hit.object_id,
        "title": hit.title,
        "title_html": hit.title_html,
        "snippet_html": hit.snippet_html,
        "subtitle": hit.subtitle,
        "url": hit.url,
        "product": hit.product,
        "domain": hit.domain,
    }


class SearchView(APIView):
    permission_classes = [CatalogAccess]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True),
            *[
                OpenApiParameter(name, OpenApiTypes.STR, many=True)
                for name in (
                    "kind",
                    "domain",
                    "tag",
                    "owner",
                    "classification",
                    "lifecycle",
                )
            ],
            OpenApiParameter("limit", OpenApiTypes.INT),
            OpenApiParameter("offset", OpenApiTypes.INT),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        try:
            params = parse_search_params(request.query_params)
        except SearchParamError as error:
            raise ApiError(error.message, field=error.parameter) from error
        result = search_documents(request.user, params)
        return Response(
            {
                "count": result.total,
                "count_is_lower_bound": result.truncated,
                "limit": params.limit,
                "offset": params.offset,
                "results": [_hit_data(hit) for hit in result.hits],
                "facets": result.facets,
            }
        )


class SuggestView(APIView):
    permission_classes = [CatalogAccess]

    @extend_schema(
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, required=True)],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        try:
            prefix = text_param(request.query_params, "q", required=True)
        except SearchParamError as error:
            raise ApiError(error.message, field=error.parameter) from error
        return Response({"results": suggest_titles(request.user, prefix)})
