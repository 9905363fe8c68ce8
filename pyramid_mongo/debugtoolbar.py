"""Moved to :mod:`pyramid_mongo.observe.debugtoolbar`: this path, which INI files and
earlier projects name, keeps working."""

from .observe.debugtoolbar import *  # noqa: F403
