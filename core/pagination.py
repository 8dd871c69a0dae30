from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """`limit` and `offset` paging that rejects bad values instead of ignoring them."""

    max_limit = 1000
    # PostgreSQL's OFFSET is a bigint; far below that, a page is empty anyway.
    max_offset = 10**12

    def get_limit(self, request):
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.default_limit
        return _bounded_int(raw, self.limit_query_param, 1, self.max_limit)

    def get_offset(self, request):
        raw = request.query_params.get(self.offset_query_param)
        if raw is None:
            return 0
        return _bounded_int(raw, self.offset_query_param, 0, self.max_offset)


def _bounded_int(raw: str, name: str, low: int, high: int) -> int:
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ValidationError(
            {name: f"{name} must be a whole number from {low} to {high}."}
        )
    return int(raw)
