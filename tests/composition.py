"""The generated default project as a user runs it: under pserve and waitress,
on a server of their own, logged in, under load, with the server stopped
and frozen. Every page answers, and answers 503 (never 500) while MongoDB
cannot, within a bound, and recovers without a restart."""

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pyramid_mongo.devserver import free_port
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

    def send_json(
        self, method: str, path: str, body: dict | None = None, **headers: str
    ) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        for name, value in headers.items():
            request.add_header(name.replace("_", "-"), value)
        try:
            with self.opener.open(request, timeout=30) as response:
                found = json.loads(response.read())
                return response.status, {**found, "ETag": response.headers.get("ETag")}
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

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
    """LOAD requests of a logged-in user at CONCURRENCY: the count of each
    status. One in five replaces one shared item with the ETag it just read:
    412 when another write came first, and no write is ever lost."""
    paths = ["/", "/account", "/api/items", "/counters/clicks"]
    status, item = browser.send_json("POST", "/api/items", {"name": "shared"})
    assert status == 201, item
    location = "/api/items/" + item["_id"]

    def replace(n: int) -> int:
        status, read = browser.send_json("GET", location)
        assert status == 200, read
        body = {"name": "shared", "note": str(n)}
        return browser.send_json("PUT", location, body, If_Match=read["ETag"])[0]

    def one(n: int) -> int:
        if n % 5 == 4:
            return browser.fetch("/counters/hits", {})[0]  # a POST to a hot document
        if n % 5 == 3:
            return replace(n)
        return browser.fetch(paths[n % len(paths)])[0]

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        statuses = list(pool.map(one, range(LOAD)))
    _, final = browser.send_json("GET", location)
    replaced = sum(1 for n, status in enumerate(statuses) if n % 5 == 3 and status == 200)
    assert final["rev"] == 1 + replaced, (final, replaced)  # every win counted once
    return {status: statuses.count(status) for status in set(statuses)}


def tracebacks(output: str) -> list[str]:
    """Each traceback in a server's log, to the line that names its exception."""
    found = []
    for block in output.split("Traceback (most recent call last):")[1:]:
        lines = block.splitlines()
        end = next((n for n, line in enumerate(lines) if line[:2] == "20"), len(lines))
        found.append("\n".join(lines[:end]))
    return found


def retried(trace: str) -> bool:
    """A write conflict the debug toolbar logs on its way to pyramid_retry,
    which runs the request again (the transactions variant)."""
    return "WriteConflict" in trace.strip().splitlines()[-1]


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
        assert set(statuses) <= {200, 412} and statuses[200] >= LOAD * 4 // 5, statuses
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
        unexpected = [trace for trace in tracebacks(served.output()) if not retried(trace)]
        assert not unexpected, unexpected[0]
    finally:
        served.stop()
        server.stop()
