"""End to end: every chapter executes in the smoke profile, the book builds, the site renders."""

from __future__ import annotations

import functools
import html
import http.server
import json
import shutil
import threading
from pathlib import Path

import nbformat
import pytest

from ibtools import pipeline
from ibtools.results import check_results_dir

pytestmark = pytest.mark.book
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.parametrize("chapter", list(pipeline.load_chapters()))
def test_chapter_writes_the_results_contract(smoke_results, chapter):
    folder = smoke_results / "smoke" / chapter
    check_results_dir(folder)
    params = json.loads((folder / "params.json").read_text())
    assert params["profile"] == "smoke" and params["chapter"] == chapter


def test_current_chapter_is_not_executed_again(smoke_results, capsys):
    executed = smoke_results / "smoke" / "single_neuron" / "notebook.ipynb"
    before = executed.stat().st_mtime_ns
    pipeline.execute_chapter("single_neuron", "smoke", results_root=smoke_results)
    assert executed.stat().st_mtime_ns == before
    assert "up to date" in capsys.readouterr().out


def test_failing_cell_is_named(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell("results_dir = 'x'")
    params.metadata["tags"] = ["parameters"]
    notebook.cells = [params, nbformat.v4.new_code_cell("1 / 0")]
    path = tmp_path / "broken.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(
        pipeline.ChapterFailed,
        match=r"broken \(smoke\) failed in cell 2 .*`1 / 0`.*ZeroDivisionError",
    ):
        pipeline._execute_notebook(path, tmp_path / "out", {}, "broken (smoke)")


def test_custom_run_writes_under_runs(tmp_path):
    folder = pipeline.run_custom(
        "single_neuron", "smoke", ["epochs=200", "beta=0.05"], runs_root=tmp_path
    )
    assert folder.parent == tmp_path and folder.name.startswith("single_neuron-")
    params = json.loads((folder / "params.json").read_text())
    assert params["profile"] == "custom"
    assert params["params"]["epochs"] == 200 and params["params"]["beta"] == 0.05
    assert json.loads((folder / "overrides.json").read_text())["overrides"] == {
        "epochs": 200,
        "beta": 0.05,
    }


@pytest.fixture(scope="module")
def site(smoke_results, tmp_path_factory) -> Path:
    html_dir = tmp_path_factory.mktemp("site") / "html"
    pipeline.build_site("smoke", results_root=smoke_results, html_dir=html_dir)
    return html_dir


def test_site_has_every_page(site):
    assert (site / "index.html").is_file()
    assert (site / "references.html").is_file()
    for name, chapter in pipeline.load_chapters().items():
        page = site / "chapters" / f"{name}.html"
        assert page.is_file()
        assert html.escape(chapter.title, quote=False) in page.read_text(), "chapter title missing"
    index = (site / "intro.html").read_text()
    assert "smoke" in index and "verdict" in index


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served_site(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def _open(browser, url):
    page = browser.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, wait_until="networkidle")
    page.wait_for_function(
        "() => !window.MathJax || !window.MathJax.startup || "
        "window.MathJax.startup.promise !== undefined",
        timeout=15000,
    )
    page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    return page, errors


def _check_rendered(page, errors, *, expect_math: bool):
    broken = page.evaluate(
        "() => Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src.slice(0, 80))"
    )
    assert broken == [], f"images that did not load: {broken}"
    text = page.evaluate(
        "() => { const c = document.querySelector('main') || document.body;"
        " const copy = c.cloneNode(true);"
        " copy.querySelectorAll('pre, code, .highlight, script, style, mjx-container')"
        ".forEach(e => e.remove()); return copy.innerText; }"
    )
    assert "\\(" not in text and "$$" not in text, "untypeset math left on the page"
    assert "$" not in text, "a raw $ is left on the page: math was not typeset"
    if expect_math:
        assert page.locator("mjx-container").count() > 0, "MathJax typeset nothing"
    assert errors == [], f"console errors: {errors}"


def test_landing_page_renders_with_scorecard(browser, served_site):
    page, errors = _open(browser, served_site + "/index.html")
    _check_rendered(page, errors, expect_math=False)
    headers = page.locator("table th").all_inner_texts()
    assert "verdict" in [h.strip().lower() for h in headers], "no scorecard table"
    assert page.locator("table tbody tr").count() >= 1
    page.close()


@pytest.mark.parametrize("chapter", list(pipeline.load_chapters()))
def test_chapter_page_renders(browser, served_site, chapter):
    page, errors = _open(browser, f"{served_site}/chapters/{chapter}.html")
    _check_rendered(page, errors, expect_math=True)
    assert page.locator("main img").count() >= 1, "the chapter shows no figure"
    page.close()
