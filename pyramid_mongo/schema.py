"""Moved to :mod:`pyramid_mongo.models.schema`: this path, which INI files and
earlier projects name, keeps working."""

from .models.schema import *  # noqa: F403
