"""Sign-up, login and logout, with passwords hashed by argon2.

Login failures say the same whether or not the e-mail exists (and take the
same time: a missing user's password is checked against a dummy hash), and
after MAX_FAILURES failures for one address in FAILURE_WINDOW, that address
must wait before it can try again.
"""

import datetime as dt
import math

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo.errors import DuplicateKeyError
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import forget, remember
from pyramid.view import forbidden_view_config, view_config

from pyramid_mongo import form_text, outside_transaction

from ..security import AUTHENTICATED

HASHER = PasswordHasher()
DUMMY_HASH = HASHER.hash("not anybody's password")
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD = 10
MAX_EMAIL = 254  # characters, as RFC 5321 allows
MAX_PASSWORD = 1024
REFUSED = "That e-mail address and password do not match an account."
RENDERER = "{{ cookiecutter.repo_name }}:templates/{}.{{ cookiecutter.__template_extension }}"


def normalised(email):
    return email.strip().lower()


def _form(request):
    """The e-mail address (normalised) and password a form sent: text, and
    bounded (a 400 otherwise), so that nothing unbounded is ever stored."""
    email = form_text(request, "email", max_length=MAX_EMAIL + 64)  # room for spaces
    return normalised(email)[:MAX_EMAIL], form_text(request, "password", max_length=MAX_PASSWORD)


@view_config(route_name="signup", renderer=RENDERER.format("signup"))
def signup(request):
    if request.method != "POST":
        return {"error": None, "email": "", "min_password": MIN_PASSWORD}
    email, password = _form(request)
    if "@" not in email or len(email) > MAX_EMAIL:
        return _refused(request, "Give an e-mail address.", email)
    if len(password) < MIN_PASSWORD:
        return _refused(request, f"Use at least {MIN_PASSWORD} characters.", email)
    user = {"email": email, "password": HASHER.hash(password), "created": _now()}
    try:
        request.db.users.insert_one(user)  # the unique index decides
    except DuplicateKeyError:
        _doom(request)  # nothing of this request is kept
        return _refused(request, "There is already an account for that address.", email)
    request.session.flash("Welcome! Your account is ready.")
    return _logged_in(request, user)


@view_config(route_name="login", renderer=RENDERER.format("login"))
def login(request):
    if request.method != "POST":
        return {"error": None, "email": ""}
    email, password = _form(request)
    # The attempt is counted before the password is checked, in one write
    # that every later count sees at once (outside any transaction of the
    # request): of many attempts together, no more than MAX_FAILURES reach
    # the check.
    failures = request.db.login_failures
    with outside_transaction(request.db.client):
        attempt = failures.insert_one({"email": email, "expires": _now() + FAILURE_WINDOW})
        recent = failures.count_documents({"email": email, "expires": {"$gt": _now()}})
    if recent > MAX_FAILURES:
        # Free again once the oldest failure in the window has expired.
        window = {"email": email, "expires": {"$gt": _now()}}
        oldest = failures.find_one(window, sort=[("expires", 1)])
        wait = _minutes_until(oldest["expires"]) if oldest else 1
        request.response.status = 429
        request.response.headers["Retry-After"] = str(wait * 60)
        message = f"Too many failed attempts: try again in {wait} minute{'s' if wait != 1 else ''}."
        return {"error": message, "email": email}
    user = request.db.users.find_one({"email": email})
    if not _password_matches(user, password):
        request.response.status = 400
        return {"error": REFUSED, "email": email}
    with outside_transaction(request.db.client):
        failures.delete_one({"_id": attempt.inserted_id})  # a success is no failure
    return _logged_in(request, user)


@view_config(route_name="logout", request_method="POST")
def logout(request):
    request.session.invalidate()
    headers = forget(request)
    request.session.flash("You are logged out.")
    return HTTPSeeOther(request.route_url("home"), headers=headers)


@view_config(
    route_name="account",
    permission=AUTHENTICATED,
    renderer=RENDERER.format("account"),
)
def account(request):
    """A page only a logged-in user sees."""
    return {"user": request.identity}


@forbidden_view_config()
def log_in_first(request):
    """To the login page, saying why; back here once logged in."""
    mine = request.matched_route is not None and request.matched_route.name == "account"
    request.session.flash("Log in to see your account." if mine else "Log in to see that page.")
    return HTTPSeeOther(request.route_url("login", _query={"next": request.path}))


def _minutes_until(moment):
    """Whole minutes, rounded up, from now to a time PyMongo read (naive UTC)."""
    aware = moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment
    return max(1, math.ceil((aware - _now()).total_seconds() / 60))


def _refused(request, error, email):
    request.response.status = 400
    return {"error": error, "email": email, "min_password": MIN_PASSWORD}


def _logged_in(request, user):
    request.session.rotate()  # a new session id at login: no session fixation
    headers = remember(request, str(user["_id"]))
    return HTTPSeeOther(request.route_url("account"), headers=headers)


def _password_matches(user, password):
    try:
        return HASHER.verify(user["password"] if user else DUMMY_HASH, password) and bool(user)
    except (VerificationError, InvalidHashError):
        return False


def _doom(request):
    if "tm.active" in request.environ:
        request.tm.doom()


def _now():
    return dt.datetime.now(dt.timezone.utc)
