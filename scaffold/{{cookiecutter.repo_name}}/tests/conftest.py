"""The fixtures come from pyramid_mongo.testing: app, testapp, app_request,
dummy_request, dummy_config, mongodb_db, mongodb_client, outage_testapp and
make_app. They run the app of testing.ini (--ini to choose another) against a
real server: an in-memory development server, or the one MONGODB_URL names.
"""

import pytest

from {{ cookiecutter.repo_name }}.models import ITEM_FIELDS, Item

pytest_plugins = ["pyramid_mongo.testing"]


def valid_item_body(**fields):
    """A body POST /api/items takes: each field a client must send, from the
    example the model gives it (Field(examples=[...])), then ``fields``."""
    required = {
        name: info.examples[0]
        for name, info in Item.model_fields.items()
        if name in ITEM_FIELDS and info.is_required()
    }
    return {**required, **fields}


@pytest.fixture
def item_body():
    """valid_item_body: tests that need a valid item ask for it here, so a
    field the model comes to require changes one place, the model."""
    return valid_item_body
