def includeme(config):
    config.add_static_view("static", "static", cache_max_age=3600)
    config.add_route("home", "/")
    config.add_route("counter", "/counters/{name}")
    config.add_route("favicon", "/favicon.ico")
    config.add_route("items", "/items")
    config.add_route("item", "/items/{id}", objectid="id")
    config.add_route("item.delete", "/items/{id}/delete", objectid="id")
    config.add_route("api.openapi", "/api/openapi.json")
    config.add_route("api.docs", "/api/docs")
    config.add_route("api.items", "/api/items")
    config.add_route("api.item", "/api/items/{id}", objectid="id")
{%- if cookiecutter.auth %}
    config.add_route("signup", "/signup")
    config.add_route("login", "/login")
    config.add_route("logout", "/logout")
    config.add_route("account", "/account")
{%- endif %}
