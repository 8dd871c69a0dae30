import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from lineage.ingestion.body import iter_ndjson, split_body
from lineage.ingestion.events import EventRejected
from lineage.services import ingest_payloads

NDJSON_SUFFIXES = (".ndjson", ".jsonl")
EVENT_FILE_SUFFIXES = (".json", *NDJSON_SUFFIXES)
# Events per store call: one transaction each, large enough to amortise it.
STORE_BATCH_EVENTS = 500


class Command(BaseCommand):
    help = (
        "Load OpenLineage events from files, folders (searched recursively for "
        "*.json, *.ndjson and *.jsonl) or standard input (-). A file contains "
        "one event, a JSON array of events or NDJSON. Events are validated as "
        "the API validates them. Rejected events are listed at the end and do "
        "not stop the load."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")

    def handle(self, *args, paths, **options):
        self.counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
        self.rejections: list[str] = []
        self.pending: list[tuple[str, int, object]] = []
        unreadable = []
        progress = tqdm(unit="event", file=sys.stderr, disable=None)
        self.progress = progress
        for path in paths:
            for file in self._files(path, unreadable):
                self._load(file, unreadable)
        self._flush()
        progress.close()
        self._report(unreadable)
        if unreadable:
            raise CommandError(f"{len(unreadable)} path(s) could not be read.")

    def _files(self, path: str, unreadable: list[str]) -> list[Path | None]:
        """Return the event files under `path`, or [None] for standard input."""
        if path == "-":
            return [None]
        root = Path(path)
        if not root.is_dir():
            return [root]
        try:
            return sorted(
                item
                for item in root.rglob("*")
                if item.is_file() and item.name.endswith(EVENT_FILE_SUFFIXES)
            )
        except OSError as error:
            self._unreadable(root, error, unreadable)
            return []

    def _load(self, file: Path | None, unreadable: list[str]) -> None:
        name = "<stdin>" if file is None else str(file)
        try:
            if file is not None and file.name.endswith(NDJSON_SUFFIXES):
                # Read line by line, so an NDJSON file may exceed memory.
                with file.open("rb") as lines:
                    self._queue(name, iter_ndjson(lines))
                return
            content = sys.stdin.buffer.read() if file is None else file.read_bytes()
        except OSError as error:
            self._unreadable(file, error, unreadable)
            return
        try:
            _, items = split_body(content, max_events=sys.maxsize)
        except EventRejected as rejection:
            items = [rejection]
        self._queue(name, items)

    def _unreadable(self, path, error: OSError, unreadable: list[str]) -> None:
        reason = error.strerror or str(error)
        unreadable.append(f"{path}: {reason}")
        self.stderr.write(f"Cannot read {path}: {reason}")

    def _queue(self, name: str, items) -> None:
        for index, item in enumerate(items):
            self.pending.append((name, index, item))
            if len(self.pending) >= STORE_BATCH_EVENTS:
                self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        outcomes = ingest_payloads(
            [item for _, _, item in self.pending], source="ingest_openlineage"
        )
        for (name, index, _), outcome in zip(self.pending, outcomes, strict=True):
            if outcome.error is not None:
                self.counts["rejected"] += 1
                error = outcome.error
                self.rejections.append(
                    f"  {name} [{index}] {error.field or '(body)'}: {error.message}"
                )
            elif outcome.duplicate:
                self.counts["duplicate"] += 1
            else:
                self.counts["accepted"] += 1
        self.progress.update(len(self.pending))
        self.pending = []

    def _report(self, unreadable: list[str]) -> None:
        counts = self.counts
        self.stdout.write(
            f"Accepted {counts['accepted']}, duplicate {counts['duplicate']}, "
            f"rejected {counts['rejected']}."
        )
        if self.rejections:
            self.stdout.write("Rejected events (file [index] field: reason):")
            for line in self.rejections:
                self.stdout.write(line)
        for line in unreadable:
            self.stdout.write(f"Unreadable: {line}")
