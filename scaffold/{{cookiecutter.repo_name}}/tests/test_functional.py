from concurrent.futures import ThreadPoolExecutor

from webtest import TestApp


def test_the_home_page_stores_and_counts_each_hit(testapp, mongodb_db):
    assert 'id="hits">1</strong> time.' in testapp.get("/", status=200).text
    assert 'id="hits">2</strong> times.' in testapp.get("/", status=200).text
    paths = [hit["path"] for hit in mongodb_db.page_hits.find()]
    assert paths == ["/", "/"]


def test_the_count_comes_from_the_counter_not_from_counting(testapp, mongodb_db):
    """The same cost at a million visits: one $inc, no scan of page_hits."""
    mongodb_db.counters.update_one({"_id": "page_hits"}, {"$set": {"value": 999_999}}, upsert=True)
    assert 'id="hits">1000000<' in testapp.get("/").text
    assert mongodb_db.page_hits.count_documents({}) == 1


def test_the_button_adds_one_and_comes_back(testapp, mongodb_db):
    page = testapp.get("/")
    assert 'id="clicks">0<' in page.text
    back = page.forms[0].submit(status=303).follow()
    assert 'id="clicks">1</strong> time' in back.text
    assert 'id="hits">1</strong> time.' in back.text  # coming back is no new visit
    assert mongodb_db.page_hits.count_documents({}) == 1


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
    response = testapp.get("/no-such-page", headers={"Accept": "text/html"}, status=404)
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


def test_the_health_view(testapp):
    assert testapp.get("/healthz").json["status"] == "ok"
{%- if cookiecutter.transactions %}


def test_writes_that_fail_leave_nothing_behind(app, mongodb_db, item_body):
    """A request's writes are all or nothing; so are a script's, through the
    transaction package: here the insert is rolled back with the error."""
    import pytest
    import transaction

    from pyramid_mongo import join_transaction
    from {{ cookiecutter.repo_name }}.models import Item

    with pytest.raises(RuntimeError), transaction.manager:
        join_transaction(app.registry).items.insert_one(Item(**item_body()).to_document())
        raise RuntimeError("after the write")
    assert mongodb_db.items.count_documents({}) == 0


{%- endif %}


def test_concurrent_visits_lose_none_and_fail_none(app, mongodb_db):
    """Sixteen visits at once bump the same counter: its one atomic step
    ($inc, outside any transaction) neither conflicts nor loses a visit."""

    def visit(_):
        client = TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
        return client.get("/", status="*").status_int

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(visit, range(64)))
    assert statuses == [200] * 64
    counter = mongodb_db.counters.find_one({"_id": "page_hits"})
    assert counter["value"] == mongodb_db.page_hits.count_documents({}) == 64
