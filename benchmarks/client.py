"""A lean HTTP/1.1 load client with keep-alive connections.

The client shares the machine's two cores with the server, so it works on
prebuilt request bytes over raw sockets and parses only the status line, the
headers it needs and, for batches, the response body.
"""

import itertools
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_FAILURE_BODY = 500


class Connection:
    """One keep-alive connection, opened again when the server has closed it."""

    def __init__(self, host: str, port: int, timeout: float = 120):
        self.address = (host, port)
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.reader = None

    def _connect(self) -> None:
        self.sock = socket.create_connection(self.address, timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def close(self) -> None:
        if self.sock is not None:
            self.reader.close()
            self.sock.close()
            self.sock = None

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def request(self, raw_request: bytes) -> tuple[int, bytes]:
        """Send a complete request and return (status, body)."""
        if self.sock is None:
            self._connect()
        self.sock.sendall(raw_request)
        status_line = self.reader.readline()
        if not status_line:
            raise ConnectionError("The server closed the connection before responding.")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        while True:
            line = self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = value.strip().lower() == b"close"
        body = self._read_chunked() if chunked else self.reader.read(length)
        if close:
            self.close()
        return status, body

    def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size = int(self.reader.readline().split(b";")[0], 16)
            if size == 0:
                self.reader.readline()
                return b"".join(parts)
            parts.append(self.reader.read(size))
            self.reader.readline()


def build_request(
    method: str,
    target: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> bytes:
    # Django checks the host without its port against ALLOWED_HOSTS.
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class LoadResult:
    connections: int
    warmup_s: float
    # Length of the measured window, shorter than requested when the pool ran out.
    duration_s: float
    requests: int
    events: int
    # Events created over the whole run, warm-up included.
    events_total: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[dict] = field(default_factory=list)
    pool_exhausted: bool = False

    @property
    def events_per_s(self) -> float:
        return self.events / self.duration_s if self.duration_s else 0.0

    def as_dict(self) -> dict:
        return {
            "connections": self.connections,
            "warmup_s": self.warmup_s,
            "duration_s": round(self.duration_s, 3),
            "requests": self.requests,
            "events_created": self.events,
            "events_created_with_warmup": self.events_total,
            "events_per_s": round(self.events_per_s, 1),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "failures": self.failures,
            "pool_exhausted": self.pool_exhausted,
        }


def run_load(
    host: str,
    port: int,
    requests: list[bytes],
    *,
    count_created: Callable[[int, bytes], int],
    connections: int,
    warmup_s: float,
    duration_s: float,
) -> LoadResult:
    """Send `requests` in order over `connections` threads for a fixed time.

    Events created by requests that complete in the window after the warm-up
    are counted, with `count_created(status, body)`. A request is never sent
    twice. The run stops at the first response that is not 2xx, that
    `count_created` rejects by raising ValueError, or that never comes
    (OSError), and records it in `failures`.
    """
    next_index = itertools.count()
    started = time.monotonic()
    window_start = started + warmup_s
    window_end = window_start + duration_s
    stop = threading.Event()
    lock = threading.Lock()
    result = LoadResult(connections, warmup_s, duration_s, 0, 0)
    completions: list[tuple[float, int]] = []

    def send_until_done() -> None:
        done: list[tuple[float, int]] = []
        statuses: Counter = Counter()
        with Connection(host, port) as connection:
            while not stop.is_set() and time.monotonic() < window_end:
                index = next(next_index)
                if index >= len(requests):
                    result.pool_exhausted = True
                    break
                status, body = None, b""
                try:
                    status, body = connection.request(requests[index])
                    finished = time.monotonic()
                    statuses[status] += 1
                    if not 200 <= status < 300:
                        raise ValueError(f"HTTP {status}")
                    created = count_created(status, body)
                except (OSError, ValueError) as error:
                    # A broken connection fails the run like an error response.
                    with lock:
                        result.failures.append(
                            {
                                "index": index,
                                "status": status,
                                "error": str(error),
                                "body": body[:MAX_FAILURE_BODY].decode(
                                    errors="replace"
                                ),
                            }
                        )
                    stop.set()
                    break
                done.append((finished, created))
        with lock:
            completions.extend(done)
            result.statuses.update(statuses)

    threads = [threading.Thread(target=send_until_done) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    measured = [
        (at, created) for at, created in completions if window_start <= at <= window_end
    ]
    result.events_total = sum(created for _, created in completions)
    result.requests = len(measured)
    result.events = sum(created for _, created in measured)
    if result.pool_exhausted and measured:
        result.duration_s = max(at for at, _ in measured) - window_start
    return result


def measure_latency(
    connection: Connection,
    request: bytes,
    *,
    warmup: int,
    repeats: int,
    check: Callable[[bytes], None],
) -> list[float]:
    """Return the seconds each of `repeats` sequential requests took.

    `check` gets the body of the last response. Raises RuntimeError on any
    status but 200.
    """
    timings = []
    body = b""
    for attempt in range(warmup + repeats):
        began = time.perf_counter()
        status, body = connection.request(request)
        elapsed = time.perf_counter() - began
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:MAX_FAILURE_BODY]!r}")
        if attempt >= warmup:
            timings.append(elapsed)
    check(body)
    return timings


def summarize(seconds: list[float]) -> dict:
    """Return median, p95, min and max of `seconds` in milliseconds."""
    milliseconds = sorted(value * 1000 for value in seconds)
    p95_index = max(0, round(0.95 * len(milliseconds)) - 1)
    return {
        "samples": len(milliseconds),
        "median_ms": round(statistics.median(milliseconds), 3),
        "p95_ms": round(milliseconds[p95_index], 3),
        "min_ms": round(milliseconds[0], 3),
        "max_ms": round(milliseconds[-1], 3),
    }
