"""The application's URLs, and the layout's links among them."""

# The routes every page's header links to.
HEADER = ("home", "items", "api.docs"{%- if cookiecutter.auth %}, "account", "login", "signup", "logout"{%- endif %})
MADE = "{{ cookiecutter.repo_name }}.header_links"
PREFIXES_KEPT = 8


def header_links(request):
    """``request.links``: the header's links, made by Pyramid once for each
    SCRIPT_NAME (the prefix a proxy mounts the application under), not on
    every page: making them cost the list of twenty items 4 % of its time.
    A few prefixes are kept, so that no client makes the list grow."""
    made = request.registry.setdefault(MADE, {})
    links = made.get(request.script_name)
    if links is None:
        links = {name: request.route_path(name) for name in HEADER}
        links["static"] = request.static_path(f"{__package__}:static/")
        if len(made) < PREFIXES_KEPT:
            made[request.script_name] = links
    return links


def includeme(config):
    config.add_request_method(header_links, "links", reify=True)
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
