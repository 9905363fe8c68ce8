"""Log records into MongoDB, without ever making a request wait for it.

Set up as Pyramid apps set up logging, in the INI file::

    [handlers]
    keys = console, mongodb

    [handler_mongodb]
    class = pyramid_mongo.observe.MongoHandler
    args = ()
    kwargs = {"collection": "log", "capped_size": "64M"}
    level = WARNING

The handler writes on the application's own client (``config.include
("pyramid_mongo")`` hands it over; records logged before wait in the queue).
``emit`` only puts the record in a bounded queue: a background thread writes
them in batches (``insert_many``). When the queue is full, the oldest
queued records are dropped and counted, and stderr says so once: what is
logged when MongoDB comes back after an outage is kept while the backlog
drains. While MongoDB is down the thread waits and tries again: requests
answer as fast as without the handler, and logging resumes by itself.
A record stores its time, level, logger, message, process and thread, its
source (file, line, function), the request's method, path and id, the
traceback, and its ``extra=`` fields (50 at most; plain values as they are,
any other as its repr when logged; names made storable).

The collection is capped (``capped_size``) or its records expire
(``expire_after`` seconds), created once; writes run outside any
transaction (a capped collection refuses them inside one). The driver's own
loggers are never written (no recursion); the queue is flushed at exit; a
forked child starts a queue and thread of its own.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import threading
import time
import weakref
from collections import deque
from typing import Any

from pymongo.errors import BulkWriteError, CollectionInvalid, PyMongoError
from pyramid.threadlocal import get_current_request

from ..outage import is_outage
from ..settings import byte_size
from .logrecords import Entry, document, extra_fields, request_id

BATCH = 1000
GATHER_SECONDS = 1.0
RETRY_SECONDS = 2.0
DUPLICATE_KEY = 11000
# Never written: the driver's records, and our own, which a write may cause.
_SILENT = ("pymongo", __name__, "pyramid_mongo.commands")
_handlers: weakref.WeakSet[MongoHandler] = weakref.WeakSet()
_PLAIN = logging.Formatter()


class MongoHandler(logging.Handler):
    def __init__(
        self,
        collection: str = "log",
        capped_size: str | int | None = None,
        expire_after: int | str | None = None,
        queue_size: int = 10_000,
        level: int = logging.NOTSET,
    ) -> None:
        super().__init__(level)
        self.collection_name = collection
        self.capped_size = byte_size(capped_size, "capped_size") if capped_size else None
        self.expire_after = int(expire_after) if expire_after else None
        self.queue_size = queue_size
        self.dropped = 0
        self._connection: Any = None
        self._ready = False
        self._start()
        _handlers.add(self)

    def _start(self) -> None:
        # A deque, not a queue.Queue: emit appends (under the handler's own
        # lock) and the writer pops, neither taking a lock or waking a thread
        # per record. The writer is woken only from idle, once per burst.
        self._records: deque[Entry] = deque(maxlen=self.queue_size)
        self._in_flight = 0
        self._idle = False
        self._wake = threading.Event()
        self._stopping = False
        self._said: set[str] = set()
        self._writer = threading.Thread(target=self._write, name="MongoHandler", daemon=True)
        self._writer.start()

    def attach(self, connection: Any) -> None:
        """Write on this connection's client and database (the application's,
        from includeme; a forked child's own client after a fork)."""
        self._connection = connection

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_SILENT):
            return
        try:
            if len(self._records) >= self.queue_size:
                self._drop()  # the oldest, which the append pushes out
            self._records.append(self._entry(record))
            if self._idle:
                self._idle = False
                self._wake.set()
        except Exception:
            self.handleError(record)

    def _drop(self, count: int = 1, why: str = "") -> None:
        """Count what is lost, and say once on stderr per kind of loss why."""
        why = why or (
            f"the queue of {self.queue_size} records is full (MongoDB slow or down?); "
            "the oldest go first"
        )
        kind = why.split(":")[0]
        self.acquire()  # emit (which holds it already) and the writer both count
        try:
            self.dropped += count
            first = kind not in self._said
            self._said.add(kind)
        finally:
            self.release()
        if first:
            print(
                f"pyramid_mongo.loghandler: {why}: dropping records, and counting them",
                file=sys.stderr,
            )

    def _entry(self, record: logging.LogRecord) -> Entry:
        """What cannot wait for the writer: the message (its arguments may
        change), the traceback (its frames hold memory) and the request."""
        exception = None
        if record.exc_info:
            exception = (self.formatter or _PLAIN).formatException(record.exc_info)
        request = get_current_request()
        about = None
        if request is not None:
            environ = request.environ
            about = (environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), request_id(request))
        return (
            record.created,
            record.levelname,
            record.name,
            record.getMessage(),
            record.process,
            record.threadName,
            exception,
            about,
            (record.pathname, record.lineno, record.funcName),
            extra_fields(record),
        )

    def _write(self) -> None:
        while True:
            self._wait_for_records()
            while self._records:
                # Only this thread pops: the deque holds at least this many.
                self._in_flight = count = min(BATCH, len(self._records))
                entries = [self._records.popleft() for _ in range(count)]
                self._insert(entries)
                self._in_flight = 0
            if self._stopping:
                return

    def _wait_for_records(self) -> None:
        if not self._records:
            self._idle = True  # before looking again: a record appended now wakes us
            if not self._records and not self._stopping:
                self._wake.wait()
            self._idle = False
            self._wake.clear()
        if len(self._records) < BATCH and not self._stopping:
            # Gather for a second: one insert of many records costs the
            # server about what one of a single record does, and each insert
            # that overlaps requests costs them (bench/log_handler.py: a
            # quarter second cost twice what a second does). A record is
            # in MongoDB a second after it is logged; a flush or the stop
            # cuts the wait short.
            self._wake.wait(GATHER_SECONDS)
            self._wake.clear()

    def _insert(self, entries: list[Entry]) -> None:
        """Write a batch. While MongoDB cannot be reached, wait and try again;
        what it refuses is dropped and counted, never tried again (it would be
        refused again, and hold up every record behind it)."""
        try:
            batch = [document(entry) for entry in entries]
        except Exception as error:  # the writer must outlive any record
            self._drop(len(entries), f"records could not be stored ({type(error).__name__})")
            return
        while True:
            connection = self._connection
            if connection is None:
                if self._stopping:
                    self._drop(len(batch), "no application handed its client over")
                    return
                time.sleep(0.05)  # the application has not handed its client over yet
                continue
            try:
                collection = self._collection(connection.client[connection.db_name])
                collection.insert_many(batch, ordered=False)
                return
            except BulkWriteError as error:
                self._refused(error.details.get("writeErrors", []))
                return
            except PyMongoError as error:
                if is_outage(error) or error.timeout:
                    time.sleep(RETRY_SECONDS)  # the queue drops what it cannot hold
                    continue
                self._drop(len(batch), f"MongoDB refused a batch ({type(error).__name__})")
                return
            except Exception as error:  # the writer must outlive any record
                self._drop(len(batch), f"a batch could not be written ({type(error).__name__})")
                return

    def _refused(self, errors: list[dict[str, Any]]) -> None:
        # A duplicate _id is a record a failed attempt stored already: not lost.
        lost = [error for error in errors if error.get("code") != DUPLICATE_KEY]
        if lost:
            first = lost[0]
            why = f"MongoDB refused records (code {first.get('code')}: {first.get('errmsg')})"
            self._drop(len(lost), why)

    def _collection(self, database: Any) -> Any:
        if not self._ready:
            if self.capped_size:
                with contextlib.suppress(CollectionInvalid):  # it exists: as it is
                    database.create_collection(
                        self.collection_name, capped=True, size=self.capped_size
                    )
            elif self.expire_after:
                database[self.collection_name].create_index(
                    "time", expireAfterSeconds=self.expire_after
                )
            self._ready = True
        return database[self.collection_name]

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until what was queued is written (or ``timeout`` passed)."""
        deadline = time.monotonic() + timeout
        while (self._records or self._in_flight) and time.monotonic() < deadline:
            self._wake.set()  # no gathering while someone waits for the writes
            time.sleep(0.01)

    def close(self) -> None:
        self._stop()
        super().close()

    def _stop(self, timeout: float = 5.0) -> None:
        self._stopping = True
        self._wake.set()
        if self._writer.is_alive():
            self._writer.join(timeout)


def attach_all(connection: Any) -> None:
    for handler in list(_handlers):
        handler.attach(connection)


def _after_fork_in_child() -> None:
    for handler in list(_handlers):
        handler._start()


def _stop_all_at_exit() -> None:
    for handler in list(_handlers):
        handler._stop()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_stop_all_at_exit)
