"""Sign-up, login, logout and the protected page, through the real app."""

import re

import pytest

PASSWORD = "correct horse battery"


def sign_up(testapp, email="Ada@Example.com", password=PASSWORD, status=303):
    form = testapp.get("/signup").forms[0]
    form["email"], form["password"] = email, password
    return form.submit(status=status)


def log_in(testapp, email="ada@example.com", password=PASSWORD, status=303):
    form = testapp.get("/login").forms[0]
    form["email"], form["password"] = email, password
    return form.submit(status=status)


def test_sign_up_logs_in_and_stores_a_hash_not_the_password(testapp, mongodb_db):
    page = sign_up(testapp).follow()
    assert 'id="email">ada@example.com<' in page.text  # the normalised address
    (user,) = mongodb_db.users.find()
    assert user["email"] == "ada@example.com"
    assert user["password"].startswith("$argon2") and PASSWORD not in user["password"]
    assert "ada@example.com" in testapp.get("/").text  # the home page says who


def test_a_second_account_for_the_same_address_is_refused(testapp, mongodb_db):
    sign_up(testapp)
    testapp.reset()
    page = sign_up(testapp, email=" ADA@example.com ", status=400)
    assert "already an account" in page.text
    assert mongodb_db.users.count_documents({}) == 1


def test_log_out_and_in_again(testapp):
    sign_up(testapp)
    home = testapp.get("/")
    home.forms[0 if "logout" in home.forms[0].action else 1].submit(status=303)
    testapp.get("/account", status=303)  # logged out: sent to log in
    assert 'id="email">ada@example.com<' in log_in(testapp).follow().text


def test_the_session_id_changes_at_login(testapp):
    testapp.get("/login")  # a session before login (its CSRF token)
    before = testapp.cookies.get("session")
    sign_up(testapp)
    assert testapp.cookies.get("session") not in (None, before)


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(testapp):
    sign_up(testapp)
    testapp.reset()
    wrong = log_in(testapp, password="not the password", status=400)
    unknown = log_in(testapp, email="nobody@example.com", status=400)
    message = re.search(r'id="error"[^>]*>([^<]*)<', wrong.text).group(1)
    assert message == re.search(r'id="error"[^>]*>([^<]*)<', unknown.text).group(1)


def test_repeated_failures_make_the_address_wait(testapp):
    sign_up(testapp)
    testapp.reset()
    for _ in range(5):
        log_in(testapp, password="not the password", status=400)
    refused = log_in(testapp, status=429)
    assert "try again in 15 minutes" in refused.text  # the window of the oldest failure
    assert refused.headers["Retry-After"] == "900"


def test_a_refusal_is_announced_and_tied_to_the_inputs(testapp):
    sign_up(testapp)
    testapp.reset()
    page = log_in(testapp, password="not the password", status=400)
    error = page.html.find(id="error")
    assert error["role"] == "alert" and "do not match" in error.text
    for name in ("email", "password"):
        assert "error" in page.html.find("input", {"name": name})["aria-describedby"].split()


def test_the_protected_page_sends_strangers_to_log_in(testapp):
    response = testapp.get("/account", status=303)
    assert response.location.startswith("http://example.com/login")
    assert "Log in to see your account." in response.follow().text  # and why


@pytest.mark.parametrize("path", ["/signup", "/login", "/logout"])
def test_forms_without_the_csrf_token_are_refused(testapp, path):
    testapp.post(path, {"email": "ada@example.com", "password": PASSWORD}, status=400)


def test_wrong_passwords_at_once_get_no_more_checks_than_the_limit(app, testapp, mongodb_db):
    from concurrent.futures import ThreadPoolExecutor

    from webtest import TestApp

    sign_up(testapp)

    def attempt(_):
        client = TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
        return log_in(client, password="not the password", status="*").status_int

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(attempt, range(12)))
    assert statuses.count(400) <= 5 and set(statuses) <= {400, 429}, statuses


def test_the_csrf_token_known_before_login_is_refused_after_it(testapp):
    before = testapp.get("/login").forms[0]["csrf_token"].value
    sign_up(testapp)
    after = testapp.get("/").forms[0]["csrf_token"].value
    assert after != before
    testapp.post("/logout", {"csrf_token": before}, status=400)
    testapp.post("/logout", {"csrf_token": after}, status=303)
    testapp.post("/logout", {"csrf_token": after}, status=400)  # logged out: a new session


@pytest.mark.parametrize(
    ("fields", "files"),
    [
        ({"email": "a" * 100_000 + "@example.com", "password": "x" * 20}, []),
        ({"email": "ada@example.com", "password": "x" * 100_000}, []),
        ({"password": PASSWORD}, [("email", "email.txt", b"ada@example.com")]),
    ],
    ids=["long-email", "long-password", "email-as-a-file"],
)
@pytest.mark.parametrize("path", ["/login", "/signup"])
def test_hostile_forms_are_a_400_and_store_nothing(testapp, mongodb_db, path, fields, files):
    token = testapp.get(path).forms[0]["csrf_token"].value
    page = testapp.post(path, {**fields, "csrf_token": token}, upload_files=files, status=400)
    assert 'class="brand"' in page.text  # the project's own page, in its layout
    assert mongodb_db.users.count_documents({}) == 0
    assert mongodb_db.login_failures.count_documents({}) == 0


@pytest.mark.parametrize("path", ["/login", "/signup", "/logout"])
def test_a_csrf_token_sent_as_a_file_is_a_400_naming_it(testapp, mongodb_db, path):
    testapp.get("/login")  # a session, so a token to check against
    fields = {"email": "ada@example.com", "password": PASSWORD}
    files = [("csrf_token", "token.txt", b"x")]
    page = testapp.post(path, fields, upload_files=files, status=400)
    assert "csrf_token" in page.text and 'class="brand"' in page.text
    assert mongodb_db.users.count_documents({}) == 0
