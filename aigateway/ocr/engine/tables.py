"""Tables as Markdown or HTML, the two ``table_format`` values Mistral's OCR API knows.

Mistral returns a table inline in the page's Markdown by default; with ``table_format`` set it
moves the table into ``pages[].tables[]`` (``{"id": "tbl-0.md", "content": ..., "format":
"markdown"}``) and leaves a link placeholder (``[tbl-0.md](tbl-0.md)``) where it stood.
:func:`render` produces the table text; the page assembly decides where it goes.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ("placeholder", "render", "table_id", "to_html", "to_markdown")


def _md_cell(text: str) -> str:
    # A pipe would end the cell; a newline the row.
    return " ".join(text.split()).replace("|", "\\|")


def to_markdown(rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; the first row is the header."""
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    lines = []
    for n, row in enumerate(rows):
        cells = [_md_cell(c) for c in row] + [""] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            lines.append("|" + "|".join(["---"] * width) + "|")
    return "\n".join(lines)


def to_html(rows: Sequence[Sequence[str]]) -> str:
    """An HTML ``<table>``; the first row's cells are ``<th>``."""
    out = ["<table>"]
    for n, row in enumerate(rows):
        tag = "th" if n == 0 else "td"
        cells = "".join(f"<{tag}>{html.escape(' '.join(c.split()))}</{tag}>" for c in row)
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    return "".join(out)


def render(rows: Sequence[Sequence[str]], fmt: str) -> str:
    """``fmt`` is ``"markdown"`` or ``"html"``."""
    return to_html(rows) if fmt == "html" else to_markdown(rows)


def table_id(n: int, fmt: str) -> str:
    """``tbl-0.md`` / ``tbl-0.html``: the id Mistral gives the n-th table of a document."""
    return f"tbl-{n}.{'html' if fmt == 'html' else 'md'}"


def placeholder(table: str) -> str:
    """The link left in the Markdown where a table was taken out."""
    return f"[{table}]({table})"
