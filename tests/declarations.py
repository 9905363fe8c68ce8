"""An application that declares its indexes and a validator."""

from pyramid.config import Configurator

USER_SCHEMA = {"bsonType": "object", "required": ["email"]}


def includeme(config: Configurator) -> None:
    config.add_mongo_index("users", [("email", 1)], unique=True)
    config.add_mongo_index("events", "created", expireAfterSeconds=3600)
    config.add_mongo_index("events", [("kind", 1), ("created", -1)], name="by_kind")
    config.add_mongo_validator("users", USER_SCHEMA)


def declare_twice(config: Configurator) -> None:
    """A mistake: the same index declared twice, differently."""
    config.add_mongo_index("users", [("email", 1)], unique=True)
    config.add_mongo_index("users", [("email", 1)], unique=False)


def main(global_config, **settings):
    with Configurator(settings=settings) as config:
        config.include("pyramid_mongo")
        config.include(".declarations")
    return config.make_wsgi_app()
