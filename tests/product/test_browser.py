"""The default generated project in a real browser (headless Chromium through
Selenium), as a person meets it: sign up, log out, log in wrong then right,
the account page, a form whose token went stale, a page that is not there.
Skipped, saying so, where Debian's chromium and chromium-driver are absent."""

import json
import shutil
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from pyramid_mongo.devserver import free_port
from tests.serving import Served

REPO = Path(__file__).resolve().parents[2]
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and DRIVER),
        reason="no browser: apt-get install chromium chromium-driver to run the browser test",
    ),
]
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The default project, served by pserve from its own folder."""
    where = tmp_path_factory.mktemp("browser")
    project = Path(
        cookiecutter(str(REPO), directory="scaffold", no_input=True, output_dir=str(where))
    )
    package = project.name
    ini = project / "browser.ini"
    text = (project / "development.ini").read_text()
    text = text.replace(f"use = egg:{package}", f"use = call:{package}:main")
    ini.write_text(text.replace("localhost:6543", f"127.0.0.1:{free_port()}"))
    served = Served(ini, pserve=str(Path(sys.executable).with_name("pserve")), cwd=project)
    served.hits()
    yield f"http://127.0.0.1:{served.port}", where
    served.stop()


@pytest.fixture
def browser(site):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1100,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # CSP reports land there
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def mark(browser) -> None:
    """A mark on this page's window, which the next page load clears."""
    browser.execute_script("window.__before_navigation = true")


def wait_for_the_next_page(browser) -> None:
    """Until a new document has loaded: the mark is gone and it is complete.
    A condition read afresh on each poll survives the navigation itself,
    where waiting on an element of the old page (staleness) asks the driver
    about a document that is going away."""

    def loaded(driver) -> bool:
        try:
            return driver.execute_script(
                "return window.__before_navigation === undefined"
                " && document.readyState === 'complete'"
            )
        except WebDriverException:
            return False  # between two documents: ask again

    WebDriverWait(browser, 30, poll_frequency=0.2).until(loaded)


def fill(browser, **fields):
    """Fill the page's form and send it; back once the next page is there (or
    at once, when the browser's own check keeps the form from being sent)."""
    for name, value in fields.items():
        field = browser.find_element("name", name)
        field.clear()
        field.send_keys(value)
    valid = browser.execute_script("return document.querySelector('main form').checkValidity()")
    mark(browser)
    browser.find_element("css selector", "main form button[type=submit]").click()
    if valid:
        wait_for_the_next_page(browser)


def click(browser, selector):
    mark(browser)
    browser.find_element("css selector", selector).click()
    wait_for_the_next_page(browser)


def text(browser) -> str:
    return browser.find_element("tag name", "body").text


def test_a_visitor_signs_up_logs_out_and_in(site, browser):
    base, shots = site
    browser.get(base + "/")
    assert "Pyramid Mongo Project" in browser.title
    browser.get(base + "/signup")
    assert "At least 10 characters" in text(browser)
    fill(browser, email="ada@example.com", password="short")  # the browser's own rule first
    assert browser.current_url.endswith("/signup")
    browser.execute_script("document.querySelector('[name=password]').minLength = 0")
    fill(browser, email="ada@example.com", password="short")
    assert "Use at least 10 characters." in text(browser)
    fill(browser, email="Ada@Example.com", password=PASSWORD)
    assert browser.current_url.endswith("/account")
    assert "Welcome! Your account is ready." in text(browser)
    assert "ada@example.com" in text(browser)
    browser.save_screenshot(str(shots / "account.png"))

    click(browser, "header form button")  # Log out
    assert "You are logged out." in text(browser)
    assert "Log in" in text(browser) and "Sign up" in text(browser)

    browser.get(base + "/login")
    fill(browser, email="ada@example.com", password="not the password")
    assert "do not match an account" in text(browser)
    fill(browser, email="ada@example.com", password=PASSWORD)
    assert browser.current_url.endswith("/account"), text(browser)
    assert "Sign up" not in browser.find_element("tag name", "header").text
    browser.save_screenshot(str(shots / "logged-in.png"))


def test_a_form_whose_token_went_stale(site, browser):
    base, shots = site
    browser.get(base + "/login")
    browser.delete_all_cookies()  # the session, and its CSRF token, are gone
    fill(browser, email="ada@example.com", password=PASSWORD)
    assert "This form has expired" in text(browser)
    assert "This form has expired" in browser.title
    browser.save_screenshot(str(shots / "stale-form.png"))


