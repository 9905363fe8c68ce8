"""pyramid_mongo.increment: no lost count, a value for every caller, on the real server."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from pyramid_mongo import increment
from pyramid_mongo.counters import current
from tests.conftest import TEST_DB


@pytest.mark.parametrize("attempt", range(5))
def test_concurrent_first_increments_each_get_their_own_value(mongodb_client, attempt):
    """Eight threads create the counter at once, five times over: the case in
    which an upsert's returned document goes missing on some servers."""
    counters = mongodb_client[TEST_DB].counters
    counters.drop()
    with ThreadPoolExecutor(max_workers=8) as pool:
        values = list(pool.map(lambda _: increment(counters, "visits")["value"], range(80)))
    assert sorted(values) == list(range(1, 81))
    assert current(counters, "visits") == 80


def test_a_counter_starts_at_zero_and_takes_steps(mongodb_client):
    counters = mongodb_client[TEST_DB].counters
    counters.drop()
    assert current(counters, "likes") == 0
    assert increment(counters, "likes", by=5)["value"] == 5
    assert increment(counters, "likes")["value"] == 6


def test_the_latest_entries_ride_along_in_the_same_step(mongodb_client):
    counters = mongodb_client[TEST_DB].counters
    counters.drop()
    for n in range(8):
        counter = increment(
            counters, "visits", also={"$push": {"latest": {"$each": [n], "$slice": -3}}}
        )
    assert counter["value"] == 8 and counter["latest"] == [5, 6, 7]
