"""The default generated project as it is deployed: Debian's nginx, with the
project's own deploy/nginx.conf, in front of pserve production.ini, TLS
terminated by nginx, facing hostile clients; and clients that retry their
POST with an Idempotency-Key while the database is killed (kill -9).
Skipped, saying so, where nginx is not installed (.ci/run installs it)."""

import concurrent.futures
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pymongo import MongoClient

from pyramid_mongo.devserver import free_port
from tests.product.test_scaffold import bake
from tests.servers import Server
from tests.serving import Served, wait_until, without_python_warnings

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
OPENSSL = shutil.which("openssl")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (NGINX and OPENSSL), reason="no nginx: apt-get install nginx to run the deploy test"
    ),
]
HOST = "shop.example"
PER_CLIENT = 20
PACKAGE = "deployed_shop"


class Site:
    def __init__(self, root: Path, https: int, http: int) -> None:
        self.root, self.https, self.http = root, https, http
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE

    def request(self, method, path, body=None, headers=None, timeout=10.0):
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.https, context=self.context, timeout=timeout
        )
        try:
            connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def raw(self, data: bytes, timeout=5.0) -> bytes:
        """What the server sends back to ``data``, until it closes the connection."""
        plain = socket.create_connection(("127.0.0.1", self.https), timeout=timeout)
        with plain, self.context.wrap_socket(plain, server_hostname=HOST) as sock:
            sock.sendall(data)
            received = b""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    chunk = sock.recv(65536)
                except (TimeoutError, ssl.SSLError, ConnectionError):
                    break
                if not chunk:
                    break
                received += chunk
            return received


def nginx_conf(project: Path, where: Path, app_port: int, https: int, http: int) -> Path:
    """The project's site config as shipped, on test ports and a test certificate."""
    site = (project / "deploy" / "nginx.conf").read_text()
    key, cert = where / "key.pem", where / "cert.pem"
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={HOST}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    replaced = {
        "server 127.0.0.1:6543;": f"server 127.0.0.1:{app_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https} ssl;",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen [::]:443 ssl;": "",
        "listen [::]:80;": "",
        "server_name example.com;": f"server_name {HOST};",
        "/etc/letsencrypt/live/example.com/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/example.com/privkey.pem": str(key),
        f"alias /srv/{PACKAGE}/var/error-pages/;": f"alias {where}/error-pages/;",
    }
    for shipped, local in replaced.items():
        assert shipped in site, shipped
        site = site.replace(shipped, local)
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = where / "nginx.conf"
    main.write_text(
        f"{user}worker_processes 1;\npid {where}/nginx.pid;\nerror_log {where}/error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n access_log {where}/access.log;\n"
        f" client_body_temp_path {where}/body; proxy_temp_path {where}/proxy;\n"
        f" fastcgi_temp_path {where}/fcgi; uwsgi_temp_path {where}/uwsgi;"
        f" scgi_temp_path {where}/scgi;\n{site}\n}}\n"
    )
    return main


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    where = tmp_path_factory.mktemp("deploy")
    project = bake(where, repo_name=PACKAGE)
    data = where / "data"
    database = Server("--sync-on-commit", storage=str(data)).start()
    app_port, https, http = free_port(), free_port(), free_port()
    ini = project / "deployed.ini"
    text = (project / "production.ini").read_text()
    text = text.replace(f"use = egg:{PACKAGE}", f"use = call:{PACKAGE}:main")
    text = text.replace("listen = 127.0.0.1:6543", f"listen = 127.0.0.1:{app_port}")
    # A lost request's key is taken over after 2 s, not 30: the kill -9 test waits less.
    text = text.replace(
        "mongodb.health_route", "mongodb.idempotency_lease = 2\nmongodb.health_route"
    )
    ini.write_text(text)
    # The deployment's variables, given to its processes, never to this one.
    environ = {"MONGODB_SESSION_SECRET": "d" * 48, "MONGODB_ALLOWED_HOSTS": HOST}
    running = []  # what to stop, whatever fails on the way
    try:
        # The deploy's step before the app starts (the systemd unit's ExecStartPre).
        pages = subprocess.run(
            [str(Path(sys.executable).with_name("pyramid-mongo-error-pages")), str(ini),
             str(where / "error-pages")],
            env={**os.environ, **environ, "MONGODB_URL": database.url, "PYTHONPATH": str(project)},
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert pages.returncode == 0, pages.stderr
        assert pages.stdout.count("wrote ") == 16 and not without_python_warnings(pages.stderr)
        conf = nginx_conf(project, where, app_port, https, http)
        served = Served(
            ini, pserve=str(Path(sys.executable).with_name("pserve")), mongodb_url=database.url,
            cwd=project, environ=environ,
        )  # fmt: skip
        running.append(served.stop)
        nginx_log = (where / "nginx.out").open("w+")
        nginx = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(where), "-g", "daemon off;"],
            stdout=nginx_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        running.append(lambda: (nginx.terminate(), nginx.wait(30), nginx_log.close()))
        site = Site(where, https, http)

        def up():
            if nginx.poll() is not None:
                raise AssertionError("nginx exited: " + (where / "nginx.out").read_text())
            if served.process.poll() is not None:
                raise AssertionError("pserve exited:\n" + served.output())
            try:
                return site.request("GET", "/healthz")[0] == 200
            except OSError:
                return False

        wait_until(up, 60, "the deployed site")
        yield site, database, served
    finally:
        for stop in reversed(running):
            stop()
        database.stop()


