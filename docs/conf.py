"""Sphinx configuration of pyramid_mongo's documentation."""

import importlib.metadata

project = "pyramid_mongo"
author = "the pyramid-mongo developers"
release = importlib.metadata.version("pyramid_mongo")
version = release
extensions = ["sphinx.ext.autodoc", "sphinx.ext.intersphinx", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# Offline builds: no inventories are fetched; references to other projects
# stay plain text.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = "pyramid_mongo"
# No "© ." footer: the project states no copyright line of its own.
html_show_copyright = False
html_show_sphinx = False
