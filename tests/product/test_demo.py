"""The demo app of the repository's INI files, through its testing.ini."""

import re
from datetime import datetime

import pytest


def test_the_home_page_records_each_hit_and_shows_the_count(testapp, mongodb_db):
    first = testapp.get("/", status=200)
    assert 'id="hits">1<' in first.text
    second = testapp.get("/?from=test", status=200)
    assert 'id="hits">2<' in second.text
    testapp.get("/" + "x" * 5000, status=404)  # not the home page: not recorded
    hits = list(mongodb_db.page_hits.find({}, {"_id": 0}).sort("timestamp", 1))
    assert [hit["path"] for hit in hits] == ["/", "/"]
    assert all(isinstance(hit["timestamp"], datetime) for hit in hits)


def test_the_counter_as_json(testapp, mongodb_db):
    testapp.get("/")
    testapp.get("/")
    assert testapp.get("/hits.json").json == {"hits": 2}


def test_the_count_is_the_counters_not_a_count_of_documents(testapp, mongodb_db):
    mongodb_db.counters.insert_one({"_id": "page_hits", "value": 999_999})
    assert 'id="hits">1000000<' in testapp.get("/").text


@pytest.mark.slow
def test_the_demo_answers_503_when_mongodb_is_down(outage_testapp):
    response = outage_testapp.get("/", status=503)
    assert "database is unavailable" in response.text


def test_the_items_api_creates_lists_and_shows_items(testapp):
    created = testapp.post_json("/items", {"name": "lamp"}, status=201)
    item_id = created.json["_id"]
    assert created.location == f"http://example.com/items/{item_id}"
    assert created.json["created"].endswith("Z")
    assert testapp.get(f"/items/{item_id}").json["name"] == "lamp"
    assert [item["name"] for item in testapp.get("/items").json["items"]] == ["lamp"]


def test_the_home_page_explains_each_part_and_adds_items_from_a_form(testapp):
    page = testapp.get("/")
    for part in ("Page hits", "Items", "Files", "Transactions"):
        assert f"<h2>{part}</h2>" in page.text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: /", page.text)
    form = page.forms[0]
    form["name"] = "Café lamp"
    back = form.submit(status=303).follow()
    assert "Café lamp</a>" in back.text
    assert testapp.get("/items").json["items"][0]["name"] == "Café lamp"
    form = back.forms[0]
    form["name"] = "Café lamp"
    assert form.submit(status=409, headers={"Accept": "text/html"}).status_int == 409


def test_the_items_api_refuses_bad_input_and_unknown_ids(testapp):
    testapp.post("/items", "not json", content_type="application/json", status=400)
    assert "non-empty string" in testapp.post_json("/items", {"name": " "}, status=400).text
    testapp.post_json("/items", {"name": "lamp"}, status=201)
    testapp.post_json("/items", {"name": "lamp"}, status=409)  # the declared unique index
    testapp.get("/items/not-an-object-id", status=404)
    testapp.get("/items/6b02c5fcccb4b1a794cb7b9f", status=404)


def test_the_files_page_uploads_and_serves_files(testapp):
    assert "No file yet" in testapp.get("/files").text
    uploaded = testapp.post("/files", upload_files=[("file", "hello.txt", b"hi there")])
    assert uploaded.status_int == 303
    page = uploaded.follow()
    assert "hello.txt" in page.text and "8 bytes" in page.text
    served = testapp.get("/files/hello.txt")
    assert served.body == b"hi there"
    assert served.headers["Content-Type"] == "text/plain; charset=utf-8"
    testapp.post("/files", upload_files=[("file", "big.bin", b"x" * (2 << 20))], status=413)


def test_the_health_view(testapp):
    assert testapp.get("/healthz").json["status"] == "ok"


JSON = {"Accept": "application/json"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("[" * 200 + "]" * 200, 400),  # deeper than MongoDB's 100 levels
        ("[" * 100_000 + "]" * 100_000, 400),  # deeper than Python's recursion limit
        ('{"name": "\\ud800"}', 400),  # a lone surrogate is not text
        ('{"name": "caf\\u00e9"}', 201),
        (b'{"name": "\xff"}', 400),  # not UTF-8
    ],
)
def test_bad_json_input_is_a_4xx_in_json(testapp, body, status):
    response = testapp.post(
        "/items", body, content_type="application/json", headers=JSON, status="*"
    )
    assert response.status_int == status, response.text
    if status == 400:
        assert response.content_type == "application/problem+json"
        assert response.json["code"] == "400 Bad Request"


