"""Recognised text that starts like a Markdown heading stays text (``markdown.escape_headings``).

R, shell and Python listings put ``#`` comments at a line's start; written into the page's
Markdown as they are, every one renders as a heading. The engine writes no headings of its
own, so each such ``#`` run is escaped, and the bench's scorer reads the escape back.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from aigateway.ocr.engine.compose import compose
from aigateway.ocr.engine.layout import Paragraph
from aigateway.ocr.engine.markdown import escape_headings, join_lines, paragraphs_to_markdown

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from scoring import distance, plain, unescape

# CommonMark's ATX heading opener: up to three spaces, one to six "#", then a space or the end.
ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)", re.MULTILINE)


def test_comment_lines_are_escaped_and_other_hashes_left_alone() -> None:
    assert escape_headings("## a comment") == "\\## a comment"
    assert escape_headings("# x\ny <- 1\n   ### deep") == "\\# x\ny <- 1\n   \\### deep"
    assert escape_headings("#") == "\\#"
    # Not headings in Markdown: no space after the run, seven marks, or "#" inside a line.
    for text in ("#include <stdio.h>", "####### seven", "x # y", "#!/bin/sh", "    # code"):
        assert escape_headings(text) == text


def test_paragraphs_and_pages_carry_the_escape() -> None:
    assert join_lines(["## Set the seed", "set.seed(1)"]) == "\\## Set the seed set.seed(1)"
    md = paragraphs_to_markdown([["# one"], ["two"]])
    assert md == "\\# one\n\ntwo"
    page, _ = compose([Paragraph(("## note",), 0, 10)], (), None)
    assert page == "\\## note"
    assert ATX.search(page) is None


def test_scorer_reads_the_escape_back_and_raw_text_as_it_is() -> None:
    ref = "## note\nx <- 1"
    assert distance(ref, "\\## note\n\nx <- 1") == (0, len("## note x <- 1"))
    # Markdown heading marks are not text; in a raw engine's plain text they are.
    assert plain("## Title") == "Title"
    assert distance(ref, "## note\nx <- 1", markdown=False)[0] == 0
    assert distance(ref, "## note\nx <- 1")[0] == 3


@given(st.text(alphabet=st.sampled_from("# \tab\n"), max_size=40))
def test_escaped_text_has_no_heading_and_unescapes_to_itself(text: str) -> None:
    escaped = escape_headings(text)
    assert ATX.search(escaped) is None
    assert unescape(escaped) == text  # the bench's scorer reads it back
