"""A retried POST answered once: the ``Idempotency-Key`` request header
(IETF httpapi, "The Idempotency-Key HTTP Header Field"), kept in MongoDB.

A client that got no answer (a dropped connection, a 503) cannot know
whether its write was made. With a key it sends the same request again:
the first request with that key runs the view and its answer (status,
the headers that describe it, body) is kept; a repeat with the same body
gets that answer again without the view running; a repeat while the first
still runs is a 409; the same key with another request is a 422. A key is
the caller's own: its user, else its session cookie, else anyone's.

A view opts in with ``@view_config(..., mongodb_idempotent=True)``.

Where the server has transactions (a replica set), the view's writes and
the kept answer are one transaction: either both are stored or neither, so
a client that retries until it gets an answer has its write made exactly
once, whatever failed between. On a standalone server they are two writes:
a failure between them (the server lost right after the view's write) lets
a retry run the view again once the first request's lease has passed.

The keys live in ``mongodb.idempotency_collection``: its ``_id`` (caller
and key) is the unique index that lets only one request claim a key, and a
TTL index forgets an answer after ``mongodb.idempotency_ttl`` seconds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import math
from collections.abc import Callable
from typing import Any

import pymongo
from bson import ObjectId
from pymongo.errors import DuplicateKeyError, PyMongoError
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.httpexceptions import HTTPBadRequest, HTTPConflict, HTTPUnprocessableEntity
from pyramid.request import Request
from pyramid.response import Response

from . import atomic
from .connection import MongoConnection, get_connection
from .cursors import close_cursors
from .http import error_response
from .indexes import DeclaredIndex, _declared
from .settings import get_settings

VIEW_OPTION = "mongodb_idempotent"
HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_ENVIRON_KEY = "HTTP_" + HEADER.upper().replace("-", "_")
_OWNER = "pyramid_mongo.idempotency_owner"  # in the environ: pyramid_retry's attempts share it
# What describes an answer; the rest (a cookie, a date) is not the answer's to repeat.
KEPT_HEADERS = ("Content-Type", "Location", "ETag", "Last-Modified", "Content-Location", "Link")
MAX_KEPT_BODY = 4 * 1024 * 1024
_RELEASE_SECONDS = 1.0
_TTL_INDEX = "expires_ttl"


def read_key(request: Request) -> str | None:
    """The request's key: a structured-field string (``"..."``), or, as many
    clients send it, the bare text; 1 to 255 printable ASCII characters."""
    value = request.environ.get(_ENVIRON_KEY)  # request.headers, without building it
    if value is None:
        return None
    value = value.strip(" \t")
    key: str | None = value
    if value.startswith('"'):
        key = _sf_string(value)
    if key is None or not 1 <= len(key) <= 255 or not all(" " <= c <= "~" for c in key):
        raise error_response(
            request,
            HTTPBadRequest,
            f"The {HEADER} header must be a quoted string of 1 to 255 printable ASCII characters.",
        )
    return key


def _sf_string(value: str) -> str | None:
    if len(value) < 2 or not value.endswith('"'):
        return None
    text, characters = value[1:-1], []
    escaped = False
    for character in text:
        if escaped:
            if character not in '"\\':
                return None
            characters.append(character)
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == '"':
            return None
        else:
            characters.append(character)
    return None if escaped else "".join(characters)


def caller_of(request: Request) -> str:
    """Whose key it is: the user, else the session (by its cookie), else anyone."""
    user = request.authenticated_userid
    if user is not None:
        return f"user:{user}"
    sessions = get_settings(request.registry).sessions
    cookie = request.cookies.get(sessions.cookie_name) if sessions else None
    if cookie:
        return "session:" + hashlib.sha256(cookie.encode()).hexdigest()
    return "anyone"


def fingerprint_of(request: Request) -> str:
    """The request a key was first sent with: method, target, type and body."""
    digest = hashlib.sha256()
    for part in (request.method, request.path_qs, request.content_type or ""):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\x00")
    digest.update(request.body)
    return digest.hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


class Claim:
    """One request's hold on one key."""

    def __init__(self, request: Request, key: str) -> None:
        self.request = request
        self.connection = get_connection(request.registry)
        web = get_settings(request.registry).web
        self.lease, self.ttl = web.idempotency_lease, web.idempotency_ttl
        client = self.connection.client
        self.keys = client[self.connection.db_name][web.idempotency_collection]
        self.id = {"caller": caller_of(request), "key": key}
        self.fingerprint = fingerprint_of(request)
        self.owner = request.environ.setdefault(_OWNER, ObjectId())

    def take(self) -> Response | None:
        """None once this request holds the key; the kept answer to send
        again; or the 409 or 422 raised."""
        _ensure_ttl_index(self.connection, self.keys)
        for _ in range(3):
            now = _now()
            held = {"owner": self.owner, "lease_until": now + dt.timedelta(seconds=self.lease)}
            with atomic.outside_transaction(self.keys.database.client):
                try:
                    self.keys.insert_one(
                        {
                            "_id": self.id,
                            "request": self.fingerprint,
                            "state": "running",
                            "expires": now + dt.timedelta(seconds=self.ttl),
                            **held,
                        }
                    )
                    return None
                except DuplicateKeyError:
                    kept = self.keys.find_one({"_id": self.id})
                if kept is None:
                    continue  # forgotten meanwhile: claim it anew
                if kept["request"] != self.fingerprint:
                    raise error_response(
                        self.request,
                        HTTPUnprocessableEntity,
                        f"This {HEADER} was sent with another request: "
                        "use a new key for a new request.",
                    )
                if kept["state"] == "done":
                    return _replay(kept["answer"])
                lease_until = _aware(kept["lease_until"])
                if kept["owner"] != self.owner and lease_until > now:
                    wait = max(1, math.ceil((lease_until - now).total_seconds()))
                    busy = error_response(
                        self.request,
                        HTTPConflict,
                        f"A request with this {HEADER} is still being answered: "
                        f"send it again in {wait} seconds.",
                    )
                    busy.headers["Retry-After"] = str(wait)
                    raise busy
                # Its holder is gone (or is this request's earlier attempt).
                taken = self.keys.update_one(
                    {"_id": self.id, "state": "running", "owner": kept["owner"]}, {"$set": held}
                )
                if taken.modified_count == 1:
                    return None
        raise error_response(
            self.request, HTTPConflict, f"The {HEADER} is in use: send the request again."
        )

    def keep(self, response: Response) -> None:
        """Keep the answer (in the view's transaction where there is one); a
        5xx or a body too large to keep lets the key go."""
        mine = {"_id": self.id, "state": "running", "owner": self.owner}
        body = response.body
        if response.status_code >= 500 or len(body) > MAX_KEPT_BODY:
            self.keys.delete_one(mine)
            return
        headers = [
            (name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers
        ]
        answer = {"status": response.status, "headers": headers, "body": body}
        kept = self.keys.update_one(mine, {"$set": {"state": "done", "answer": answer}})
        if kept.matched_count == 0:  # held past its lease, and another request took it
            raise error_response(
                self.request,
                HTTPConflict,
                f"Another request with this {HEADER} was answered meanwhile: send it again.",
            )

    def release(self) -> None:
        """Best effort, without waiting on a server that is gone: a key left
        held is taken over once its lease has passed."""
        with (
            contextlib.suppress(PyMongoError),
            atomic.outside_transaction(self.keys.database.client),
            pymongo.timeout(_RELEASE_SECONDS),
        ):
            self.keys.delete_one({"_id": self.id, "state": "running", "owner": self.owner})


def _replay(answer: dict[str, Any]) -> Response:
    response = Response(status=answer["status"], headerlist=[tuple(h) for h in answer["headers"]])
    response.body = bytes(answer["body"])
    response.headers[REPLAYED] = "true"
    return response


def _ensure_ttl_index(connection: MongoConnection, keys: Any) -> None:
    if getattr(connection, "idempotency_indexed", False):
        return
    with atomic.outside_transaction(keys.database.client):
        keys.create_index("expires", expireAfterSeconds=0, name=_TTL_INDEX)
    connection.idempotency_indexed = True  # type: ignore[attr-defined]


def _run_once(claim: Claim, view: Callable[..., Response], context: Any) -> Response:
    request = claim.request
    settings = get_settings(request.registry)
    if settings.transactions and request.environ.get("tm.active"):
        response = view(context, request)
        request.db  # noqa: B018 (joins the request's transaction, if not yet)
        claim.keep(response)  # committed with the view's writes by pyramid_tm
        return response
    if atomic.transactions_available(claim.connection):

        def work() -> Response:
            response = view(context, request)
            close_cursors(request)  # before the commit ends their session
            claim.keep(response)
            return response

        return atomic.run_transaction(request, VIEW_OPTION, work)
    response = view(context, request)
    claim.keep(response)
    return response


def _idempotent_view(view: Callable[..., Response], info: Any) -> Callable[..., Response]:
    if not info.options.get(VIEW_OPTION):
        return view
    if info.options.get(atomic.VIEW_OPTION):
        raise ConfigurationError(
            f"{VIEW_OPTION} runs the view in a transaction where the server has them: "
            f"drop {atomic.VIEW_OPTION} from this view"
        )
    settings = get_settings(info.registry)
    web = settings.web
    largest_body = max(settings.max_json_size, settings.max_upload_size)
    index = DeclaredIndex(
        web.idempotency_collection, (("expires", 1),), {"expireAfterSeconds": 0, "name": _TTL_INDEX}
    )
    if index not in _declared(info.registry):
        _declared(info.registry).append(index)

    def answer_once(context: Any, request: Request) -> Response:
        if _ENVIRON_KEY not in request.environ:
            return view(context, request)
        key = read_key(request)
        if key is None or (request.content_length or 0) > largest_body:
            return view(context, request)  # a body too large for any view: its own 413
        claim = Claim(request, key)
        kept = claim.take()
        if kept is not None:
            return kept
        try:
            return _run_once(claim, view, context)
        except BaseException:
            claim.release()
            raise

    return answer_once


_idempotent_view.options = (VIEW_OPTION,)  # type: ignore[attr-defined]


def includeme(config: Configurator) -> None:
    # Over the rendering: the answer kept is the one the client gets.
    config.add_view_deriver(_idempotent_view, under="decorated_view", over="rendered_view")
