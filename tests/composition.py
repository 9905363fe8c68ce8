"""The generated default project as a user runs it: under pserve and waitress,
on a server of their own, logged in, under load, with the server stopped
and frozen. Every page answers, and answers 503 (never 500) while MongoDB
cannot, within a bound, and recovers without a restart."""

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pyramid_mongo.embedded import free_port
from tests.servers import Server
from tests.serving import Served

# The pages of the default project, for anybody and for a logged-in user.
PAGES = ["/", "/api/items", "/healthz", "/login", "/signup", "/counters/clicks"]
LOGGED_IN_PAGES = [*PAGES, "/account"]
WAITRESS_THREADS = 4
LOAD = 2000
CONCURRENCY = 16


class Browser:
    """Cookies and CSRF tokens, as a browser keeps them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def fetch(self, path: str, data: dict | None = None, json: bool = False) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        if json:
            request.add_header("Accept", "application/json")
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_up(self, email: str, password: str) -> None:
        status, form = self.fetch("/signup")
        assert status == 200, form
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        fields = {"csrf_token": token, "email": email, "password": password}
        status, page = self.fetch("/signup", fields)
        assert status == 200 and email in page, page


def answers_within(browser: Browser, paths: list[str], bound: float) -> dict[str, int]:
    """Each page at once, by path: its status, every one within ``bound`` seconds."""

    def timed(path: str) -> tuple[str, int, float]:
        started = time.monotonic()
        status, _ = browser.fetch(path)
        return path, status, time.monotonic() - started

    # As many at once as waitress has threads: none waits for another.
    with ThreadPoolExecutor(WAITRESS_THREADS) as pool:
        results = list(pool.map(timed, paths))
    slow = {path: round(took, 1) for path, _, took in results if took > bound}
    assert not slow, f"slower than {bound} s: {slow}"
    return {path: status for path, status, _ in results}


def under_load(browser: Browser) -> dict[int, int]:
    """LOAD requests of a logged-in user at CONCURRENCY: the count of each status."""
    paths = ["/", "/account", "/api/items", "/counters/clicks"]

    def one(n: int) -> int:
        if n % 5 == 4:
            return browser.fetch("/counters/hits", {})[0]  # a POST to a hot document
        return browser.fetch(paths[n % len(paths)])[0]

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        statuses = list(pool.map(one, range(LOAD)))
    return {status: statuses.count(status) for status in set(statuses)}


def serve_on(project: Path, pserve: str, server: Server, work: Path) -> Served:
    ini = work / "served.ini"
    text = (project / "development.ini").read_text()
    ini.write_text(text.replace("localhost:6543", f"127.0.0.1:{free_port()}"))
    return Served(ini, pserve=pserve, mongodb_url=server.url + "composition")


def check_the_default_project(project: Path, pserve: str, work: Path, *flags: str) -> None:
    """On a server started with ``flags``: load, stop, restart, freeze, thaw."""
    data = work / "data"
    server = Server(*flags, storage=str(data), port=free_port()).start()
    served = serve_on(project, pserve, server, work)
    try:
        assert served.hits() == 1
        browser = Browser(f"http://127.0.0.1:{served.port}")
        anonymous = Browser(browser.base)
        browser.sign_up("composer@example.com", "a long enough password")
        statuses = under_load(browser)
        assert statuses == {200: LOAD}, statuses
        assert set(answers_within(browser, LOGGED_IN_PAGES, 10).values()) == {200}

        # Stopped: 503 within the selection timeout (3 s) and a second.
        server.kill()
        for who, pages in ((browser, LOGGED_IN_PAGES), (anonymous, PAGES)):
            found = answers_within(who, pages, 3 + 1)
            assert set(found.values()) <= {200, 503} and 503 in found.values(), found
            assert found["/"] == found["/healthz"] == 503, found
        status, body = browser.fetch("/", json=True)
        assert status == 503 and body.startswith("{"), body
        server.start()  # the same port and data: the app recovers by itself
        assert set(answers_within(browser, LOGGED_IN_PAGES, 10).values()) == {200}

        # Frozen: accepts connections and never answers; 503 within 10 s.
        server.freeze()
        found = answers_within(browser, LOGGED_IN_PAGES, 10)
        assert set(found.values()) <= {200, 503} and found["/"] == 503, found
        server.thaw()
        time.sleep(1)
        assert set(answers_within(browser, LOGGED_IN_PAGES, 10).values()) == {200}
        assert "Traceback" not in served.output(), served.output()[-3000:]
    finally:
        served.stop()
        server.stop()
