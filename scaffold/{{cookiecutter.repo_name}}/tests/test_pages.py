"""The items as HTML pages: forms from the model, errors per field, pages
by id, a stale edit kept from overwriting a newer one, delete confirmed."""

import re


def main_form(page):
    """The page's own form (the header's log-out form comes first)."""
    return page.forms[len(page.forms) - 1]


def create(testapp, **fields):
    page = testapp.get("/items")
    form = main_form(page)
    for name, value in fields.items():
        form[name] = value
    return form.submit(status="*")


def test_the_create_form_is_drawn_from_the_model(testapp):
    page = testapp.get("/items")
    form = main_form(page)
    assert set(form.fields) - {None} == {"csrf_token", "name", "note", "tags"}
    name = page.html.find("input", {"name": "name"})
    assert name["maxlength"] == "200" and name["minlength"] == "1" and name.has_attr("required")
    assert page.html.find("textarea", {"name": "note"})["maxlength"] == "2000"
    label = page.html.find("label", {"for": "field-name"})
    assert label.find(class_="required") is not None  # the required mark


def test_a_created_item_is_stored_and_shown(testapp, mongodb_db):
    saved = create(testapp, name="lamp", tags="light, desk")
    assert saved.status_int == 303
    page = saved.follow()
    assert page.html.find("h1").text == "lamp"
    stored = mongodb_db.items.find_one({"name": "lamp"})
    assert stored["tags"] == ["light", "desk"] and stored["rev"] == 1


def test_each_field_gets_its_own_error_tied_to_its_input(testapp, mongodb_db):
    page = create(testapp, name=" ", tags=",".join(["t"] * 21))
    assert page.status_int == 422
    for name in ("name", "tags"):
        field = page.html.find(attrs={"name": name})
        error = page.html.find(id=f"field-{name}-error")
        assert error is not None and error["role"] == "alert"
        assert f"field-{name}-error" in field["aria-describedby"].split()
        assert field["aria-invalid"] == "true"
    assert page.html.find(id="field-note-error") is None
    assert main_form(page)["name"].value == " "  # what was sent, to correct
    assert mongodb_db.items.count_documents({}) == 0


def test_a_taken_name_is_the_name_fields_error(testapp):
    create(testapp, name="lamp")
    page = create(testapp, name="lamp")
    assert page.status_int == 422
    assert "exists" in page.html.find(id="field-name-error").text


def test_the_list_pages_by_id(testapp, mongodb_db):
    for number in range(25):
        mongodb_db.items.insert_one(
            {"name": f"item {number:02}", "note": "", "tags": [], "rev": 1,
             "created": __import__("datetime").datetime(2026, 1, 1)}
        )  # fmt: skip
    first = testapp.get("/items")
    names = [a.text for a in first.html.select("table.items td a")]
    assert names == [f"item {n:02}" for n in range(20)]
    assert first.html.find("a", rel="prev") is None
    second = testapp.get(first.html.find("a", rel="next")["href"])
    assert [a.text for a in second.html.select("table.items td a")] == [
        f"item {n:02}" for n in range(20, 25)
    ]
    back = testapp.get(second.html.find("a", rel="prev")["href"])
    assert [a.text for a in back.html.select("table.items td a")] == names


def test_an_edit_saves_the_version_it_read(testapp, mongodb_db):
    page = create(testapp, name="lamp").follow()
    form = main_form(page)
    form["note"] = "by the window"
    saved = form.submit().follow()
    assert "version 2" in saved.text
    assert mongodb_db.items.find_one({"name": "lamp"})["note"] == "by the window"


def test_a_stale_edit_shows_the_item_as_it_is_now_and_changes_nothing(testapp, mongodb_db):
    page = create(testapp, name="lamp").follow()
    mine, theirs = main_form(page), main_form(testapp.get(page.request.url))
    theirs["note"] = "theirs"
    theirs.submit()
    mine["note"] = "mine"
    stale = mine.submit(status=409)
    assert "Someone changed this item" in stale.html.find(attrs={"role": "alert"}).text
    assert main_form(stale)["note"].value == "theirs"  # the current values
    assert mongodb_db.items.find_one({"name": "lamp"})["note"] == "theirs"


def test_delete_asks_first(testapp, mongodb_db):
    page = create(testapp, name="lamp").follow()
    confirm = page.click(href=re.compile("/delete$"))
    assert "cannot be brought back" in confirm.text
    assert mongodb_db.items.count_documents({}) == 1  # asking deletes nothing
    done = main_form(confirm).submit().follow()
    assert done.request.path == "/items"
    assert mongodb_db.items.count_documents({}) == 0


def test_every_form_needs_its_csrf_token(testapp, mongodb_db):
    testapp.post("/items", {"name": "lamp"}, status=400)
    assert mongodb_db.items.count_documents({}) == 0


def test_the_header_links_follow_the_prefix_the_app_is_mounted_under(testapp):
    # request.links are made once for each prefix: neither may get the other's.
    for prefix in ("", "/shop", ""):
        page = testapp.get("/items", extra_environ={"SCRIPT_NAME": prefix})
        assert page.html.find("a", class_="brand")["href"] == prefix + "/"
        assert page.html.find("link", rel="stylesheet")["href"] == prefix + "/static/theme.css"
        items = page.html.find("header").find("a", string="Items")
        assert items["href"] == prefix + "/items"
