"""Log records into MongoDB, without ever making a request wait for it.

Set up as Pyramid apps set up logging, in the INI file::

    [handlers]
    keys = console, mongodb

    [handler_mongodb]
    class = pyramid_mongo.loghandler.MongoHandler
    args = ()
    kwargs = {"collection": "log", "capped_size": "64M"}
    level = WARNING

The handler writes on the application's own client (``config.include
("pyramid_mongo")`` hands it over; records logged before wait in the queue).
``emit`` only puts the record in a bounded queue: a background thread writes
them in batches (``insert_many``). When the queue is full, records are
dropped and counted, and stderr says so once. While MongoDB is down the
thread waits and tries again, and the queue drops what it cannot hold:
requests answer as fast as without the handler, and logging resumes by
itself. The collection is capped (``capped_size``) or its records expire
(``expire_after`` seconds), created once; writes run outside any
transaction (a capped collection refuses them inside one). The driver's own
loggers are never written (no recursion); the queue is flushed at exit; a
forked child starts a queue and thread of its own.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import logging
import os
import queue
import sys
import threading
import time
import uuid
import weakref
from typing import Any

from pymongo.errors import CollectionInvalid, PyMongoError
from pyramid.threadlocal import get_current_request

from .values import byte_size

BATCH = 500
GATHER_SECONDS = 0.25
RETRY_SECONDS = 2.0
REQUEST_ID = "pyramid_mongo.request_id"
# Never written: the driver's records, and our own, which a write may cause.
_SILENT = ("pymongo", "pyramid_mongo.loghandler", "pyramid_mongo.commands")
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
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(self.queue_size)
        self._said_dropped = False
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
            self._queue.put_nowait(self._document(record))
        except queue.Full:
            self.dropped += 1
            if not self._said_dropped:
                self._said_dropped = True
                print(
                    f"pyramid_mongo.loghandler: the queue of {self.queue_size} records is "
                    "full (MongoDB slow or down?): dropping records, and counting them",
                    file=sys.stderr,
                )
        except Exception:
            self.handleError(record)

    def _document(self, record: logging.LogRecord) -> dict[str, Any]:
        document: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
            "thread": record.threadName,
        }
        if record.exc_info:
            document["exception"] = (self.formatter or _PLAIN).formatException(record.exc_info)
        request = get_current_request()
        if request is not None:
            document["request"] = {
                "method": request.method,
                "path": request.environ.get("PATH_INFO", "")[:500],
                "id": request_id(request),
            }
        return document

    def _write(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            # Gather for a moment: one insert of many records costs the server
            # what one of a single record does. Asleep, not waiting on the
            # queue: a record put meanwhile wakes no thread, so a request
            # that logs never hands the interpreter to this one. With a whole
            # batch waiting already, no sleep: the writer keeps up.
            if batch[0] is not None and self._queue.qsize() < BATCH - 1:
                time.sleep(GATHER_SECONDS)
            while len(batch) < BATCH and batch[-1] is not None:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = None in batch
            records = [each for each in batch if each is not None]
            if records:
                self._insert(records)
            for _ in batch:
                self._queue.task_done()

    def _insert(self, batch: list[dict[str, Any]]) -> None:
        while True:
            connection = self._connection
            if connection is None:
                time.sleep(0.05)  # the application has not handed its client over yet
                continue
            try:
                collection = self._collection(connection.client[connection.db_name])
                collection.insert_many(batch, ordered=False)
                return
            except PyMongoError:
                time.sleep(RETRY_SECONDS)  # down: the queue drops what it cannot hold

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
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        self._stop()
        super().close()

    def _stop(self, timeout: float = 5.0) -> None:
        if self._writer.is_alive():
            try:
                self._queue.put(None, timeout=timeout)
            except queue.Full:
                return
            self._writer.join(timeout)


def request_id(request: Any) -> str:
    """The request's id: the client's X-Request-ID, else one of ours."""
    environ = request.environ
    found = environ.get(REQUEST_ID)
    if found is None:
        given = environ.get("HTTP_X_REQUEST_ID", "")
        found = environ[REQUEST_ID] = given[:100] if given else uuid.uuid4().hex
    return str(found)


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
