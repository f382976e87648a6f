"""Tables of contents, hanging-indent lists and lists flowed down columns, through
``aigateway serve`` as shipped.

A contents page leads the eye from each entry to its page number along a row of dots, which
Tesseract reads as words of letters (``nnn nent tebe tent ene``); the engine writes them back
as dots from the ink (``leaders.py``). A bulleted list set with a hanging indent puts each
bullet three text heights before its item, where Tesseract leaves it out of every word; the
engine puts it back (``strays.py``). A contributors page or a book's index flows one sorted
list down two or three columns on one baseline grid, which the layout pass read as a table of
unrelated entries side by side; it reads the columns down (``flowedlists.py``). One real
server process (uvloop, two workers), more pages
at once than workers, at a scanner's and a renderer's sizes.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable

import pytest
from PIL import Image, ImageDraw, ImageFilter

from ..support.docgen import find_font, font
from ..support.printed import PRINT_CSS, printed_page
from ..support.served_pages import (
    GRAINY_PROSE,
    LOCAL_OCR_CONFIG,
    encode,
    found_in_order,
    read_all,
    read_beside_truncated,
    rendered_and_scanned,
)
from ..support.server import GatewayProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_font("DejaVuSerif.ttf") is None, reason="fonts-dejavu-core"),
]

CHAPTERS = [
    ("Introduction", ["What the gateway is", "Who it is for", "How to read this guide"]),
    ("Installing the gateway", ["From a package", "From the sources", "On a cluster"]),
    ("Configuration", ["Routes and models", "Tenants and keys", "Limits on uploads"]),
    ("The OCR engine", ["Reading scanned pages", "Tables and images", "Languages"]),
    ("Chat and embeddings", ["Streaming answers", "Fallbacks", "Usage and cost"]),
    ("Operations", ["Metrics and tracing", "Reloading the configuration", "Upgrades"]),
    ("Files and batches", ["Uploading files", "Running a batch", "Results and errors"]),
    ("Reference", ["Command line", "Configuration keys", "Error codes"]),
]
ENTRIES = [
    (entry, str(3 + 4 * c + s))
    for c, (title, sections) in enumerate(CHAPTERS)
    for s, entry in enumerate(
        [f"{c + 1}. {title}"] + [f"{c + 1}.{k + 1}. {sub}" for k, sub in enumerate(sections)]
    )
]

GARBAGE = re.compile(r"\b(?:nnn|nent|tebe|tent|ene|eee|een|enn|nee)\b")


@pytest.fixture(scope="module")
def gateway(module_gateway_factory: Callable[..., GatewayProcess]) -> GatewayProcess:
    return module_gateway_factory(LOCAL_OCR_CONFIG)


def _contents_page(pitch: int = 24) -> Image.Image:
    """An A4 page at 300 DPI: a contents list in DejaVu Serif at 40 px, each entry's dots
    ``pitch`` px apart on the page's grid (as TeX and DocBook set leaders) up to its page
    number at the right margin."""
    img = Image.new("L", (2550, 3300), 255)
    d = ImageDraw.Draw(img)
    f = font(40, "DejaVuSerif.ttf")
    d.text((300, 250), "Table of Contents", font=font(64, "DejaVuSans-Bold.ttf"), fill=0)
    right = 2250
    for k, (entry, number) in enumerate(ENTRIES):
        y = 420 + 64 * k
        x0 = 300 + (60 if entry.count(".") > 1 else 0)
        d.text((x0, y), entry, font=f, fill=0)
        end = x0 + d.textlength(entry, font=f) + 40
        width = d.textlength(number, font=f)
        d.text((right - width, y), number, font=f, fill=0)
        x = int(right - width - 40) // pitch * pitch
        while x > end:
            d.text((x, y), ".", font=f, fill=0)
            x -= pitch
    return img


def test_a_contents_pages_leaders_come_back_as_dots(gateway: GatewayProcess) -> None:
    page = _contents_page()
    # Untagged too: a JPEG without its DPI.
    docs = [*rendered_and_scanned(page), encode(page.filter(ImageFilter.GaussianBlur(0.6)), "JPEG")]
    for md in read_all(gateway, docs):
        assert not GARBAGE.search(md), md  # a dozen such words a line without the pass
        # Each entry led by its dots to its page number.
        led = re.findall(r"(?:\. ){20,}\.?\s*(\d+)", md)
        assert len(led) >= 0.8 * len(ENTRIES), md
        assert "Reloading the configuration" in md, md


ITEMS = [
    "Fully documented, with two manuals and a formal specification of the markup.",
    "Work in high-level markup rather than building graphs of objects by hand.",
    "Requires no programming expertise from the colleagues who write the reports.",
    "Support for vector graphics and the inclusion of other documents as pages.",
    "Many more useful features, each expressed with a single tag of the language.",
    "Commercial support is included with every licence, for as long as it runs.",
]


def _list_page() -> Image.Image:
    """An A4 page at 300 DPI: prose, then a bulleted list in DejaVu Serif at 40 px whose
    bullets stand 140 px (about three text heights) before their items, then prose."""
    img = Image.new("L", (2550, 3300), 255)
    d = ImageDraw.Draw(img)
    f = font(40, "DejaVuSerif.ttf")
    y = 300
    for line in textwrap.wrap(GRAINY_PROSE.split("\n\n")[0], 80)[:5]:
        d.text((250, y), line, font=f, fill=0)
        y += 60
    y += 30
    for item in ITEMS:
        d.ellipse((400, y + 22, 411, y + 33), fill=0)
        d.text((556, y), item, font=f, fill=0)
        y += 70
    y += 40
    for line in textwrap.wrap(" ".join(GRAINY_PROSE.split()), 80):
        d.text((250, y), line, font=f, fill=0)
        y += 60
        if y > 3100:
            break
    return img


def test_a_hanging_indents_bullets_come_back(gateway: GatewayProcess) -> None:
    for md in read_all(gateway, rendered_and_scanned(_list_page())):
        items = re.findall(r"^• (?:Fully|Work|Requires|Support|Many|Commercial)\b", md, re.M)
        assert len(items) >= 5, md  # of 6; one or none without the pass


SURNAMES = [
    "Abbott",
    "Acosta",
    "Adler",
    "Baker",
    "Barton",
    "Becker",
    "Bell",
    "Bishop",
    "Carter",
    "Chen",
    "Cole",
    "Cruz",
    "Dean",
    "Diaz",
    "Doyle",
    "Dunn",
    "Ellis",
    "Evans",
    "Farley",
    "Ferris",
    "Fox",
    "Garcia",
    "Grant",
    "Gray",
    "Hale",
    "Hayes",
    "Hill",
    "Ito",
    "Jensen",
    "Kaur",
    "Khan",
    "Klein",
    "Lane",
    "Lopez",
    "Mason",
    "Moore",
    "Novak",
    "Owens",
    "Park",
    "Patel",
    "Quinn",
    "Reyes",
    "Rossi",
    "Silva",
    "Tanaka",
]
GIVEN = [
    "Ruth",
    "Omar",
    "Ines",
    "Theo",
    "Mina",
    "Paul",
    "Lena",
    "Ivan",
    "Sara",
    "Noah",
    "Aiko",
    "Femi",
]
NAMES = [f"{s} {GIVEN[k % len(GIVEN)]}" for k, s in enumerate(SURNAMES)]
PROSE = GRAINY_PROSE.split()

INDEX = [
    ("A", [("absence of warranty", ["in the licence"]), ("access", []), ("accord", [])]),
    ("A", [("added terms", ["removing", "notices"]), ("aggregate", []), ("allow", [])]),
    ("B", [("based on", ["the Program"]), ("behalf", []), ("binary", ["form", "objects"])]),
    ("C", [("called", []), ("charge", ["for a copy"]), ("circumvention", []), ("code", [])]),
    ("C", [("compilation", []), ("conditions", ["of this licence"]), ("convey", ["verbatim"])]),
    ("D", [("damages", []), ("data", []), ("defined", []), ("designed", ["for users"])]),
    ("E", [("each", []), ("effect", ["of this licence"]), ("either", []), ("enforcing", [])]),
    ("F", [("fees", ["royalty"]), ("files", []), ("forbid", []), ("free", ["software"])]),
    ("G", [("general", []), ("given", []), ("grant", ["of patent rights"]), ("guide", [])]),
    ("H", [("hardware", ["device"]), ("holder", ["copyright", "patent"]), ("household", [])]),
    ("I", [("include", []), ("installation", ["information"]), ("interface", ["user"])]),
    ("L", [("legal", ["notices", "rights"]), ("library", []), ("licence", ["automatic"])]),
    ("M", [("major component", []), ("manufacture", []), ("modify", ["the Program"])]),
    ("N", [("network", ["server"]), ("notice", ["of violation"]), ("numbered", [])]),
]


FEATURES = [
    "Assures that patents cannot be used",
    "Work's system libraries, or",
    "Corresponding source of the work",
    "Terminate the licenses of parties",
    "Either is an",
    "On to the recipients the",
    "Version. for purposes of this",
    "Share and change the works. by",
    "Of the status of the",
    "But without any",
    "May be",
    "Or asking",
    "A result",
    "Under this",
    "Holder who authorizes",
    "Option of",
    "Use, sell, offer",
    "Repair or correction. in no",
    "Governed by this",
    "A physical distribution",
    "Section must be accompanied by",
    "Of rights",
    "(a) is included in the normal",
    "To provide support",
]
"""A bulleted list's items, flowed down two columns: the first column's long first item
leaves the second's bullet two gutters' worth off its end, and Tesseract runs the two into
one line."""


def _flowed_html(columns: int, size: str, body: str) -> str:
    """An A4 page printed from HTML: ``body``'s part before its ``|`` (a heading), then its
    part after it flowed down ``columns`` columns 30 px apart in ``size`` print."""
    return (
        f"<html><head><meta charset=utf-8><style>{PRINT_CSS} @page {{size:A4;margin:0.7in}} "
        f"body{{font-family:'DejaVu Sans';font-size:11pt;line-height:1.35}}</style></head><body>"
        f"{body.split('|')[0]}<div style='column-count:{columns};column-gap:30px;font-size:{size}'>"
        f"{body.split('|')[1]}</div></body></html>"
    )


def _index() -> tuple[str, list[str]]:
    """A book's index in two columns of 10 pt print, a letter's heading set off above its
    entries, sub-entries indented; and its words in reading order."""
    body, said, seen = "<h1>Index</h1>|", ["Index"], ""
    for letter, entries in INDEX:
        if letter != seen:
            body += f"<div style='font-weight:bold;margin-top:8px'>{letter}</div>"
            said.append(letter)
            seen = letter
        for entry, subs in entries:
            page = f"{len(entry) * 7}, {len(entry) * 13}"
            body += f"<div>{entry}, {page}</div>"
            said += f"{entry}, {page}".split()
            for sub in subs:
                body += f"<div style='margin-left:16px'>{sub}, {len(sub) * 11}</div>"
                said += f"{sub}, {len(sub) * 11}".split()
    return _flowed_html(2, "10pt", body), said


def test_lists_flowed_down_columns_read_column_by_column(gateway: GatewayProcess) -> None:
    # Three columns of names level row for row came back as a table of three names a row
    # (535 edits a reading of 788 characters; raw Tesseract 0), and an index's two columns
    # as small tables and stacks of a few rows each, wherever its rows met level. Beside
    # them, hostile: a scan cut off halfway.
    names = _flowed_html(
        3, "11pt", "<h2>Contributors</h2>|" + "".join(f"<div>{n}</div>" for n in NAMES)
    )
    index, said = _index()
    numbers = [str(2000 + 37 * len(n) + k) for k, n in enumerate(NAMES)]
    directory = _flowed_html(
        3,
        "10pt",
        "<h2>Staff Directory</h2>|"
        + "".join(
            f"<div style='display:flex'><span>{n}</span><span style='flex:1'></span>"
            f"<span>{x}</span></div>"
            for n, x in zip(NAMES, numbers, strict=True)
        ),
    )
    checks = [f"{k + 1}. {' '.join(PROSE[3 * k : 3 * k + 4])}" for k in range(36)]
    checklist = _flowed_html(
        2, "11pt", "<h2>Checklist</h2>|" + "".join(f"<div>{c}</div>" for c in checks)
    )
    features = FEATURES
    bulleted = (
        _flowed_html(
            2,
            "11pt",
            f"<h2>Features</h2><p>{' '.join(PROSE[:60])}</p>|"
            + "".join(f"<li>{f}</li>" for f in features),
        )
        .replace("<div style='column", "<ul style='column")
        .replace("</div></body>", "</ul></body>")
    )
    blur = ImageFilter.GaussianBlur(0.6)
    docs = [
        encode(printed_page(bulleted, 300).convert("L").filter(blur), "JPEG", 20),
        encode(printed_page(checklist, 300).convert("L").filter(blur), "JPEG", 70),
        encode(printed_page(directory, 300).convert("L").filter(blur), "JPEG", 70),
        encode(printed_page(names, 144).convert("RGB"), "PNG"),
        encode(printed_page(index, 96).convert("RGB"), "PNG"),
        encode(printed_page(index, 300).convert("L").filter(blur), "JPEG", 70),
    ]
    listing, ticked, listed, *read = read_beside_truncated(gateway, docs, cut=3, keep=1 / 2)
    # A bulleted list in two columns, scanned and saved as a low-quality JPEG: a two-column
    # table of bulleted cells without the pass.
    assert "|" not in listing, listing
    assert found_in_order(listing, " ".join(features).split()) >= 0.97, listing
    # Each item's bullet, the second column's too, which Tesseract read as "e" mid-line.
    assert len(re.findall(r"^• ", listing, re.M)) >= 22, listing
    # A numbered checklist, "1." to "18." down one column and "19." on down the next.
    assert "|" not in ticked, ticked
    assert found_in_order(ticked, " ".join(checks).split()) >= 0.97, ticked
    for md, words in zip(read, [NAMES, said, said], strict=True):
        assert "|" not in md, md
        assert found_in_order(md, " ".join(words).split()) >= 0.97, md
    # Each name a line, not the names of a column run together as one paragraph.
    names_read = read[0].splitlines()
    assert sum(1 for n in NAMES if n in names_read) >= 0.9 * len(NAMES), read[0]
    # A directory's extensions at its columns' right edges: each name keeps its number on
    # its line (a table of six columns without the pass; its names before its numbers in the
    # recogniser's order).
    lines = listed.splitlines()
    kept = sum(1 for n, x in zip(NAMES, numbers, strict=True) if f"{n} {x}" in lines)
    assert kept >= 0.9 * len(NAMES), listed
