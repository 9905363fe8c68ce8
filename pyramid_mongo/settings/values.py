"""Readers of INI values that say an amount, each refusing naming its key."""

from __future__ import annotations

import re
from typing import Any

from pyramid.exceptions import ConfigurationError

PREFIX = "mongodb."  # of every key of ours


def positive_seconds(value: Any, key: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0.0
    if seconds <= 0:
        raise ConfigurationError(f"{key} must be a positive number of seconds, not {value!r}")
    return seconds


_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def byte_size(value: Any, key: str) -> int:
    """Bytes from ``1048576``, ``512K``, ``10M`` or ``1G``."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?)B?\s*", str(value), re.IGNORECASE)
    if not match or int(match.group(1)) == 0:
        raise ConfigurationError(
            f"{key} must be a size such as 10M, 512K or 1048576, not {value!r}"
        )
    return int(match.group(1)) * _UNITS[match.group(2).upper()]
