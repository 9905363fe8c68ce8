"""``client`` and ``db`` in pshell. In the INI file::

[pshell]
setup = pyramid_mongo.pshell.setup
"""

from typing import Any

from . import get_client, get_db


def setup(env: dict[str, Any]) -> None:
    registry = env["registry"]
    env["client"] = get_client(registry)
    env["db"] = get_db(registry)
