"""Versioned migrations of the data: `pyramid-mongo-migrate production.ini upgrade`.

Each module, in the order of its name, has upgrade(db), run once (in a
transaction where the server has them). Indexes and validators are declared
in __init__.py instead. A new one: `pyramid-mongo-migrate development.ini new
"what it does"`.
"""
