"""``pyramid-mongo-error-pages INI FOLDER [--url URL]``: the application's own
error pages as files, for the reverse proxy in front of it.

nginx answers some requests itself: a body over its limit (413), a request
it cannot parse (400), too many connections (429), and the app not
answering (502, 504). With these files (``error_page`` in the generated
``deploy/nginx.conf``) those answers are the application's page for a
browser and RFC 9457 problem details for a JSON client, like every answer
the app makes. Each status is written as ``STATUS.html`` and ``STATUS.json``,
rendered by ``error_response`` with the application's ``add_error_page``
templates, without MongoDB (as its outage page is).

One line per file written on standard output. Exit status: 0 written,
1 a file could not be written, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyramid import httpexceptions
from pyramid.exceptions import ConfigurationError
from pyramid.request import Request
from pyramid.scripting import prepare

from .http import error_response, first_host
from .migrate_command import load_registry
from .outage import MAY_HAVE_WRITTEN
from .settings import get_settings

NOT_ANSWERING = "The site is not answering at the moment. Please try again shortly."
MESSAGES = {
    400: "The request is malformed: its headers are not ones this site can read.",
    413: "The request's body is larger than this site takes.",
    414: "The request's address is longer than this site takes.",
    429: "Too many connections from your address at once: try again in a moment.",
    500: "Something went wrong on our side.",
    502: NOT_ANSWERING + MAY_HAVE_WRITTEN,
    503: NOT_ANSWERING + MAY_HAVE_WRITTEN,
    504: NOT_ANSWERING + MAY_HAVE_WRITTEN,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyramid-mongo-error-pages",
        description="Write the application's error pages as files, for nginx's error_page.",
        epilog="example:\n  pyramid-mongo-error-pages production.ini var/error-pages "
        "--url https://example.com\n\nexit status: 0 written, 1 not written, 2 bad usage "
        "or configuration",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config_uri", help="the INI file, e.g. production.ini")
    parser.add_argument("folder", help="where the files go (made if missing)")
    parser.add_argument(
        "--url", help="the site's public URL, for the pages' links (default: its first host)"
    )
    return parser


def page_request(registry: Any, url: str | None) -> Request:
    if url is None:
        url = f"https://{first_host(get_settings(registry).web.allowed_hosts)}"
    request = Request.blank("/", base_url=url)
    request.registry = registry
    request.mongodb_unavailable = True  # the pages are rendered without MongoDB
    return request


def write_pages(registry: Any, folder: Path, url: str | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for status, message in MESSAGES.items():
        error = httpexceptions.status_map[status]
        for kind, accept in (("html", "text/html"), ("json", "application/json")):
            request = page_request(registry, url)
            request.headers["Accept"] = accept
            env = prepare(request=request, registry=registry)
            try:
                answer = error_response(request, error, message)
            finally:
                env["closer"]()
            path = folder / f"{status}.{kind}"
            path.write_bytes(answer.body)
            written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(argv) if argv is not None else None)
    try:
        registry = load_registry(args.config_uri)
        for path in write_pages(registry, Path(args.folder), args.url):
            print(f"wrote {path}")
    except ConfigurationError as exc:
        print(f"pyramid-mongo-error-pages: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"pyramid-mongo-error-pages: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0