def test_a_page_that_is_not_there(site, browser):
    base, shots = site
    browser.get(base + "/nowhere")
    assert "Page not found" in browser.title and "Pyramid Mongo Project" in browser.title
    click(browser, "main a")  # Back to the home page
    assert browser.current_url == base + "/"
    browser.save_screenshot(str(shots / "not-found.png"))


def csp_violations(browser) -> list[str]:
    return [
        e["message"]
        for e in browser.get_log("browser")
        if "Content Security Policy" in e["message"]
    ]


def names_listed(browser) -> list[str]:
    return [a.text for a in browser.find_elements("css selector", "table.items td a")]


def test_items_through_the_html_pages(site, browser):
    """Create (one refused first), page through, edit, a stale edit from a
    second window, delete after confirming: the forms the model draws."""
    base, shots = site
    browser.get(base + "/items")
    fill(browser, name=" ")  # only spaces: the model refuses it, the browser does not
    error = browser.find_element("id", "field-name-error")
    assert error.get_attribute("role") == "alert" and error.text
    described = browser.find_element("name", "name").get_attribute("aria-describedby")
    assert "field-name-error" in described
    browser.save_screenshot(str(shots / "item-refused.png"))
    for name in ("lamp", "desk", "chair"):
        browser.get(base + "/items")
        fill(browser, name=name, tags="home, wood")
        assert browser.find_element("tag name", "h1").text == name
    browser.get(base + "/items?limit=2")
    assert names_listed(browser) == ["lamp", "desk"]
    click(browser, "a[rel=next]")
    assert names_listed(browser) == ["chair"]
    click(browser, "a[rel=prev]")
    assert names_listed(browser) == ["lamp", "desk"]

    click(browser, "table.items td a")  # lamp's edit page
    lamp = browser.current_url
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")  # someone else, meanwhile
    browser.get(lamp)
    fill(browser, note="moved to the hall")
    browser.close()
    browser.switch_to.window(first)
    fill(browser, note="by the window")  # saved over a version that is gone
    alert = browser.find_element("css selector", "main p.error[role=alert]")
    assert "Someone changed this item" in alert.text
    assert browser.find_element("name", "note").get_attribute("value") == "moved to the hall"
    browser.save_screenshot(str(shots / "item-changed-meanwhile.png"))
    fill(browser, note="by the window")  # again, on the current version
    assert "version 3" in text(browser)

    click(browser, "main form a")  # Delete…
    assert "cannot be brought back" in text(browser)
    fill(browser)
    assert browser.current_url.startswith(base + "/items")
    assert "lamp" not in names_listed(browser)
    assert csp_violations(browser) == []


def test_the_api_docs_work_offline_and_list_every_operation(site, browser):
    base, _ = site
    with urllib.request.urlopen(base + "/api/openapi.json") as answer:
        document = json.load(answer)
    browser.get(base + "/api/docs")
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            section = browser.find_element("id", operation["operationId"])
            assert method.upper() in section.text and path in section.text
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )
    assert all(url.startswith(base) for url in loaded), loaded  # nothing from elsewhere
    assert csp_violations(browser) == []


PAGES = ["/", "/items", "/api/docs", "/login", "/signup", "/nowhere"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1100, 400])
def test_every_page_in_light_dark_and_at_400_px(site, browser, scheme, width):
    """Screenshots to look at; what a test can see: nothing wider than the window."""
    base, shots = site
    browser.set_window_size(width, 900)
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )
    browser.get(base + "/items")
    fill(browser, name=f"shown {scheme} {width}")
    item = urllib.parse.urlparse(browser.current_url).path
    pages = [*PAGES, item, item + "/delete"]
    for path in pages:
        browser.get(base + path)
        wide = browser.execute_script(
            "return document.documentElement.scrollWidth > window.innerWidth"
        )
        assert not wide, f"{path} is wider than {width} px"
        background = browser.execute_script(
            "return getComputedStyle(document.body).backgroundColor"
        )
        assert (background == "rgb(22, 26, 22)") == (scheme == "dark"), (path, background)
        name = path.strip("/").replace("/", "-") or "home"
        browser.save_screenshot(str(shots / f"{name}-{scheme}-{width}.png"))
