"""Remove the templates of the language not chosen, and say what to do next."""

from pathlib import Path

EXTENSIONS = {"jinja2": ".jinja2", "chameleon": ".pt"}
chosen = "{{ cookiecutter.template_language }}"

templates = Path("{{ cookiecutter.repo_name }}") / "templates"
for language, extension in EXTENSIONS.items():
    if language != chosen:
        for path in templates.glob("*" + extension):
            path.unlink()

print(
    """
Your project is in {{ cookiecutter.repo_name }}/. Next steps:

    cd {{ cookiecutter.repo_name }}
    python3 -m venv .venv
    .venv/bin/pip install --upgrade pip
    .venv/bin/pip install "pyramid_mongo[embedded,testing] @ {{ cookiecutter._pyramid_mongo_source }}"
    .venv/bin/pip install -e ".[testing]"
    .venv/bin/pytest
    .venv/bin/pserve development.ini --reload

Then open http://localhost:6543/. No MongoDB is needed: development.ini starts
a development server, with its data in var/mongodb.
"""
)
