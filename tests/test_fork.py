"""An app built, and even used, before a fork gets a fresh client in each child,
as under gunicorn --preload or uWSGI without lazy-apps."""

import json
import os
import warnings

from webtest import TestApp

from pyramid_mongo import get_client


def run_in_child(job) -> dict:
    """Fork, run job() in the child, and return what it reported."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without pytest's clean-up
        try:
            os.close(read_end)
            report = job()
        except BaseException as exc:
            report = {"error": repr(exc)}
        os.write(write_end, json.dumps(report).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def test_a_child_forked_after_requests_gets_a_client_of_its_own(build_app):
    app = TestApp(build_app())
    app.post("/seed", {"count": "3"}, status=204)
    assert app.get("/count").text == "3"
    parent_client = get_client(app.app.registry)

    def serve_in_child() -> dict:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            body = app.get("/count").text
            app.post("/seed", {"count": "2"}, status=204)
        return {
            "body": body,
            "same_client": get_client(app.app.registry) is parent_client,
            "warnings": [str(warning.message) for warning in caught],
        }

    report = run_in_child(serve_in_child)
    assert report == {"body": "3", "same_client": False, "warnings": []}
    # The parent's client was left alone and sees the child's writes.
    assert get_client(app.app.registry) is parent_client
    assert app.get("/count").text == "5"
