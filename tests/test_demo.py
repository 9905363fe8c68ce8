"""The demo app of the repository's INI files, through its testing.ini."""

from datetime import datetime


def test_the_home_page_records_each_hit_and_shows_the_count(testapp, mongodb_db):
    first = testapp.get("/", status=200)
    assert 'id="hits">1<' in first.text
    second = testapp.get("/?from=test", status=200)
    assert 'id="hits">2<' in second.text
    hits = list(mongodb_db.page_hits.find({}, {"_id": 0}).sort("timestamp", 1))
    assert [hit["url"] for hit in hits] == ["http://example.com/", "http://example.com/?from=test"]
    assert all(isinstance(hit["timestamp"], datetime) for hit in hits)


def test_the_counter_as_json(testapp, mongodb_db):
    mongodb_db.page_hits.insert_many([{"url": "x"}, {"url": "y"}])
    assert testapp.get("/hits.json").json == {"hits": 2}


def test_the_demo_answers_503_when_mongodb_is_down(outage_testapp):
    response = outage_testapp.get("/", status=503)
    assert "database is unavailable" in response.text
