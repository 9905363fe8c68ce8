"""Every mongodb.* key the code reads is in the settings table."""

from pathlib import Path

import pytest

from pyramid_mongo.settings.parse import OWN_KEYS

TABLE = (Path(__file__).resolve().parents[2] / "docs" / "settings.rst").read_text()


@pytest.mark.parametrize("key", sorted(OWN_KEYS))
def test_the_key_is_documented(key):
    assert f"``mongodb.{key}``" in TABLE
