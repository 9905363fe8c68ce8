"""The docs extra builds the docs: what a docs host installs is enough."""

import subprocess
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # a virtualenv of its own


def test_the_docs_build_from_the_docs_extra_alone(tmp_path):
    env_dir = tmp_path / "docs-venv"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", f"{REPO}[docs]"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    built = subprocess.run(
        [
            python,
            "-m",
            "sphinx",
            "-q",
            "-W",
            "-b",
            "html",
            str(REPO / "docs"),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # not the checkout: the installed package is what autodoc reads
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    assert (tmp_path / "html" / "api.html").exists()
