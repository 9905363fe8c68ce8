"""The items resource, every status of it, through the application."""

import threading

import pytest
from pymongo.errors import WriteError

JSON = {"Accept": "application/json"}
MISSING = "/api/items/000000000000000000000000"


@pytest.fixture
def lamp(testapp, item_body):
    return testapp.post_json("/api/items", item_body(name="lamp", tags=["light"]), status=201)


def test_create_answers_201_with_location_and_etag(testapp, lamp):
    item_id = lamp.json["_id"]
    assert lamp.location == f"http://example.com/api/items/{item_id}"
    assert lamp.headers["ETag"] == '"1"'
    assert lamp.json["name"] == "lamp" and lamp.json["rev"] == 1
    assert lamp.json["created"].endswith("Z")
    shown = testapp.get(lamp.location)
    assert shown.json == lamp.json and shown.headers["ETag"] == '"1"'


def test_a_retried_create_with_its_idempotency_key_is_stored_once(testapp, mongodb_db, item_body):
    headers = {"Idempotency-Key": '"create-lamp-1"'}
    first = testapp.post_json("/api/items", item_body(name="lamp"), headers=headers, status=201)
    again = testapp.post_json("/api/items", item_body(name="lamp"), headers=headers, status=201)
    assert again.json == first.json and again.location == first.location
    assert mongodb_db.items.count_documents({}) == 1
    other = item_body(name="desk")
    testapp.post_json("/api/items", other, headers={**headers, **JSON}, status=422)


def test_a_body_the_model_refuses_is_422_naming_each_field(testapp, mongodb_db, item_body):
    body = item_body(name="", tags=["ok", 5], rev=7, **{"$set": {"x": 1}, "a.b": 1})
    refused = testapp.post_json("/api/items", body, headers=JSON, status=422)
    assert refused.content_type == "application/problem+json"
    pointers = [problem["pointer"] for problem in refused.json["errors"]]
    # Every problem in one answer: fields a client may not set first, then the rest.
    assert pointers == ["/rev", "/$set", "/a.b", "/name", "/tags/1"]
    refused = testapp.post_json("/api/items", item_body(name="", tags=["ok", 5]), status=422)
    assert {problem["pointer"] for problem in refused.json["errors"]} == {"/name", "/tags/1"}
    for body in ([], "lamp", item_body(name=" \t"), item_body(name="x" * 201)):
        testapp.post_json("/api/items", body, headers=JSON, status=422)
    assert mongodb_db.items.count_documents({}) == 0  # nothing stored


def test_bad_json_is_400_and_a_taken_name_409(testapp, lamp, item_body):
    for body in ("not json", "[" * 500 + "]" * 500, '{"name": "\\ud800"}'):
        bad = testapp.post("/api/items", body, content_type="application/json", status=400)
        assert bad.json["status"] == 400
    taken = testapp.post_json("/api/items", item_body(name="lamp"), status=409)
    assert taken.json["detail"] == "An item named 'lamp' exists."


def test_the_database_itself_refuses_what_the_model_refuses(mongodb_db):
    """The collection's validator comes from the same model."""
    with pytest.raises(WriteError) as refused:
        mongodb_db.items.insert_one({"name": 5, "rev": 1, "created": None})
    assert refused.value.code == 121


def test_read_is_404_for_a_missing_or_malformed_id_and_304_when_unchanged(testapp, lamp):
    for path in ("/api/items/not-an-id", MISSING):
        assert testapp.get(path, headers=JSON, status=404).json["status"] == 404
    testapp.get(lamp.location, headers={"If-None-Match": '"1"'}, status=304)
    testapp.get(lamp.location, headers={"If-None-Match": '"0"'}, status=200)
    testapp.get(lamp.location, headers={"If-None-Match": ', "0", "1",'}, status=304)


def test_a_read_whose_if_match_fails_is_412_as_a_write_is(testapp, lamp):
    for method in (testapp.get, testapp.head):
        method(lamp.location, headers={"If-Match": '"0"'}, status=412)
        method(lamp.location, headers={"If-Match": '"0", , "1"'}, status=200)
    failed = testapp.get(lamp.location, headers={"If-Match": '"0"', **JSON}, status=412)
    assert failed.content_type == "application/problem+json"


def test_a_write_without_if_match_is_428_and_a_stale_one_412(testapp, lamp, item_body):
    testapp.put_json(lamp.location, item_body(name="lamp 2"), status=428)
    testapp.patch_json(lamp.location, {"note": "x"}, status=428)
    stale = {"If-Match": '"0"'}
    testapp.put_json(lamp.location, item_body(name="lamp 2"), headers=stale, status=412)
    testapp.put_json(MISSING, item_body(name="x"), headers={"If-Match": '"1"'}, status=404)
    assert testapp.get(lamp.location).json == lamp.json  # unchanged


