"""``softmaxkit demo``: the worked examples, the classifier, the figures and report.html.

The demo runs once (in a subprocess, as users run it) and every test reads what it
printed and wrote. The report is opened in headless Chromium: every image must load,
the page must log no error, and a screenshot is taken.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import scipy.special as sp
from conftest import CHROMIUM, CHROMIUM_ARGS

import softmaxkit as sk
from softmaxkit._cli.figures import FIGURES


def floats(text: str) -> list[float]:
    return [float(t) for t in text.split()]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    out = tmp_path_factory.mktemp("demo") / "report-dir"
    r = subprocess.run([sys.executable, "-m", "softmaxkit", "demo", "--out", str(out)],
                       capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    return r, out


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links, self.tables, self._cell = [], [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        elif tag == "a":
            self.links.append(attrs.get("href"))
        elif tag == "tr":
            self.tables.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1].append(self._cell)
            self._cell = None


def test_worked_examples_are_printed(demo):
    r, _ = demo
    # stderr holds only the progress bars
    assert "Traceback" not in r.stderr and "error" not in r.stderr.lower()
    out = r.stdout
    (line,) = [s for s in out.splitlines() if s.startswith("softmax(z)")]
    assert "[0.09003057 0.24472847 0.66524096]" in line
    np.testing.assert_allclose(floats(line.split("[")[1].rstrip("]")),
                               sp.softmax([1.0, 2.0, 3.0]), atol=5e-9)
    for k, shown in ((1, "2.313261687518223"), (10, "2.0000045398899218")):
        assert f"k={k:<2d}) = {shown}" in out
        assert float(shown) == float(sk.smooth_max([1.0, 2.0], k=k))
    a = np.array([[1.0, 2.0], [4.0, 3.0], [5.0, 5.0]])
    assert "a =\n[[1. 2.]\n [4. 3.]\n [5. 5.]]" in out
    for axis in (0, 1):
        block = re.search(rf"softmax\(a, axis={axis}\).*?\n(\[\[.*?\]\])", out, re.DOTALL)
        assert block, f"no softmax(a, axis={axis}) block"
        shown = np.array(floats(block.group(1).replace("[", " ").replace("]", " ")))
        np.testing.assert_allclose(shown.reshape(3, 2), sp.softmax(a, axis=axis), atol=5e-9)


def test_classifier_table_next_to_scikit_learn(demo):
    r, _ = demo
    digits = r.stdout.split("digits, next to scikit-learn")[1].split("Fashion-MNIST")[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| ([^|]+?) \|(.*)$", digits,
                                                          re.MULTILINE)}
    assert "softmaxkit" in rows and "scikit-learn LogisticRegression" in rows
    test_acc = float(rows["softmaxkit"].split("|")[1])
    assert test_acc > 0.93  # digits, 450 test samples
    assert r.stdout.rstrip().endswith(f"report: {demo[1] / 'report.html'}")


def test_every_figure_is_written(demo):
    _, out = demo
    notes = [n for n, s in FIGURES.items() if not s.classifier]
    expected = {f"{n}.png" for n in notes}
    expected |= {f"digits-{n}.png" for n, s in FIGURES.items() if s.classifier}
    if Path("/usr/share/datasets/fashion-mnist").is_dir():
        expected |= {f"fashion-mnist-{n}.png" for n in
                     ("loss-curve", "weight-templates", "confusion-matrix",
                      "reliability-diagram")}
    written = {p.name for p in out.iterdir()}
    assert written == expected | {"report.html"}  # and no temporary file left


def test_report_embeds_every_figure_with_its_explanation(demo):
    r, out = demo
    html = (out / "report.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert len(page.images) == len(pngs)
    embedded = [base64.b64decode(img["src"].split(",", 1)[1]) for img in page.images]
    assert sorted(embedded) == sorted((out / p).read_bytes() for p in pngs)
    for name in pngs:  # each links to its file, by a relative path
        assert name in page.links
    for spec in FIGURES.values():
        assert spec.caption.replace("'", "&#x27;") in html or spec.caption in html
    assert "softmax(a, axis=0)" in html  # the worked examples
    # the comparison table holds what the command printed
    printed = re.search(r"^\| softmaxkit \|(.*)\|$", r.stdout, re.MULTILINE).group(1)
    table_row = next(row for row in page.tables if row and row[0] == "softmaxkit")
    assert [c.strip() for c in printed.split("|")] == table_row[1:]
    assert "http://" not in html and "https://" not in html  # nothing fetched


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_report_in_headless_chromium(demo, tmp_path):
    from playwright.sync_api import sync_playwright

    _, out = demo
    errors, failed = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda req: failed.append(req.url))
            page.goto((out / "report.html").as_uri())
            page.wait_for_load_state("load")
            widths = page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            title = page.title()
        finally:
            browser.close()
    assert title == "softmaxkit demo"
    assert len(widths) == len(list(out.glob("*.png")))
    assert all(done and w > 0 and h > 0 for done, w, h in widths), widths
    assert errors == [] and failed == []
    from matplotlib.image import imread

    img = imread(shot)
    assert img.shape[0] > 5000  # the whole page, figures included
    assert np.ptp(img[..., :3]) > 0.5


def test_default_output_directory():
    from softmaxkit._cli.main import build_parser

    assert build_parser().parse_args(["demo"]).out == "softmaxkit-demo"


def test_unwritable_output_directory(tmp_path):
    (tmp_path / "file").write_text("")
    for out, fragment in (("file", "exists and is not a directory"),
                          ("file/sub", "cannot create")):
        r = subprocess.run([sys.executable, "-m", "softmaxkit", "demo", "--out", out],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 2 and r.stdout == ""
        (line,) = r.stderr.splitlines()
        assert line.startswith("softmaxkit: error: --out:") and fragment in line
