"""The fixtures come from pyramid_mongo.testing: app, testapp, app_request,
dummy_request, dummy_config, mongodb_db, mongodb_client, outage_testapp and
make_app. They run the app of testing.ini (--ini to choose another) against a
real server: an in-memory development server, or the one MONGODB_URL names.
"""

pytest_plugins = ["pyramid_mongo.testing"]
