"""The lock two deploys take before they migrate: one document, with an expiry.

The holder renews it while its migrations run, so a migration longer than
the expiry never runs twice. A lock whose holder is gone says so at once:
on the same host, a process that no longer exists is known to be gone
(``pyramid-mongo-migrate INI unlock`` frees its lock); a holder elsewhere
is waited for, and its lock expires if it died.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError, PyMongoError

LOCK = "migrations_lock"
LOCK_SECONDS = 600.0  # a lock of a process that died expires after this


class LockHeld(RuntimeError):
    """The lock is another's: held by a process that is gone, or too long."""


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    since: dt.datetime

    @classmethod
    def of(cls, document: dict[str, Any]) -> Holder:
        since = document.get("since") or dt.datetime.now(dt.UTC)
        return cls(str(document.get("host", "?")), int(document.get("pid", 0)), since)

    def __str__(self) -> str:
        since = self.since.replace(tzinfo=dt.UTC) if self.since.tzinfo is None else self.since
        return f"{self.host}/{self.pid} since {since:%Y-%m-%d %H:%M:%S} UTC"

    @property
    def gone(self) -> bool:
        """Known to be gone: a process of this host that no longer runs."""
        if self.host != socket.gethostname() or self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


def holder(db: Any) -> Holder | None:
    found = db[LOCK].find_one({"_id": LOCK})
    return Holder.of(found) if found else None


def unlock(db: Any) -> Holder | None:
    """Free the lock, whoever holds it: the holder it had, or None."""
    found = db[LOCK].find_one_and_delete({"_id": LOCK})
    return Holder.of(found) if found else None


class Lock:
    """``with Lock(db, wait):`` the migrations lock, renewed while held."""

    def __init__(
        self,
        db: Any,
        wait: float,
        seconds: float = LOCK_SECONDS,
        on_wait: Callable[[Holder], Any] | None = None,
    ) -> None:
        self.db, self.wait, self.seconds, self.on_wait = db, wait, seconds, on_wait
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{time.monotonic_ns()}"
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def __enter__(self) -> Lock:
        deadline = time.monotonic() + self.wait
        said = False
        while not self._take():
            found = holder(self.db)
            if found is not None and found.gone:
                raise LockHeld(
                    f"the migrations lock is held by {found}, a process that is gone: "
                    "pyramid-mongo-migrate INI unlock frees it"
                )
            if found is not None and not said and self.on_wait is not None:
                self.on_wait(found)
                said = True
            if time.monotonic() > deadline:
                raise LockHeld(
                    f"the migrations lock has been held by {found} for {self.wait:.0f} s"
                )
            time.sleep(0.2)
        self._renewer = threading.Thread(target=self._renew, name="migrations-lock", daemon=True)
        self._renewer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        self.db[LOCK].delete_one({"_id": LOCK, "owner": self.owner})

    def _take(self) -> bool:
        now = dt.datetime.now(dt.UTC)
        try:
            self.db[LOCK].update_one(
                {"_id": LOCK, "expires": {"$lt": now}},
                {"$set": {**self._holder(now), "expires": self._expiry()}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # held, and not expired: another upgrade runs
        return self.db[LOCK].find_one({"_id": LOCK, "owner": self.owner}) is not None

    def _holder(self, now: dt.datetime) -> dict[str, Any]:
        return {"owner": self.owner, "host": socket.gethostname(), "pid": os.getpid(), "since": now}

    def _expiry(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.seconds)

    def _renew(self) -> None:
        # A third of the expiry apart: two renewals may fail before it lapses.
        while not self._stop.wait(self.seconds / 3):
            try:
                self.db[LOCK].update_one(
                    {"_id": LOCK, "owner": self.owner}, {"$set": {"expires": self._expiry()}}
                )
            except PyMongoError:
                continue  # an outage: the next renewal tries again
