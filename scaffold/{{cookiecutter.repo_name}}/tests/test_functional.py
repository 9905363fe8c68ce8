from concurrent.futures import ThreadPoolExecutor

from webtest import TestApp


def test_the_home_page_stores_and_counts_each_hit(testapp, mongodb_db):
    assert 'id="hits">1<' in testapp.get("/", status=200).text
    assert 'id="hits">2<' in testapp.get("/", status=200).text
    urls = [hit["url"] for hit in mongodb_db.page_hits.find()]
    assert urls == ["http://example.com/", "http://example.com/"]


def test_the_counter_loses_no_count_under_concurrent_requests(app, mongodb_db):
    def bump(_):
        client = TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
        return client.post("/counters/visits", status=200).json["value"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        values = list(pool.map(bump, range(80)))
    assert sorted(values) == list(range(1, 81))
    assert mongodb_db.counters.find_one({"_id": "visits"})["value"] == 80


def test_the_counter_reads_back(testapp):
    testapp.post("/counters/likes", status=200)
    assert testapp.get("/counters/likes").json == {"name": "likes", "value": 1}


def test_an_unknown_page_is_404(testapp):
    response = testapp.get("/no-such-page", status=404)
    assert "Page not found" in response.text


def test_static_files_are_served(testapp):
    testapp.get("/static/theme.css", status=200)


def test_a_database_outage_shows_the_503_page(outage_testapp):
    response = outage_testapp.get("/", headers={"Accept": "text/html"}, status=503)
    assert "Temporarily unavailable" in response.text
    assert response.headers["Retry-After"] == "30"


def test_a_database_outage_answers_json_to_json_clients(outage_testapp):
    response = outage_testapp.get(
        "/counters/likes", headers={"Accept": "application/json"}, status=503
    )
    assert response.json["code"] == "503 Service Unavailable"


def test_the_items_api(testapp):
    created = testapp.post_json("/api/items", {"name": "lamp"}, status=201)
    item_id = created.json["_id"]
    assert created.location == f"http://example.com/api/items/{item_id}"
    assert testapp.get(f"/api/items/{item_id}").json["name"] == "lamp"
    assert [item["name"] for item in testapp.get("/api/items").json["items"]] == ["lamp"]


def test_the_items_api_refuses_bad_input(testapp):
    testapp.post_json("/api/items", {"name": ""}, status=400)
    testapp.post_json("/api/items", {"name": "lamp"}, status=201)
    testapp.post_json("/api/items", {"name": "lamp"}, status=409)
    testapp.get("/api/items/not-an-id", status=404)
    testapp.get("/api/items/000000000000000000000000", status=404)


def test_the_health_view(testapp):
    assert testapp.get("/healthz").json["status"] == "ok"