def test_urls_are_https_on_the_public_host_whatever_the_client_claims(deployed):
    site, _, _ = deployed
    spoofed = {
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Host": "evil.example",
        "Forwarded": "for=1.2.3.4;host=evil.example;proto=http",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    status, headers, body = site.request("POST", "/api/items", b'{"name": "lamp"}', spoofed)
    assert status == 201, body
    item = json.loads(body)
    # The public port is 443 in production; here nginx listens on a test port.
    assert headers["Location"] == f"https://{HOST}:{site.https}/api/items/{item['_id']}"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, _ = site.request("GET", "/", headers={"Accept": "text/html"})
    assert status == 200 and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    plain = http.client.HTTPConnection("127.0.0.1", site.http, timeout=5)
    plain.request("GET", "/api/items", headers={"Host": HOST})
    answer = plain.getresponse()
    assert answer.status == 301 and answer.getheader("Location").startswith("https://")
    plain.close()


@pytest.mark.parametrize(
    "host_lines",
    [b"", b"Host: evil.example\r\n", b"Host: shop.example\r\nHost: evil.example\r\n",
     b"Host: shop example\r\n"],
    ids=["missing", "not-allowed", "repeated", "invalid"],
)  # fmt: skip
def test_a_missing_repeated_invalid_or_unknown_host_is_refused(deployed, host_lines):
    site, _, _ = deployed
    request = b"GET / HTTP/1.1\r\n" + host_lines + b"Accept: text/html\r\nConnection: close\r\n\r\n"
    answer = site.raw(request)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"evil.example/" not in answer
    assert b"<title>Bad Request \xc2\xb7 Pyramid Mongo Project</title>" in answer  # the app's page


def test_transfer_encoding_with_content_length_never_runs_a_second_request(deployed):
    site, database, _ = deployed
    client = MongoClient(database.url)
    before = client[PACKAGE].items.count_documents({})
    smuggled = b'{"name": "smuggled"}'
    data = (
        b"POST /api/items HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/json\r\n"
        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        b"POST /api/items HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(smuggled)}\r\n\r\n".encode()
        + smuggled
    )
    answer = site.raw(data)
    assert len(re.findall(rb"HTTP/1\.1 \d{3}", answer)) <= 1, answer
    assert client[PACKAGE].items.count_documents({"name": "smuggled"}) == 0
    assert client[PACKAGE].items.count_documents({}) == before
    client.close()


def test_trickling_clients_do_not_keep_a_request_from_answering(deployed):
    """200 connections, from ten addresses (20 each: within nginx's limit per
    client), that send a byte now and then: half inside the TLS handshake,
    half a request's headers that never end. A normal request still answers
    within a second."""
    site, _, _ = deployed
    stop = threading.Event()
    sockets = []

    def trickle():
        while not stop.is_set():
            for sock in list(sockets):
                try:
                    sock.send(b"X")
                except (OSError, ssl.SSLError):
                    sockets.remove(sock)
            stop.wait(0.5)

    try:
        for number in range(200):
            plain = socket.socket()
            plain.bind((f"127.0.0.{2 + number // 20}", 0))
            plain.connect(("127.0.0.1", site.https))
            if number % 2:
                plain.send(b"\x16")  # the start of a TLS handshake, never finished
                sockets.append(plain)
            else:
                sock = site.context.wrap_socket(plain, server_hostname=HOST)
                sock.send(b"GET / HTTP/1.1\r\nHost: shop.example\r\nX-Slow: ")
                sockets.append(sock)
        feeder = threading.Thread(target=trickle)
        feeder.start()
        time.sleep(1)
        assert len(sockets) == 200  # all of them still held open
        started = time.monotonic()
        status, _, _ = site.request("GET", "/api/items", headers={"Accept": "application/json"})
        assert status == 200 and time.monotonic() - started < 1.0
    finally:
        stop.set()
        for sock in sockets:
            sock.close()


def test_a_body_over_the_limit_is_refused_before_it_reaches_python(deployed):
    site, _, _ = deployed
    big = b"x" * (12 * 1024 * 1024)
    status, headers, _ = site.request(
        "POST", "/api/items", big, {"Content-Type": "application/json"}, timeout=30
    )
    assert status == 413
    # nginx's own answer (the app's would carry its CSP), in the app's words.
    assert "Content-Security-Policy" not in headers
    assert headers["Content-Type"] == "application/problem+json"  # an /api/ path
    as_page = site.request("POST", "/form", big, {"Accept": "text/html"}, timeout=30)
    assert as_page[0] == 413 and as_page[1]["Content-Type"] == "text/html"
    assert b"larger than this site takes" in as_page[2] and b"Pyramid Mongo Project" in as_page[2]


def test_retrying_clients_store_each_item_exactly_once_through_kill_9(deployed):
    """16 clients create items one after another, retrying each with its key
    until the answer is definite. Meanwhile the database hangs (SIGSTOP),
    with writes applied and not yet answered, is killed (kill -9) and comes
    back 5 s later: past production.ini's timeoutMS, so requests get 503."""
    site, database, _ = deployed
    names = [f"kept-{client}-{n}" for client in range(16) for n in range(PER_CLIENT)]
    answers: dict[str, dict] = {}
    not_yet = []  # the answers that were not definite: the outage was met
    done_before = []

    def create(name):
        body = json.dumps({"name": name}).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": f'"{name}"',
        }
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                status, _, text = site.request("POST", "/api/items", body, headers, timeout=15)
            except (OSError, http.client.HTTPException) as exc:
                not_yet.append(type(exc).__name__)
                time.sleep(0.2)
                continue
            if status == 201:
                answers[name] = json.loads(text)
                return
            # A 409 for the name means that this client's earlier try was stored.
            assert b"exists" not in text, f"{name}: stored twice: {text!r}"
            assert status in (409, 502, 503, 504), (status, text)  # not yet definite
            not_yet.append(status)
            time.sleep(0.3)
        raise AssertionError(f"{name}: no definite answer in 120 s")

    def client(number):
        for name in names[number * PER_CLIENT : (number + 1) * PER_CLIENT]:
            create(name)

    def hang_kill_and_restart():
        time.sleep(0.3)
        database.freeze()  # hung with writes in flight
        done_before.append(len(answers))
        time.sleep(0.5)
        database.kill()  # kill -9
        time.sleep(5.0)
        database.start()

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        killer = threading.Thread(target=hang_kill_and_restart)
        killer.start()
        list(pool.map(client, range(16)))
        killer.join()
    connection = MongoClient(database.url)
    items = connection[PACKAGE].items
    stored = {doc["name"]: doc for doc in items.find({"name": {"$in": names}})}
    counts = {name: items.count_documents({"name": name}) for name in names}
    connection.close()
    assert done_before[0] < len(names) and not_yet, (done_before, len(names))
    assert len(answers) == len(names)
    assert set(counts.values()) == {1}, counts
    for name in names:
        assert answers[name]["_id"] == str(stored[name]["_id"])


def test_the_app_not_answering_is_its_own_page_saying_a_write_may_have_happened(deployed):
    """Last in this module: it stops the app."""
    site, _, served = deployed
    served.stop()
    status, headers, body = site.request(
        "POST", "/api/items", b"{}", {"Accept": "application/json"}
    )
    assert status == 502 and headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 502 and "Idempotency-Key" in problem["detail"]
    status, headers, body = site.request("GET", "/", headers={"Accept": "text/html"})
    assert status == 502 and b"<title>Bad Gateway" in body
