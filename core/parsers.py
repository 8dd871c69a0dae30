"""The API's JSON parser: DRF's, plus the checks PostgreSQL would fail on.

A JSON string may carry a NUL character as `\\u0000`, which no PostgreSQL text
or `jsonb` value can hold, so it is rejected here with a 400 instead of ending
in a database error. The walk uses its own stack: the decoder has already
bounded the nesting (a RecursionError becomes a 400 in `core.errors`).
"""

from rest_framework import exceptions, parsers


def _first_nul_path(data) -> str | None:
    stack = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return path or "body"
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return None


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        path = _first_nul_path(data)
        if path is not None:
            message = (
                f"{path or 'The body'} contains a NUL character, which no value "
                "can contain."
            )
            # A ValidationError keyed by the path: the API's error handler
            # names it as the field.
            raise exceptions.ValidationError(
                {path: [message]} if path else [message],
                code="null_characters_not_allowed",
            )
        return data
