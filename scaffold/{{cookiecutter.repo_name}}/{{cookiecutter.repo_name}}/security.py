"""Who is logged in: Pyramid 2's security policy, on the MongoDB session.

The session (pyramid_mongo's, in MongoDB) holds the user's id;
``request.identity`` is the user's document, read once per request: Pyramid
asks the policy again at each use (the layout, the views, pyramid_tm), and
RequestLocalCache keeps the first answer for the rest of the request.
"""

from bson import ObjectId
from bson.errors import InvalidId
from pyramid.authentication import SessionAuthenticationHelper
from pyramid.request import RequestLocalCache
from pyramid.security import Allowed, Denied

AUTHENTICATED = "authenticated"  # the permission of pages for logged-in users


class SecurityPolicy:
    def __init__(self):
        self.helper = SessionAuthenticationHelper()
        self.users = RequestLocalCache(self.load_user)

    def identity(self, request):
        return self.users.get_or_create(request)

    def load_user(self, request):
        user_id = self.helper.authenticated_userid(request)
        if user_id is None:
            return None
        try:
            return request.db.users.find_one({"_id": ObjectId(user_id)}, {"password": 0})
        except InvalidId:
            return None

    def authenticated_userid(self, request):
        identity = request.identity
        return str(identity["_id"]) if identity else None

    def permits(self, request, context, permission):
        if permission == AUTHENTICATED and request.identity is None:
            return Denied("log in first")
        return Allowed("allowed")

    def remember(self, request, userid, **kw):
        self.users.clear(request)
        return self.helper.remember(request, userid, **kw)

    def forget(self, request, **kw):
        self.users.clear(request)
        return self.helper.forget(request, **kw)


def includeme(config):
    config.set_security_policy(SecurityPolicy())
    # Every form that changes something carries the CSRF token (pyramid_mongo
    # keeps it in a cookie signed over the session: a page with a form reads
    # no session for it); the JSON API and the counters say require_csrf=False.
    config.set_default_csrf_options(require_csrf=True)
    # The normalised e-mail is unique; failed logins expire after a window.
    config.add_mongo_index("users", [("email", 1)], unique=True)
    config.add_mongo_index("login_failures", [("email", 1)])
    config.add_mongo_index("login_failures", [("expires", 1)], expireAfterSeconds=0)
    # The layout shows "Log in" or who is logged in when there are accounts.
    config.add_request_method(lambda request: True, "has_accounts", property=True)
