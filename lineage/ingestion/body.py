"""Read a request body within the size limit and split it into event payloads.

The limit applies to the decoded body: a small gzip body that inflates past it
is rejected while it is decoded, so neither a large body nor a gzip bomb is ever
held in memory whole.
"""

import zlib
from collections.abc import Iterable, Iterator
from typing import Protocol

import orjson

from lineage.ingestion.events import EventRejected

CHUNK_BYTES = 64 * 1024
MAX_INFLATE_STEP_BYTES = 256 * 1024
NDJSON_CONTENT_TYPES = frozenset(
    {"application/x-ndjson", "application/jsonl", "application/jsonlines"}
)
# Producers behind some proxies send "x-gzip"; both name the same format.
GZIP_ENCODINGS = frozenset({"gzip", "x-gzip"})
IDENTITY_ENCODINGS = frozenset({"", "identity"})


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _too_large(max_bytes: int) -> EventRejected:
    return EventRejected(
        f"The body is larger than the limit of {max_bytes} bytes (after gzip "
        "decoding). Send fewer events per request.",
        field=None,
        code="too_large",
        status=413,
    )


def read_body(
    stream: Readable | None,
    *,
    content_length: int | None,
    content_encoding: str = "",
    max_bytes: int,
) -> bytes:
    """Read and decode a body in chunks, rejecting it once it passes `max_bytes`.

    Raises EventRejected with status 413 for a body over the limit and 415 for a
    Content-Encoding other than gzip or identity.
    """
    encoding = content_encoding.strip().lower()
    if encoding not in GZIP_ENCODINGS and encoding not in IDENTITY_ENCODINGS:
        raise EventRejected(
            f"Content-Encoding {content_encoding!r} is not supported: send the "
            "body as is or with gzip.",
            field=None,
            code="unsupported_encoding",
            status=415,
        )
    if content_length is not None and content_length > max_bytes:
        raise _too_large(max_bytes)
    if stream is None:
        return b""
    if encoding in GZIP_ENCODINGS:
        return _read_gzip(stream, max_bytes=max_bytes)
    return _read_plain(stream, max_bytes=max_bytes)


def _read_plain(stream: Readable, *, max_bytes: int) -> bytes:
    body = bytearray()
    while chunk := stream.read(CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(max_bytes)
    return bytes(body)


def _read_gzip(stream: Readable, *, max_bytes: int) -> bytes:
    # wbits 16 + MAX_WBITS reads the gzip header and trailer.
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    body = bytearray()
    received = False
    try:
        while chunk := stream.read(CHUNK_BYTES):
            received = True
            while chunk:
                # max_length bounds each step's output, so a gzip bomb never
                # expands past the limit and no step keeps a large copy.
                limit = min(max_bytes - len(body) + 1, MAX_INFLATE_STEP_BYTES)
                body += decoder.decompress(chunk, limit)
                if len(body) > max_bytes:
                    raise _too_large(max_bytes)
                chunk = decoder.unconsumed_tail
                if decoder.eof and decoder.unused_data:
                    # A second gzip member follows (concatenated gzip files).
                    chunk = decoder.unused_data
                    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        body += decoder.flush()
    except zlib.error as error:
        raise EventRejected(
            f"The body is not valid gzip: {error}.",
            field=None,
            code="invalid_gzip",
        ) from error
    if len(body) > max_bytes:
        raise _too_large(max_bytes)
    # An empty request is reported as empty; some gzip bytes without their end
    # are a truncated body, even when they inflate to nothing.
    if not decoder.eof and received:
        raise EventRejected(
            "The gzip body is truncated.", field=None, code="invalid_gzip"
        )
    return bytes(body)


def _invalid_json(error: orjson.JSONDecodeError, where: str) -> EventRejected:
    return EventRejected(
        f"{where} is not valid JSON: {error}.", field=None, code="invalid_json"
    )


def split_body(
    body: bytes, *, content_type: str = "", max_events: int
) -> tuple[bool, list]:
    """Split a body into event payloads, each a parsed JSON value or EventRejected.

    Returns `(is_batch, items)`. A JSON array or NDJSON is a batch. A single
    JSON value is not, so the caller responds to it as one event. An NDJSON line
    that is not valid JSON becomes an EventRejected item, so it costs only that
    event. Raises EventRejected for a body that is not JSON at all and with
    status 413 for more than `max_events` events.
    """
    media_type = content_type.partition(";")[0].strip().lower()
    # Files saved by some Windows editors start with a UTF-8 byte order mark,
    # which JSON parsers reject.
    body = body.removeprefix(b"\xef\xbb\xbf")
    if not body.strip():
        raise EventRejected("The body is empty.", field=None, code="required")
    if media_type in NDJSON_CONTENT_TYPES:
        return True, _split_ndjson(body, max_events=max_events)
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        # Producers writing JSON lines do not always say so in Content-Type.
        if _looks_like_ndjson(body):
            return True, _split_ndjson(body, max_events=max_events)
        raise _invalid_json(error, "The body") from error
    if isinstance(value, list):
        _check_event_count(len(value), max_events)
        return True, value
    return False, [value]


def _looks_like_ndjson(body: bytes) -> bool:
    first_line = body.lstrip().split(b"\n", 1)
    if len(first_line) < 2:
        return False
    try:
        return isinstance(orjson.loads(first_line[0]), dict)
    except orjson.JSONDecodeError:
        return False


def _split_ndjson(body: bytes, *, max_events: int) -> list:
    lines = body.split(b"\n")
    _check_event_count(sum(1 for line in lines if line.strip()), max_events)
    return list(iter_ndjson(lines))


def iter_ndjson(lines: Iterable[bytes]) -> Iterator:
    """Yield the event of each non-blank line, or EventRejected for a line that
    is not valid JSON."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield _invalid_json(error, f"Line {number}")


def _check_event_count(count: int, max_events: int) -> None:
    if count > max_events:
        raise EventRejected(
            f"The batch has {count} events, more than the limit of {max_events}. "
            "Split it into smaller batches.",
            field=None,
            code="too_many_events",
            status=413,
        )
