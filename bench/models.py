"""What a typed document costs a request, against the same request written by
hand, in one process on one SecantusDB server: a validated create (the body
read through the model, stored with ``to_document``) against ``json_body``
and hand-written checks; a typed read (``model_validate``, rendered through
``__json__``) against the document as PyMongo reads it.

Rounds of the two alternate; the median of the rounds' ratios of requests per
second (hand / model) is printed with the 95 % confidence interval of that
median, "inconclusive" when it straddles the goal (at most 1.10).

First, the model layer alone, no server: ``validate_body`` of a request
against pydantic's own ``Item.model_validate_json`` of the same body, each
check of ours included (the body's size, charset, nesting, 64-bit integers,
storable text, the keys a client may send); goal: at most 2x.

    python bench/models.py [--rounds N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from bson import ObjectId
from pydantic import Field
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPBadRequest

sys.path.insert(0, str(Path(__file__).parent))
from overhead import judged

from pyramid_mongo import error_response, json_body
from pyramid_mongo.devserver import EmbeddedServer
from pyramid_mongo.models import Document, validate_body

GOAL = 1.10
BODY = b'{"name": "desk lamp", "note": "by the bed", "tags": ["light", "desk"]}'
FIELDS = ("name", "note", "tags")


class Item(Document):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    note: Annotated[str, Field(max_length=2000)] = ""
    tags: Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]], Field(max_length=20)]
    created: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
    rev: int = 1


def create_by_hand(request: Any) -> Any:
    body = json_body(request)
    if not isinstance(body, dict) or set(body) - set(FIELDS):
        raise error_response(request, HTTPBadRequest, "Not an item.")
    name, note, tags = body.get("name"), body.get("note", ""), body.get("tags", [])
    if not isinstance(name, str) or not 1 <= len(name) <= 200:
        raise error_response(request, HTTPBadRequest, "'name' is 1 to 200 characters.")
    if not isinstance(note, str) or len(note) > 2000:
        raise error_response(request, HTTPBadRequest, "'note' is at most 2000 characters.")
    if not isinstance(tags, list) or len(tags) > 20:
        raise error_response(request, HTTPBadRequest, "'tags' is a list of at most 20.")
    if not all(isinstance(tag, str) and 1 <= len(tag) <= 40 for tag in tags):
        raise error_response(request, HTTPBadRequest, "A tag is 1 to 40 characters.")
    document = {"name": name, "note": note, "tags": tags}
    document.update(created=dt.datetime.now(dt.UTC), rev=1)
    request.db.items.insert_one(document)
    return document


def create_by_model(request: Any) -> Any:
    item = validate_body(request, Item, fields=FIELDS)
    request.db.items.insert_one(item.to_document())
    return item


def read_by_hand(request: Any) -> Any:
    return request.db.items.find_one({"_id": request.registry.settings["bench.id"]})


def read_by_model(request: Any) -> Any:
    document = request.db.items.find_one({"_id": request.registry.settings["bench.id"]})
    return Item.model_validate(document)


def app(url: str, item_id: ObjectId) -> Callable[..., Any]:
    settings = {"mongodb.url": url, "mongodb.db_name": "bench_models", "bench.id": item_id}
    settings["mongodb.json_adapters"] = "true"
    with Configurator(settings=settings) as config:
        config.include("pyramid_mongo")
        for name, view in (
            ("create_by_hand", create_by_hand),
            ("create_by_model", create_by_model),
            ("read_by_hand", read_by_hand),
            ("read_by_model", read_by_model),
        ):
            config.add_route(name, f"/{name}")
            config.add_view(view, route_name=name, renderer="json")
    return config.make_wsgi_app()


def requests_per_second(application: Callable[..., Any], path: str, count: int) -> float:
    post = path.startswith("/create")

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        assert status.startswith("200"), status

    gc.collect()
    started = time.perf_counter()
    for _ in range(count):
        environ = {
            "REQUEST_METHOD": "POST" if post else "GET",
            "PATH_INFO": path,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "wsgi.url_scheme": "http",
        }
        if post:
            environ.update(
                CONTENT_TYPE="application/json",
                CONTENT_LENGTH=str(len(BODY)),
                **{"wsgi.input": io.BytesIO(BODY)},
            )
        body = application(environ, start_response)
        b"".join(body)
        if hasattr(body, "close"):
            body.close()
    return count / (time.perf_counter() - started)


LAYER_GOAL = 2.0


def model_layer(rounds: int, count: int = 5000) -> None:
    from pyramid.request import Request

    registry = app("mongodb://127.0.0.1:1/bench", ObjectId()).registry  # type: ignore[attr-defined]

    def requests() -> list[Any]:
        made = []
        for _ in range(count):
            request = Request.blank("/", method="POST", body=BODY, content_type="application/json")
            request.registry = registry
            made.append(request)
        return made

    ratios = []
    for _ in range(rounds):
        batch = requests()
        gc.collect()
        started = time.perf_counter()
        for request in batch:
            validate_body(request, Item, fields=FIELDS)
        ours = time.perf_counter() - started
        batch = requests()
        gc.collect()
        started = time.perf_counter()
        for request in batch:
            Item.model_validate_json(request.body)
        ratios.append(ours / (time.perf_counter() - started))
    ratio, low, high, said = judged(ratios, LAYER_GOAL)
    print(
        f"validate_body: {ratio:.2f}x Item.model_validate_json (95 % interval of the median "
        f"{low:.2f}-{high:.2f}; goal <= {LAYER_GOAL}: {said})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=600)
    args = parser.parse_args()
    model_layer(args.rounds)
    server = EmbeddedServer(":memory:")
    url = server.start() + "?retryWrites=false"
    item = Item(name="lamp", tags=["light"])
    application = app(url, item.id)
    from pyramid_mongo import get_db

    get_db(application.registry).items.insert_one(item.to_document())  # type: ignore[attr-defined]
    try:
        for kind in ("create", "read"):
            rates: dict[str, list[float]] = {"hand": [], "model": []}
            for round_ in range(args.rounds):
                order = ("hand", "model") if round_ % 2 == 0 else ("model", "hand")
                for name in order:
                    path = f"/{kind}_by_{name}"
                    rates[name].append(requests_per_second(application, path, args.requests))
            ratios = [a / b for a, b in zip(rates["hand"], rates["model"], strict=True)]
            ratio, low, high, said = judged(ratios, GOAL)
            print(
                f"typed {kind}: {ratio:.2f}x the hand-written one (95 % interval of the "
                f"median {low:.2f}-{high:.2f}; goal <= {GOAL}: {said})"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