def test_replace_and_patch_with_the_etag_read(testapp, lamp, item_body):
    replaced = testapp.put_json(
        lamp.location, item_body(name="desk lamp"), headers={"If-Match": '"1"'}
    )
    assert replaced.headers["ETag"] == '"2"'
    assert replaced.json["tags"] == []  # a replace sets every field a client may set
    assert replaced.json["created"] == lamp.json["created"]
    patched = testapp.patch_json(
        lamp.location, {"note": "by the bed", "tags": ["light"]}, headers={"If-Match": '"2"'}
    )
    assert patched.json["name"] == "desk lamp" and patched.json["note"] == "by the bed"
    removed = testapp.patch(  # RFC 7396's own media type
        lamp.location,
        '{"note": null}',
        content_type="application/merge-patch+json",
        headers={"If-Match": '"3"'},
    )
    assert removed.json["note"] == "" and removed.headers["ETag"] == '"4"'
    testapp.patch_json(lamp.location, {"rev": 9}, headers={"If-Match": '"4"'}, status=422)
    testapp.patch_json(lamp.location, {"name": None}, headers={"If-Match": '"4"'}, status=422)
    testapp.post_json("/api/items", item_body(name="chair"), status=201)
    testapp.put_json(lamp.location, item_body(name="chair"), headers={"If-Match": '"4"'}, status=409)
    assert testapp.get(lamp.location).headers["ETag"] == '"4"'


def test_of_two_writes_with_one_etag_exactly_one_wins(app, testapp, lamp, item_body):
    from webtest import TestApp

    for attempt in range(10):
        etag = testapp.get(lamp.location).headers["ETag"]
        start, statuses = threading.Barrier(2), []

        def write(name):
            client = TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
            start.wait()
            answer = client.put_json(
                lamp.location, item_body(name=name), headers={"If-Match": etag}, expect_errors=True
            )
            statuses.append(answer.status_int)

        writers = [threading.Thread(target=write, args=(f"lamp {attempt} {n}",)) for n in (1, 2)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        assert sorted(statuses) == [200, 412]


def test_delete_is_204_and_honours_if_match(testapp, lamp):
    testapp.delete(lamp.location, headers={"If-Match": '"0"'}, status=412)
    testapp.delete(lamp.location, status=204)
    testapp.delete(lamp.location, status=404)
    testapp.get(lamp.location, status=404)


def test_the_list_pages_by_id_with_next_and_previous_links(testapp, item_body):
    names = [f"item {number:02}" for number in range(7)]
    for name in names:
        testapp.post_json("/api/items", item_body(name=name), status=201)
    seen, url, last = [], "/api/items?limit=3", None
    while url:
        last = page = testapp.get(url)
        assert len(page.json["items"]) <= 3
        seen += [item["name"] for item in page.json["items"]]
        url = page.json["next"]
        assert ('rel="next"' in page.headers.get("Link", "")) == (url is not None)
    assert seen == names  # oldest first, each once
    back, url = [], last.json["previous"]
    while url:  # and back again, newest page first
        page = testapp.get(url)
        back = [item["name"] for item in page.json["items"]] + back
        url = page.json["previous"]
    assert back + [item["name"] for item in last.json["items"]] == names
    assert testapp.get("/api/items").json["next"] is None
    assert testapp.get("/api/items").json["previous"] is None
    for query in ("limit=0", "limit=101", "limit=x", "limit=%C2%B2", "limit=²", "after=nope", "before=x"):
        assert testapp.get(f"/api/items?{query}", status=400).json["status"] == 400


def test_other_methods_are_405_saying_which_are_allowed(testapp, lamp):
    refused = testapp.delete("/api/items", status=405)
    assert refused.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    item = "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"
    assert testapp.post(lamp.location, status=405).headers["Allow"] == item
    assert testapp.options(lamp.location, status=204).headers["Allow"] == item
    assert testapp.options("/api/items", status=204).headers["Allow"] == refused.headers["Allow"]


def test_a_patch_of_another_media_type_is_415_naming_those_taken(testapp, lamp):
    headers = {"If-Match": '"1"', "Content-Type": "text/plain"}
    refused = testapp.patch(lamp.location, '{"note": "x"}', headers=headers, status=415)
    assert refused.headers["Accept-Patch"] == "application/merge-patch+json, application/json"
    assert refused.content_type == "application/problem+json"
    headers["Content-Type"] = "application/merge-patch+json"
    testapp.patch(lamp.location, '{"note": "x"}', headers=headers, status=200)
