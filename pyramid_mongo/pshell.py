"""``client`` and ``db`` in pshell. In the INI file::

[pshell]
setup = pyramid_mongo.pshell.setup

The shell leaves the command log (``pyramid_mongo.commands``) quiet unless
that logger's own level is set in the INI file.
"""

import logging
from typing import Any

from .connection import get_client, get_db
from .observe import command_log


def setup(env: dict[str, Any]) -> None:
    # A DEBUG level inherited from the pyramid_mongo logger would print every
    # command under the prompt; a level set on pyramid_mongo.commands itself
    # is asked for, and kept.
    if command_log.level == logging.NOTSET:
        command_log.setLevel(logging.INFO)
    registry = env["registry"]
    env["client"] = get_client(registry)
    env["db"] = get_db(registry)
