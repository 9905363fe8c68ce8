"""The settings of server-side sessions (``mongodb.sessions``, ``mongodb.session_*``).

The secret is the deployment's, from the environment (``MONGODB_SESSION_SECRET``);
else the INI file's; else, on a development machine, a file of its own that
git ignores (``mongodb.session_secret_file``), written on first use. Sessions
asked for without one stop start-up, naming the variable.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool

from .values import PREFIX, positive_seconds

SESSION_SECRET_ENVIRON = "MONGODB_SESSION_SECRET"
SESSIONS = "sessions"
SESSION_SECRET = "session_secret"
SESSION_SECRET_FILE = "session_secret_file"
SESSION_TIMEOUT = "session_timeout"
SESSION_COLLECTION = "session_collection"
SESSION_COOKIE_NAME = "session_cookie_name"
SESSION_SECURE = "session_secure"
SESSION_SAMESITE = "session_samesite"
KEYS = frozenset(
    {
        SESSIONS,
        SESSION_SECRET,
        SESSION_SECRET_FILE,
        SESSION_TIMEOUT,
        SESSION_COLLECTION,
        SESSION_COOKIE_NAME,
        SESSION_SECURE,
        SESSION_SAMESITE,
    }
)


@dataclass(frozen=True)
class SessionSettings:
    secret: str = field(repr=False)
    timeout: int = 1200
    collection: str = "sessions"
    cookie_name: str = "session"
    secure: bool = False
    samesite: str = "Lax"


def session_settings(own: Mapping[str, Any], environ: Mapping[str, str]) -> SessionSettings | None:
    found = _session_secret(own, environ)
    if found is None:
        return None
    secret, source = found
    if len(secret) < 32:
        raise ConfigurationError(f"{source} must be at least 32 characters of random text")
    samesite = str(own.get(SESSION_SAMESITE, "Lax")).strip().capitalize()
    if samesite not in ("Strict", "Lax", "None"):
        raise ConfigurationError(f"{PREFIX}{SESSION_SAMESITE} must be Strict, Lax or None")
    timeout = positive_seconds(own.get(SESSION_TIMEOUT, 1200), PREFIX + SESSION_TIMEOUT)
    return SessionSettings(
        secret=secret,
        timeout=int(timeout),
        collection=str(own.get(SESSION_COLLECTION) or "sessions"),
        cookie_name=str(own.get(SESSION_COOKIE_NAME) or "session"),
        secure=asbool(own.get(SESSION_SECURE, False)),
        samesite=samesite,
    )


def _session_secret(own: Mapping[str, Any], environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The secret, and where it came from, when sessions are asked for: the
    deployment's environment, else the INI file, else a file of the
    development machine's own (made on first use), which git ignores."""
    path = str(own.get(SESSION_SECRET_FILE) or "").strip()
    in_ini = str(own.get(SESSION_SECRET) or "")
    if not (asbool(own.get(SESSIONS, False)) or in_ini or path):
        return None
    if environ.get(SESSION_SECRET_ENVIRON, "").strip():
        return environ[SESSION_SECRET_ENVIRON].strip(), SESSION_SECRET_ENVIRON
    if in_ini:
        return in_ini, PREFIX + SESSION_SECRET
    if path:
        return secret_in_file(path, PREFIX + SESSION_SECRET_FILE), PREFIX + SESSION_SECRET_FILE
    raise ConfigurationError(
        f"{PREFIX}{SESSIONS} = true needs a secret: set the environment variable "
        f"{SESSION_SECRET_ENVIRON} to at least 32 characters of random text"
    )


def secret_in_file(path: str, key: str) -> str:
    """The secret kept in ``path``, written there (readable by its owner only)
    the first time."""
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigurationError(f"{key}: cannot write {path}: {exc.strerror}") from None
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
    try:
        with open(path) as file:
            return file.read().strip()
    except OSError as exc:
        raise ConfigurationError(f"{key}: cannot read {path}: {exc.strerror}") from None
