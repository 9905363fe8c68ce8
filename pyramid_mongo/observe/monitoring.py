"""What the application's client sends, from ``pymongo.monitoring``.

The recorder is a ``CommandListener`` on the application's client, added only
when someone will read it: the debug toolbar is included, or the
``pyramid_mongo.commands`` logger is enabled for DEBUG. Each command gets one
log line with its duration as the server's reply measured it, and goes to the
request that sent it: a context variable, bound by the toolbar panel for the
life of its request, says which one, so requests served by many threads at
once never mix.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bson import json_util
from pymongo import monitoring

log = logging.getLogger("pyramid_mongo.commands")

# The commands of the request this context serves, or None.
current_commands: contextvars.ContextVar[list[CommandRecord] | None] = contextvars.ContextVar(
    "pyramid_mongo_commands", default=None
)

SHOWN_CHARACTERS = 600
# Fields every command carries that say nothing about what it does.
_PLUMBING = frozenset(
    {"lsid", "$clusterTime", "$db", "$readPreference", "txnNumber", "autocommit", "signature"}
)
EXPLAINABLE = frozenset({"find", "aggregate", "count", "distinct"})


@dataclass
class CommandRecord:
    name: str
    database: str
    collection: str | None
    command: dict[str, Any]
    duration_ms: float = 0.0
    reply: str = ""
    error: str | None = None

    @property
    def shown(self) -> str:
        """The command as the panel shows it: relaxed Extended JSON, shortened."""
        text = json_util.dumps(self.command, json_options=json_util.RELAXED_JSON_OPTIONS)
        if len(text) > SHOWN_CHARACTERS:
            text = text[:SHOWN_CHARACTERS] + f"... ({len(text)} characters)"
        return text

    @property
    def explainable(self) -> bool:
        return self.name in EXPLAINABLE and self.error is None


@dataclass
class _Pending:
    record: CommandRecord
    commands: list[CommandRecord] | None


@dataclass
class CommandRecorder(monitoring.CommandListener):
    """Logs every command, and records it for the request that sent it."""

    _pending: dict[tuple[int, Any], _Pending] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __repr__(self) -> str:
        # Shown in the client's repr, as in pshell's banner: no internals.
        return "pyramid_mongo.CommandRecorder()"

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        commands = current_commands.get()
        if commands is None and not log.isEnabledFor(logging.DEBUG):
            return
        command = {key: value for key, value in event.command.items() if key not in _PLUMBING}
        target = command.get(event.command_name)
        record = CommandRecord(
            name=event.command_name,
            database=event.database_name,
            collection=target if isinstance(target, str) else command.get("collection"),
            command=command,
        )
        with self._lock:
            self._pending[(event.request_id, event.connection_id)] = _Pending(record, commands)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._finish(event, reply=_summary(event.reply))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        failure = event.failure or {}
        error = (
            f"{failure.get('codeName') or failure.get('code') or ''} {failure.get('errmsg', '')}"
        )
        self._finish(event, error=error.strip() or "failed")

    def _finish(self, event: Any, reply: str = "", error: str | None = None) -> None:
        with self._lock:
            pending = self._pending.pop((event.request_id, event.connection_id), None)
        if pending is None:
            return
        record = pending.record
        record.duration_ms = event.duration_micros / 1000
        record.reply = reply
        record.error = error
        if pending.commands is not None:
            pending.commands.append(record)
        namespace = (
            f"{record.database}.{record.collection}" if record.collection else record.database
        )
        log.debug("%s %s %.2f ms %s", record.name, namespace, record.duration_ms, error or reply)


def _summary(reply: Mapping[str, Any]) -> str:
    """The parts of a reply worth a glance: counts, the cursor, errors."""
    parts = []
    cursor = reply.get("cursor")
    if isinstance(cursor, dict):
        batch = cursor.get("firstBatch", cursor.get("nextBatch"))
        if batch is not None:
            parts.append(f"{len(batch)} documents")
        if cursor.get("id"):
            parts.append(f"cursor {cursor['id']} open")
    for key in ("n", "nModified", "nMatched", "cursorsKilled"):
        if key in reply:
            value = reply[key]
            parts.append(f"{key}={len(value) if isinstance(value, list) else value}")
    if reply.get("writeErrors"):
        parts.append(f"{len(reply['writeErrors'])} write errors")
    return ", ".join(parts) or ("ok" if reply.get("ok") else "not ok")


def wanted(registry: Any) -> bool:
    """Whether anyone will read the commands: the toolbar, or the DEBUG log."""
    from pyramid.settings import aslist

    includes = aslist(registry.settings.get("pyramid.includes", ""))
    has_toolbar = "pyramid_debugtoolbar" in includes or toolbar_app(registry) is not None
    return has_toolbar or log.isEnabledFor(logging.DEBUG)


def toolbar_app(registry: Any) -> Any:
    try:
        from pyramid_debugtoolbar.toolbar import IToolbarWSGIApp
    except ImportError:
        return None
    return registry.queryUtility(IToolbarWSGIApp)
