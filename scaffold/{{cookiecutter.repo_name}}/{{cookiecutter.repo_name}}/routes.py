def includeme(config):
    config.add_static_view("static", "static", cache_max_age=3600)
    config.add_route("home", "/")
    config.add_route("counter", "/counters/{name}")
    config.add_route("api.items", "/api/items")
    config.add_route("api.item", "/api/items/{id}", objectid="id")
