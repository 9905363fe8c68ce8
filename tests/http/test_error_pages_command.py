"""pyramid-mongo-error-pages: the app's error pages as files for nginx."""

import json
import subprocess
import sys
from pathlib import Path

from tests.serving import without_python_warnings

PAGES = str(Path(sys.executable).with_name("pyramid-mongo-error-pages"))


def test_a_missing_ini_file_is_one_line_and_exit_2(tmp_path):
    done = subprocess.run([PAGES, str(tmp_path / "nope.ini"), str(tmp_path / "out")],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert (
        without_python_warnings(done.stderr)
        == f"pyramid-mongo-error-pages: {tmp_path / 'nope.ini'}: no such INI file\n"
    )


def test_an_unwritable_folder_is_one_line_and_exit_1(tmp_path, mongodb_url):
    ini = tmp_path / "app.ini"
    ini.write_text(
        f"[app:main]\nuse = egg:pyramid_mongo#demo\nmongodb.url = {mongodb_url}\n"
        "mongodb.db_name = pages\n"
    )
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = subprocess.run([PAGES, str(ini), str(blocker / "out")], capture_output=True, text=True)
    said = without_python_warnings(done.stderr)
    assert done.returncode == 1 and len(said.splitlines()) == 1, done.stderr
    written = subprocess.run([PAGES, str(ini), str(tmp_path / "out")], capture_output=True,
                             text=True, check=True)  # fmt: skip
    assert len(written.stdout.splitlines()) == 16
    problem = json.loads((tmp_path / "out" / "413.json").read_text())
    assert problem["status"] == 413 and problem["title"] == "Request Entity Too Large"
    assert "<html" in (tmp_path / "out" / "502.html").read_text().lower()
