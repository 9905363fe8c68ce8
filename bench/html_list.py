"""What the HTML list of items costs against the JSON list of the same page,
in the default generated project, in this one process, on the same server.

Both answer GET of a page of 20 items from one application: ``/api/items``
renders JSON, ``/items`` the page with its create form drawn from the model
(``model_form``) and the layout, for a visitor holding the cookie a browser
has after its first page (the CSRF token's: no session is read). Printed:
requests per second of each, their ratio (CPU), its 95 % interval of the
median, and the goal (at most 1.10). Then the same for a visitor logged in,
without a goal: the page reads the session and the user besides (two finds),
which the JSON list never needs.

    python bench/html_list.py [--rounds N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from cookiecutter.main import cookiecutter
from overhead import compare_and_print, cpu_of
from pymongo import MongoClient
from webtest import TestApp

from pyramid_mongo import get_connection
from pyramid_mongo.devserver import EmbeddedServer

GOAL = 1.10
COUNT = 500
REPO = Path(__file__).resolve().parents[1]


def cpu_seconds(app: Callable, path: str, count: int, cookie: str = "") -> float:
    environ = {
        "HTTP_COOKIE": cookie,
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "HTTP_ACCEPT": "text/html" if path == "/items" else "application/json",
        "wsgi.url_scheme": "http",
    }
    return cpu_of(app, environ, count)


def visitor_cookie(app: Callable, logged_in: bool = False) -> str:
    """The cookies a browser holds after its first page (the CSRF token's),
    or after signing up (the session's too)."""
    browser = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    page = browser.get("/signup" if logged_in else "/items")
    if logged_in:
        form = page.forms[len(page.forms) - 1]
        form["email"], form["password"] = "reader@example.com", "a long enough password"
        form.submit(status=303)
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    args = parser.parse_args()
    where = Path(tempfile.mkdtemp())
    project = Path(
        cookiecutter(str(REPO), directory="scaffold", no_input=True, output_dir=str(where))
    )
    sys.path.insert(0, str(project))
    from pyramid_mongo_project import main as make_app  # the default project's name

    server = EmbeddedServer(":memory:")
    url = server.start() + "?retryWrites=false"
    settings = {
        "mongodb.url": url,
        "mongodb.db_name": "bench_html",
        "mongodb.json_adapters": "true",
        "mongodb.session_secret": "b" * 40,
        "mongodb.create_indexes": "true",
    }
    app = make_app({}, **settings)
    with MongoClient(url) as client:
        client.bench_html.items.insert_many(
            [{"name": f"item {n}", "note": "", "tags": ["a", "b"], "rev": 1,
              "created": __import__("datetime").datetime(2026, 1, 1)} for n in range(40)]
        )  # fmt: skip
    try:
        for row, cookie, goal in (
            ("/items vs /api/items", visitor_cookie(app), GOAL),
            ("logged in (no goal)", visitor_cookie(app, logged_in=True), None),
        ):
            compare_and_print(
                row,
                ("JSON rps", "HTML rps"),
                lambda count, cookie=cookie: cpu_seconds(app, "/api/items", count, cookie),
                lambda count, cookie=cookie: cpu_seconds(app, "/items", count, cookie),
                args.rounds,
                COUNT,
                goal,
            )
    finally:
        get_connection(app.registry).close()
        server.stop()


if __name__ == "__main__":
    main()
