import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from lineage.ingestion.body import split_body
from lineage.ingestion.events import EventRejected
from lineage.services import ingest_payloads

EVENT_FILE_SUFFIXES = (".json", ".ndjson", ".jsonl")
# Events per store call: one transaction each, large enough to amortise it.
STORE_BATCH_EVENTS = 500


class Command(BaseCommand):
    help = (
        "Load OpenLineage events from files, folders (searched recursively for "
        "*.json, *.ndjson and *.jsonl) or standard input (-). A file holds one "
        "event, a JSON array of events or NDJSON. Events are validated as the "
        "API validates them; rejected events are listed and do not stop the load."
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
            for name, content in self._read_sources(path, unreadable):
                self._queue(name, content)
        self._flush()
        progress.close()
        self._report(unreadable)
        if unreadable:
            raise CommandError(f"{len(unreadable)} path(s) could not be read.")

    def _read_sources(self, path: str, unreadable: list[str]):
        if path == "-":
            yield "<stdin>", sys.stdin.buffer.read()
            return
        root = Path(path)
        if root.is_dir():
            files = sorted(
                item
                for item in root.rglob("*")
                if item.is_file() and item.name.endswith(EVENT_FILE_SUFFIXES)
            )
        else:
            files = [root]
        for file in files:
            try:
                # TODO: a file is read whole; stream NDJSON line by line so that
                # files larger than memory can be loaded.
                yield str(file), file.read_bytes()
            except OSError as error:
                unreadable.append(f"{file}: {error.strerror or error}")
                self.stderr.write(f"Cannot read {file}: {error.strerror or error}")

    def _queue(self, name: str, content: bytes) -> None:
        try:
            _, items = split_body(content, max_events=sys.maxsize)
        except EventRejected as rejection:
            items = [rejection]
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
