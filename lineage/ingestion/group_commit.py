"""Group commit: concurrent ingestion requests of one process share a transaction.

Storing one event costs nearly as many round trips and statement plans as
storing hundreds, so a process that serves many single-event requests at once
hands their events to one committer thread. The thread takes everything that
is waiting, stores it with one `store_events` call per API key, and wakes each
request with its own results. A request still gets its response only after its
events are committed, so nothing is acknowledged that could be lost.
"""

import logging
import os
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from django.db import close_old_connections, connection

from lineage.ingestion.derive import StoredEvent, store_events
from lineage.ingestion.events import ParsedEvent

logger = logging.getLogger(__name__)

# A group stops growing at this many events, so one commit stays short.
MAX_GROUP_EVENTS = 2000
# The committer closes its database connection after this long without work,
# so an idle process keeps no connection open.
IDLE_SECONDS = 1.0


@dataclass(slots=True)
class _Submission:
    events: list[ParsedEvent]
    api_key_id: int | None
    future: Future = field(default_factory=Future)


class GroupCommitter:
    """Store events from many threads of one process in shared transactions."""

    def __init__(self):
        self._queue: queue.SimpleQueue[_Submission] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def store(
        self, events: list[ParsedEvent], *, api_key_id: int | None, timeout: float
    ) -> list[StoredEvent]:
        """Store `events` in the next group and return their results.

        Raises TimeoutError when the group is not committed within `timeout`
        seconds (the events may still be stored later: a retry is deduplicated),
        or the exception that storing them raised.
        """
        self._ensure_thread()
        submission = _Submission(events, api_key_id)
        self._queue.put(submission)
        return submission.future.result(timeout=timeout)

    def _ensure_thread(self) -> None:
        # A forked worker (gunicorn) inherits the object but not the thread.
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid():
                self._queue = queue.SimpleQueue()
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="lineage-group-commit", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                connection.close()
                continue
            group = [first]
            count = len(first.events)
            while count < MAX_GROUP_EVENTS:
                try:
                    submission = self._queue.get_nowait()
                except queue.Empty:
                    break
                group.append(submission)
                count += len(submission.events)
            try:
                close_old_connections()
                for api_key_id in dict.fromkeys(item.api_key_id for item in group):
                    self._commit(
                        [item for item in group if item.api_key_id == api_key_id]
                    )
            except Exception as error:  # noqa: BLE001 - the thread must live on
                logger.exception("Group commit of %s submissions failed", len(group))
                for submission in group:
                    if not submission.future.done():
                        submission.future.set_exception(error)

    def _commit(self, group: list[_Submission]) -> None:
        events = [event for submission in group for event in submission.events]
        try:
            stored = store_events(events, api_key_id=group[0].api_key_id)
        except Exception as error:  # noqa: BLE001 - handed to the waiting requests
            if len(group) == 1:
                logger.warning(
                    "Storing %s events for API key %s failed: %s",
                    len(events),
                    group[0].api_key_id,
                    error,
                )
                group[0].future.set_exception(error)
                return
            # One submission's events must not fail the others: store each alone.
            logger.warning(
                "Storing a group of %s submissions failed (%s); storing each alone",
                len(group),
                error,
            )
            for submission in group:
                self._commit([submission])
            return
        logger.debug(
            "Committed a group of %s submissions (%s events) for API key %s",
            len(group),
            len(events),
            group[0].api_key_id,
        )
        start = 0
        for submission in group:
            end = start + len(submission.events)
            submission.future.set_result(stored[start:end])
            start = end


committer = GroupCommitter()
