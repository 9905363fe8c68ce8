"""The package's shape, checked: wings reached through their faces, no
import circle, short modules."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pyramid_mongo"
WINGS = ("settings", "http", "models", "observe", "devserver", "demo")
# Old paths that INI files and earlier projects name: each only re-exports.
MOVED = {"errors", "loghandler", "embedded", "schema", "debugtoolbar"}
MAX_LINES = 320


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, top_level_only: bool) -> set[str]:
    """The pyramid_mongo modules a module imports (at its top level only,
    or anywhere), resolved to absolute names."""
    tree = ast.parse(path.read_text())
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("pyramid_mongo"):
                found.add(target)
                # "from . import monitoring": a module, not a name
                found |= {
                    f"{target}.{a.name}" for a in node.names if is_module(f"{target}.{a.name}")
                }
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pyramid_mongo")}
    return {each for each in found if is_module(each)}


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


MODULES = sorted(PACKAGE.rglob("*.py"))


def wing_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in WINGS else None


def test_the_core_reaches_a_wing_only_through_its_face():
    wrong = []
    for path in MODULES:
        name = module_name(path)
        if wing_of(name) or name.rpartition(".")[2] in MOVED:
            continue
        for target in imports(path, top_level_only=False):
            wing = wing_of(target)
            if wing and target != f"pyramid_mongo.{wing}":
                wrong.append(f"{name} imports {target}")
    assert not wrong


def test_no_import_circle():
    graph = {module_name(p): imports(p, top_level_only=True) for p in MODULES}

    def visit(node, trail):
        if node in trail:
            cycle = [*trail[trail.index(node) :], node]
            pytest.fail("import circle: " + " -> ".join(cycle))
        for target in graph.get(node, ()):
            # a package's submodule imports its package's face first: no circle
            if target != node and not node.startswith(target + "."):
                visit(target, [*trail, node])

    for node in graph:
        visit(node, [])


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_short(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_the_folder_list_shows_the_wings():
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders == set(WINGS)
