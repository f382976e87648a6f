"""Turn recognised lines and paragraphs into Markdown (pure functions, no OCR imports).

OCR engines hand back physical lines; readers want paragraphs. Lines of one paragraph are joined
with spaces, a word hyphenated across a line break is rejoined ("infor-" + "mation" becomes
"information"), and paragraphs are separated by one blank line. Lines the layout pass found
ended on purpose (:mod:`.breaks`) keep their line break, and each item of a list starts a
paragraph of its own, so that a list reads (and renders) as one item under another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = ("BULLETS", "escape_headings", "join_lines", "paragraphs_to_markdown")

# A line ending in a letter followed by a hyphen (ASCII hyphen, soft hyphen or U+2010), where the
# next line starts with a lowercase letter: a word broken by the typesetter, not a dash.
_BROKEN = re.compile(r"(?<=[^\W\d_])[-\u00ad\u2010]$")
_SPACES = re.compile(r"[ \t]+")
# "https: //example.org": in typewriter fonts the colon sits in a cell as wide as any other,
# so the gap after it looks like a word space to the recogniser. No URL has that space.
_SCHEME = re.compile(r"\b(https?|ftp|file): (?=//)", re.IGNORECASE)

# "Oxbea0d0cc": a hex literal's zero read as the letter O (the two are one shape in most
# typewriter fonts). Only where hex digits follow, at least one of them a digit, so words
# such as "Oxford" or "Oxide" are never touched.
_HEX = re.compile(r"\bOx(?=[0-9a-fA-F]*[0-9])([0-9a-fA-F]+)\b")

# A line of text that starts like an ATX heading ("## a comment" in an R or shell listing):
# Markdown would render it as a heading. The engine never writes headings of its own.
_HEADING = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)", re.MULTILINE)


BULLETS = "•◦▪▫‣●○■□►▶➢➤✓✔❖"
"""Glyphs that start a list item (followed by a space). Tesseract's "•" comes from
:mod:`.bullets`; the rest are what word processors and web pages use."""

_ITEM = re.compile(f"^[{BULLETS}](?= )")

# "- item", "* item", "1. item", "2) item", "(a) item", "b) item": list items only where the
# paragraph's first line is one of the same kind (a wrapped line may start with "2." or "-").
_MARKED = (
    re.compile(r"^[-*\u2013](?= )"),
    re.compile(r"^\(?\d{1,3}[.)](?= )"),
    re.compile(r"^\(?[a-z][.)](?= )"),
)

# A line of only "-" or "=" under a line of text is a setext heading's underline in Markdown:
# such a line is joined with a space, never put on a line of its own.
_UNDERLINE = re.compile(r"^[-=\s]+$")


def _item(line: str, first: str) -> bool:
    """Whether ``line`` starts a new list item in a paragraph whose first line is ``first``."""
    if _ITEM.match(line):
        return True
    return any(m.match(line) and m.match(first) for m in _MARKED)


def escape_headings(text: str) -> str:
    """Backslash-escape a ``#`` run that starts a line, so recognised text such as
    ``## note`` stays text when the Markdown is rendered (``\\## note`` shows ``## note``)."""
    return _HEADING.sub(r"\1\\\2", text)


def join_lines(lines: Iterable[str], seps: Sequence[str] = ()) -> str:
    """Join the physical lines of one paragraph: with a space where the text wrapped, with a
    line break where ``seps`` (one per line, from :func:`.breaks.separators`; none: all
    wrapped) says the line before was ended, and with a blank line before a list item."""
    out = ""
    first = ""
    for k, raw in enumerate(lines):
        line = _SPACES.sub(" ", raw).strip()
        if not line:
            continue
        if not out:
            out = first = line
        elif _BROKEN.search(out) and line[0].islower():
            out = out[:-1] + line
        elif _item(line, first):
            out = f"{out}\n\n{line}"
        elif k < len(seps) and seps[k] == "\n" and not _UNDERLINE.match(line):
            out = f"{out}\n{line}"
        else:
            out = f"{out} {line}"
    return escape_headings(_HEX.sub(r"0x\1", _SCHEME.sub(r"\1:", out)))


def paragraphs_to_markdown(paragraphs: Sequence[Sequence[str]]) -> str:
    """Markdown for a page: each paragraph (a list of lines) joined, blank line between them."""
    parts = [join_lines(p) for p in paragraphs]
    return "\n\n".join(p for p in parts if p)
