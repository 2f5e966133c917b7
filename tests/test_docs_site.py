"""The built documentation site (``make docs``): its links, and its pages in a browser.

Every ``href`` and ``src`` of every built page that points inside the site must reach a
file, and its ``#fragment`` an element of that page. Then headless Chromium opens the index,
an API page, a gallery page and the search page (served over HTTP, as a web server would
serve the site): every image loads, nothing is logged as an error, and a search for
"logsumexp" lists its API page.

The site is built by ``make docs`` (CI builds it before the tests and sets
``SOFTMAXKIT_REQUIRE_DOCS=1``, which turns a missing site into a failure).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS

SITE = Path(__file__).resolve().parents[1] / "docs" / "_build" / "html"
PAGES = {
    "index": "index.html",
    "API page": "api/generated/softmaxkit.softmax.html",
    "gallery page": "auto_examples/plot_02_softmax_formula.html",
}


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").exists():
        if os.environ.get("SOFTMAXKIT_REQUIRE_DOCS") == "1":
            pytest.fail(f"{SITE} is missing: make docs did not build the site")
        pytest.skip("the documentation site is not built (make docs)")
    return SITE


class _Links(HTMLParser):
    """The link targets and element ids of one page."""

    def __init__(self):
        super().__init__()
        self.targets, self.ids, self.resources = [], set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.targets.append(attrs[key])
        # what the browser loads by itself to show the page (not what a click opens)
        if (tag in ("script", "img", "iframe") and attrs.get("src")) or \
                (tag == "link" and attrs.get("href") and attrs.get("rel") != "canonical"):
            self.resources.append(attrs.get("src") or attrs["href"])


@functools.cache
def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_internal_link_resolves(site):
    # _static holds the theme's assets (and a template it ships there), not pages
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)
    assert len(pages) > 100  # the reference, the gallery, the guide, the tutorials
    broken, checked = [], 0
    for page in pages:
        for target in _parse(page).targets:
            url = urlsplit(target)
            if url.scheme or url.netloc or target.startswith(("mailto:", "javascript:")):
                continue  # external: the site is built offline, these are not fetched
            path = (page.parent / unquote(url.path)).resolve() if url.path else page
            if path.is_dir():
                path = path / "index.html"
            checked += 1
            if not path.exists() or site not in path.parents and path != site:
                broken.append(f"{page.relative_to(site)}: {target}")
            elif url.fragment and path.suffix == ".html" \
                    and unquote(url.fragment) not in _parse(path).ids:
                broken.append(f"{page.relative_to(site)}: {target} (no such anchor)")
    assert checked > 1000
    assert broken == [], "\n".join(broken[:50])


def test_no_page_loads_anything_from_the_network(site):
    remote = [f"{page.relative_to(site)}: {url}"
              for page in site.rglob("*.html") if "_static" not in page.parts
              for url in _parse(page).resources if urlsplit(url).scheme or url.startswith("//")]
    assert remote == []


def test_the_reference_is_grouped_and_complete(site):
    import softmaxkit

    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    for group in ("The softmax family", "Gradients", "Losses", "Layers",
                  "The softmax classifier", "Calibration", "Sampling", "PyTorch and JAX",
                  "Figures", "Command-line reference"):
        assert group in html, group
    generated = {p.stem for p in (site / "api" / "generated").glob("*.html")}
    missing = [n for n in softmaxkit.__all__
               if not n.startswith("__") and f"softmaxkit.{n}" not in generated]
    assert missing == []


def test_api_page_states_the_backends(site):
    html = (site / "api" / "generated" / "softmaxkit.logsumexp.html").read_text(
        encoding="utf-8")
    assert "Backends" in html and "dask" in html and "array_api" in html


def test_performance_page_is_generated_from_the_results(site):
    import json

    html = (site / "generated" / "performance.html").read_text(encoding="utf-8")
    results = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
    for path in results.glob("*.json"):
        if path.stem.endswith("-quick"):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["date"] in html, path.name


def test_user_guide_tables_are_the_last_run(site):
    import json

    results = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
    path = results / "softmax.json"
    if not path.exists():
        pytest.skip("no benchmark results (make bench)")
    date = json.loads(path.read_text(encoding="utf-8"))["date"][:10]
    html = (site / "user_guide" / "kernels.html").read_text(encoding="utf-8")
    assert f"run {date} on" in html and "softmaxkit out=" in html


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _open(browser, url):
    errors, failed = [], []
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda req: failed.append(req.url))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, errors, failed


@pytest.mark.parametrize("name", list(PAGES))
def test_page_in_headless_chromium(server, browser, name):
    page, errors, failed = _open(browser, server + PAGES[name])
    try:
        images = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.src, i.complete, i.naturalWidth])")
        title = page.title()
    finally:
        page.close()
    assert "softmaxkit" in title
    assert all(done and width > 0 for _, done, width in images), images
    if name == "gallery page":
        assert len(images) >= 1  # the example's figure
    assert errors == [] and failed == []


def test_search_finds_the_logsumexp_page(server, browser):
    page, errors, failed = _open(browser, server + "search.html?q=logsumexp")
    try:
        page.wait_for_selector("#search-results li a", timeout=20_000)
        hrefs = page.eval_on_selector_all("#search-results li a",
                                          "links => links.map(a => a.getAttribute('href'))")
    finally:
        page.close()
    assert any(h.split("#")[0].endswith("api/generated/softmaxkit.logsumexp.html")
               for h in hrefs), hrefs
    assert errors == [] and failed == []


def test_a_table_of_an_isa_the_cpu_lacks_is_noted_not_required(monkeypatch):
    # `make bench` on a CPU without AVX-512 writes no avx512 tables: the pages that show
    # them say so instead of failing the build; any other missing table stays an error
    pytest.importorskip("sphinx")
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
    import softmaxkit_docs as ext

    after = "softmax, float32, avx512"
    assert ext._isa_absent(after, {"cpu_isa": "avx2"}) == "avx512"
    assert ext._isa_absent(after, {"cpu_isa": "baseline"}) == "avx512"
    assert ext._isa_absent(after, {"cpu_isa": "avx512"}) is None
    assert ext._isa_absent("softmax, float32, avx2", {"cpu_isa": "avx2"}) is None
    assert ext._isa_absent(after, {}) is None  # a run that did not record its CPU's ISA
    assert ext._isa_absent("| fit, Fashion-MNIST", {"cpu_isa": "baseline"}) is None
