"""Moved to :mod:`pyramid_mongo.devserver.embedded`: this path, which INI files and
earlier projects name, keeps working."""

from .devserver.embedded import *  # noqa: F403
