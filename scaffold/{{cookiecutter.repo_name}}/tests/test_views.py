from {{ cookiecutter.repo_name }}.views.default import bump_counter, home, show_counter
from {{ cookiecutter.repo_name }}.views.notfound import notfound_view


def test_home_records_the_visit(dummy_request, mongodb_db):
    info = home(dummy_request)
    assert info["hits"] == 1
    assert info["latest"][0]["path"] == dummy_request.path
    assert info["project"] == {{ cookiecutter.project_name | jsonify }}
    assert mongodb_db.page_hits.find_one()["path"] == dummy_request.path


def test_a_counter_starts_at_one_and_counts_up(dummy_request):
    dummy_request.matchdict["name"] = "likes"
    assert show_counter(dummy_request) == {"name": "likes", "value": 0}
    assert bump_counter(dummy_request) == {"name": "likes", "value": 1}
    assert bump_counter(dummy_request) == {"name": "likes", "value": 2}
    assert show_counter(dummy_request) == {"name": "likes", "value": 2}


def test_notfound_view(dummy_request):
    page = notfound_view(dummy_request)
    assert page.status_int == 404
    assert "There is nothing at this address." in page.text  # templates/404, with the layout
    assert "<h1>Page not found</h1>" in page.text


def test_pshell_gets_client_and_db(app):
    from pyramid_mongo.pshell import setup

    env = {"registry": app.registry}
    setup(env)
    assert env["db"].name == "{{ cookiecutter.db_name }}_test"
    assert env["db"].client is env["client"]
