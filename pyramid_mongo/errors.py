"""Moved to :mod:`pyramid_mongo.http.errors`: this path, which INI files and
earlier projects name, keeps working."""

from .http.errors import *  # noqa: F403
