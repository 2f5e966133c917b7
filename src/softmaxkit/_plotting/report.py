"""``report.html``: the demo's worked examples, figures and tables on one page.

The page is self-contained: every image is embedded as a data URI (and also linked, by a
relative path, to the PNG file beside the page), the style is inline, and nothing is
fetched from the network, so it can be mailed or opened from any directory.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

from .._core.atomic import atomic_write

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; color: #222; }
h1 { font-size: 1.8rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.85rem; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.95rem; color: #444; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
nav a { margin-right: 1rem; }
"""


@dataclass
class ReportFigure:
    """A PNG file beside the report, with a title and a sentence of explanation."""

    file: str
    title: str
    caption: str


@dataclass
class ReportTable:
    """A table: a caption, the column names and rows of cells (formatted already)."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass
class ReportSection:
    title: str
    text: str = ""
    preformatted: str = ""
    figures: list[ReportFigure] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)


def _img(directory: Path, fig: ReportFigure) -> str:
    data = base64.b64encode((directory / fig.file).read_bytes()).decode("ascii")
    name = html.escape(fig.file, quote=True)
    return (f'<figure id="{name}"><a href="{name}"><img src="data:image/png;base64,{data}" '
            f'alt="{html.escape(fig.title, quote=True)}"></a>'
            f"<figcaption><b>{html.escape(fig.title)}.</b> {html.escape(fig.caption)}"
            "</figcaption></figure>")


def _table(t: ReportTable) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in t.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in t.rows)
    note = f"<p>{html.escape(t.note)}</p>" if t.note else ""
    return (f"<table><caption>{html.escape(t.caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{note}")


def render(directory: Path, title: str, intro: str, sections: list[ReportSection]) -> str:
    """The report's HTML; the figures' PNG files must already be in ``directory``."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p><nav>"]
    parts += [f'<a href="#s{i}">{html.escape(s.title)}</a>' for i, s in enumerate(sections)]
    parts.append("</nav>")
    for i, s in enumerate(sections):
        parts.append(f'<section id="s{i}"><h2>{html.escape(s.title)}</h2>')
        if s.text:
            parts.append(f"<p>{html.escape(s.text)}</p>")
        if s.preformatted:
            parts.append(f"<pre>{html.escape(s.preformatted)}</pre>")
        parts += [_table(t) for t in s.tables]
        parts += [_img(directory, f) for f in s.figures]
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write(directory, title: str, intro: str, sections: list[ReportSection]) -> Path:
    """Write ``directory/report.html`` completely or not at all; return its path."""
    directory = Path(directory)
    text = render(directory, title, intro, sections)
    path = directory / "report.html"
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path