def test_a_document_over_mongodbs_limit_is_413(testapp):
    response = testapp.post_json("/items", {"name": "x" * (17 << 20)}, headers=JSON, status="*")
    assert response.status_int == 413
    assert response.json["code"] == "413 Request Entity Too Large"


def test_api_errors_answer_json_clients_in_json(testapp):
    for path in ("/items/6b02c5fcccb4b1a794cb7b9f", "/items/not-an-id", "/nowhere"):
        response = testapp.get(path, headers=JSON, status=404)
        assert response.content_type == "application/problem+json"
        assert response.json["message"] == "There is nothing at this address."
    item = testapp.post_json("/items", {"name": "lamp"}, status=201).json["_id"]
    refused = testapp.delete(f"/items/{item}", headers=JSON, status=405)
    assert refused.headers["Allow"] == "GET, HEAD" and refused.json["code"].startswith("405")
    assert testapp.get(f"/items/{item}").json["name"] == "lamp"  # still there
    testapp.put("/items", headers=JSON, status=405)


@pytest.mark.slow
def test_error_pages_look_like_the_demo_and_say_it_once(testapp, outage_testapp):
    page = testapp.get("/nowhere", headers={"Accept": "text/html"}, status=404)
    assert "pyramid_mongo demo" in page.text and "Not found" in page.text
    down = outage_testapp.get("/", headers={"Accept": "text/html"}, status=503)
    assert "pyramid_mongo demo" in down.text
    assert down.text.count("database is unavailable") == 1
    assert "currently unavailable" not in down.text
    as_json = outage_testapp.get("/hits.json", headers=JSON, status=503).json
    assert (
        as_json["message"] == "The database is unavailable at the moment. Please try again shortly."
    )


def test_a_transfer_is_all_or_nothing(testapp, mongodb_db):
    testapp.post_json("/accounts", {"name": "alice", "balance": 100}, status=201)
    testapp.post_json("/accounts", {"name": "bob"}, status=201)
    testapp.post_json("/transfers", {"from": "alice", "to": "bob", "amount": 30}, status=200)
    testapp.post_json("/transfers", {"from": "alice", "to": "bob", "amount": 500}, status=409)
    # The debit is written, then the credit finds no account: both roll back.
    refused = testapp.post_json(
        "/transfers", {"from": "alice", "to": "nobody", "amount": 10}, headers=JSON, status=404
    )
    assert refused.json["message"] == "There is no account 'nobody'."
    balances = {doc["_id"]: doc["balance"] for doc in mongodb_db.accounts.find()}
    assert balances == {"alice": 70, "bob": 30}
    listed = testapp.get("/accounts").json["accounts"]
    assert [account["_id"] for account in listed] == ["alice", "bob"]


def test_accounts_and_transfers_from_the_home_page(testapp, mongodb_db):
    """As the page says: open two accounts, then move money, all from forms."""
    home = testapp.get("/")
    assert "Open an account" in home.text and "No account yet." in home.text
    testapp.post("/accounts", {"name": "alice", "balance": "100"}, status=303)
    testapp.post("/accounts", {"name": "bob", "balance": "0"}, status=303)
    testapp.post("/transfers", {"from": "alice", "to": "bob", "amount": "30"}, status=303)
    page = testapp.get("/")
    assert "alice: 70" in page.text and "bob: 30" in page.text
    # A JSON request to an account that does not exist: JSON, whatever its Accept.
    missing = testapp.post_json(
        "/transfers", {"from": "alice", "to": "nobody", "amount": 10}, status=404
    )
    assert missing.content_type == "application/problem+json"
    assert mongodb_db.accounts.find_one({"_id": "alice"})["balance"] == 70  # rolled back
    # A form's mistake gets the demo's own page, with the way back.
    refused = testapp.post(
        "/transfers", {"from": "alice", "to": "bob", "amount": "500"}, status=409
    )
    assert "cannot pay 500" in refused.text and "Back to the home page" in refused.text
    assert "demo.css" in refused.text  # the demo's layout


def test_a_taken_name_from_the_form_is_the_demos_page_and_the_favicon_answers(testapp):
    testapp.post("/items", {"name": "lamp"}, status=303)
    taken = testapp.post("/items", {"name": "lamp"}, status=409)
    assert taken.content_type == "text/html"
    assert "exists" in taken.text and "Back to the home page" in taken.text
    assert "demo.css" in taken.text  # the demo's layout
    icon = testapp.get("/favicon.ico", status=200)
    assert icon.content_type == "image/svg+xml"
    files = testapp.get("/files").text
    assert '<label>A file <input type="file"' in files
