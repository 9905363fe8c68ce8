"""Moved to :mod:`pyramid_mongo.observe.loghandler`: this path, which INI files and
earlier projects name, keeps working."""

from .observe.loghandler import *  # noqa: F403
