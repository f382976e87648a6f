"""Columns of prose, through ``aigateway serve`` as shipped.

A newsletter's or a magazine's page sets its text in three to five columns on one baseline
grid: the columns' lines level row for row, like a table's cells, and a narrow column holds
4-5 words a line. Four such columns were read as a four-column Markdown table, every row a
line from each column (:func:`aigateway.ocr.engine.prose.prose`). A real table of short
phrases beside them must stay a table. A scanned paper's two justified columns, where a narrow
column's line of few words has its spaces stretched past the gap that splits a row into cells
(:func:`aigateway.ocr.engine.prose.stretched`), were read as a table too; and a web page's
sidebar ending a paragraph with a one-word line, then "Tags" and its tags, beside the first
lines of an article's paragraph, as a term list or a table (:func:`~aigateway.ocr.engine.prose.
continued`); and a scanned newsletter's narrow sidebar, whose lines met an article's on a few
rows, as a table (:func:`~aigateway.ocr.engine.prose.amid_text`); and a newspaper's three
columns and a recipe's list beside its steps, run together across narrow gutters, row by row
or as a table (:mod:`aigateway.ocr.engine.joinedcolumns`). One real server process (uvloop,
two workers), more pages at once than workers.
"""

from __future__ import annotations

import base64
import random
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from ..support.docgen import find_font, font
from ..support.printed import PRINT_CSS, printed_page
from ..support.served_pages import (
    LOCAL_OCR_CONFIG,
    encode,
    found_in_order,
    post_ocr,
    read_beside_truncated,
)
from ..support.server import GatewayProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_font("DejaVuSerif.ttf") is None, reason="fonts-dejavu-core"),
]

PROSE = (
    "the council agreed on a new plan for the harbour after months of debate while local "
    "traders asked for more time to move their stalls and fishermen said the work would "
    "close the north quay during the busiest weeks of the season residents who spoke at "
    "the meeting welcomed the lighting and wider paths but questioned the cost of parking "
    "which rises next spring when the ferry timetable changes again according to officials"
)
VOCABULARY = PROSE.split()


@pytest.fixture(scope="module")
def gateway(module_gateway_factory: Callable[..., GatewayProcess]) -> GatewayProcess:
    return module_gateway_factory(LOCAL_OCR_CONFIG)


def _wrap(words: list[str], face_width: Callable[[str], float], width: int) -> list[str]:
    lines, line = [], ""
    for w in words:
        cand = f"{line} {w}".strip()
        if face_width(cand) <= width or not line:
            line = cand
        else:
            lines.append(line)
            line = w
    return [*lines, line]


def _newsletter(columns: int, size: int, seed: int) -> tuple[Image.Image, list[str]]:
    """An A4 page at 300 DPI: ``columns`` ragged-right columns of seeded prose at ``size``
    px, on one baseline grid; the words in reading order (column by column)."""
    rng = random.Random(seed)
    face = font(size, "DejaVuSerif.ttf")
    gutter = 60
    width = (2480 - 400 - gutter * (columns - 1)) // columns
    img = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(img)
    order: list[str] = []
    for c in range(columns):
        words = [rng.choice(VOCABULARY) for _ in range(420)]
        lines = _wrap(words, face.getlength, width)[:50]
        for i, line in enumerate(lines):
            draw.text((200 + c * (width + gutter), 250 + i * int(size * 1.6)), line, font=face)
        order += " ".join(lines).split()
    return _scanned(img), order


def _scanned(img: Image.Image) -> Image.Image:
    """``img`` as a scanner gives it: glyph edges softened (and so a real file size)."""
    return img.filter(ImageFilter.GaussianBlur(0.8))


def _price_table() -> Image.Image:
    """A four-column table of short phrases, rows level, on an A4 page at 300 DPI."""
    face = font(32, "DejaVuSans.ttf")
    img = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(img)
    cells = [["Harbour fee", "per day", "12.50", "from May"], ["Quay permit", "yearly", "300"]]
    cells += [["Parking", "per hour", "2.10", "evenings free"], ["Ferry", "return", "8.40", "-"]]
    for r in range(16):
        row = cells[r % 4]
        for c, text in enumerate(row):
            draw.text(
                (200 + 520 * c, 300 + 60 * r), f"{text} {r + 1}" if c == 0 else text, font=face
            )
    return _scanned(img)


def test_narrow_columns_of_prose_read_column_by_column_and_a_table_stays_a_table(
    gateway: GatewayProcess,
) -> None:
    four, four_words = _newsletter(4, 30, seed=1)
    five, five_words = _newsletter(5, 26, seed=2)
    docs = [
        encode(four, "PNG", dpi=300),
        encode(five.convert("RGB"), "JPEG", quality=80, dpi=300),
        encode(_price_table(), "PNG", dpi=300),
    ]
    # Beside them, hostile: the newsletter cut off halfway through its PNG stream.
    pages = read_beside_truncated(gateway, docs, cut=0, keep=1 / 2)
    for text, words in ((pages[0], four_words), (pages[1], five_words)):
        # Before: four columns came back as a table, rows across the columns (a tenth of the
        # words in order).
        assert "|---" not in text, text[:800]
        assert found_in_order(text, words) >= 0.97, text[:800]
    assert "|---" in pages[2], pages[2]
    assert "Harbour fee 1" in pages[2] and "evenings free" in pages[2], pages[2]


# A paper's opening rows: (kind, words) per row of each column; kind "j" a justified line,
# "r" a paragraph's ragged last line, "h" a heading, "" a blank row.
_OPENING = [
    [("r", ["under", "review"]), ("", []), ("", []), ("h", ["1", "Introduction"]), ("", [])],
    [("r", ["of", "the", "season"]), ("", []), ("h", ["2", "Method"]), ("", []), ("", [])],
]


def _paper(seed: int) -> tuple[Image.Image, list[str]]:
    """An A4 page at 300 DPI, scanned (0.7 degrees askew, softened): two justified columns
    965 px wide, paragraphs set apart by blank lines. The left column opens with a paragraph
    of six lines, the right one with "courts shall apply local law that most closely"
    stretched to the column's width (38 px spaces in 33 px print), two full lines, a short
    one and a heading, as a scanned paper's page does. The words in reading order."""
    rng = random.Random(seed)
    face, bold = font(34, "DejaVuSerif.ttf"), font(38, "DejaVuSerif-Bold.ttf")
    width = 965

    def paragraph(n: int) -> list[tuple[str, list[str]]]:
        lines = [
            ln.split()
            for ln in _wrap([rng.choice(VOCABULARY) for _ in range(n)], face.getlength, width)
        ]
        return [("j", ln) for ln in lines[:-1]] + [("r", lines[-1]), ("", []), ("", [])]

    left = [("j", ln) for kind, ln in paragraph(70)[:6]] + _OPENING[0]
    right = [("j", ["courts", "shall", "apply", "local", "law", "that", "most", "closely"])]
    right += [("j", ln) for kind, ln in paragraph(40)[:2]] + _OPENING[1]
    img = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(img)
    order: list[str] = []
    for c, column in enumerate((left, right)):
        for _ in range(5):
            column += paragraph(rng.randint(40, 80))
        x0 = 250 + c * (width + 90)
        for r, (kind, words) in enumerate(column):
            y = 300 + 46 * r
            if y > 3200:
                break
            if not kind:
                continue
            ink = sum(face.getlength(w) for w in words)
            space = face.getlength(" ")
            if kind == "j" and len(words) > 1:
                space = (width - ink) / (len(words) - 1)
            x = float(x0)
            for w in words:
                draw.text((x, y), w, font=bold if kind == "h" else face)
                x += face.getlength(w) + space
            order += words
    img = img.rotate(0.7, resample=Image.Resampling.BICUBIC, fillcolor=255)
    return img.filter(ImageFilter.GaussianBlur(0.7)), order


def test_a_scanned_papers_justified_columns_with_stretched_lines_read_column_by_column(
    gateway: GatewayProcess,
) -> None:
    first, first_words = _paper(seed=3)
    second, second_words = _paper(seed=2)
    docs = [encode(first, "JPEG", quality=70, dpi=300), encode(second, "PNG", dpi=300)]
    assert all(len(doc[1]) > 300_000 for doc in docs)
    # Beside them, hostile: the same page with a page asked for that an image does not have.
    url = f"data:{docs[0][0]};base64," + base64.b64encode(docs[0][1]).decode()
    body = {"model": "local", "document": {"type": "image_url", "image_url": url}, "pages": [3]}
    with ThreadPoolExecutor(len(docs) + 1) as ex:
        answers = list(ex.map(lambda doc: post_ocr(gateway, doc), docs))
        bad = ex.submit(httpx.post, f"{gateway.url}/v1/ocr", json=body, timeout=300).result()
    assert bad.status_code == 400, bad.text
    assert bad.json()["error"]["param"] == "pages", bad.text
    for r, words in zip(answers, (first_words, second_words), strict=True):
        assert r.status_code == 200, r.text
        text = r.json()["pages"][0]["markdown"]
        # Before: both pages' opening rows came back as a two-column table, the stretched
        # line's words its cells (95 % of the words in order).
        assert "|---" not in text, text[:800]
        assert found_in_order(text, words) >= 0.99, text[:800]


def _paragraphs(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    face: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    at: tuple[int, int, int],
    pitch: int,
    words: int,
) -> list[str]:
    """Four paragraphs of ``words`` seeded words each, wrapped to ``at``'s width from its
    left and top, ``pitch`` px a line; their words in order."""
    x, y, width = at
    out: list[str] = []
    for _ in range(4):
        for line in _wrap([rng.choice(VOCABULARY) for _ in range(words)], face.getlength, width):
            draw.text((x, y), line, font=face)
            out += line.split()
            y += pitch
        y += pitch * 2 // 3
    return out


def _with_sidebar(seed: int) -> tuple[Image.Image, list[str], list[str]]:
    """A scanned newsletter page (300 DPI, askew by half a degree, grain, JPEG): an article's
    paragraphs in 46 px print, lines 62 px apart, beside a shaded sidebar in 40 px print,
    53 px apart, of four or five words a line. The article's words and the sidebar's."""
    rng = random.Random(seed)
    body, small = font(46, "DejaVuSerif.ttf"), font(40, "DejaVuSerif.ttf")
    img = Image.new("L", (2550, 3300), 255)
    draw = ImageDraw.Draw(img)
    draw.rectangle((1790, 240, 2360, 2400), fill=236)
    draw.text((220, 260), "Harbour News", font=font(80, "DejaVuSerif-Bold.ttf"))
    article = ["Harbour", "News", *_paragraphs(draw, rng, body, (220, 420, 1480), 62, 70)]
    draw.text((1825, 270), "In brief", font=font(40, "DejaVuSerif-Bold.ttf"))
    sidebar = ["In", "brief", *_paragraphs(draw, rng, small, (1825, 360, 500), 53, 30)]
    img = img.rotate(0.5 * rng.choice((-1, 1)), fillcolor=255, resample=Image.Resampling.BICUBIC)
    img = img.filter(ImageFilter.GaussianBlur(0.7))
    grain = Image.effect_noise(img.size, 14).point(lambda v: min(255, v + 120))
    return ImageChops.darker(img, grain), article, sidebar


def _web_page(seed: int) -> tuple[Image.Image, list[str]]:
    """An A4 page at 300 DPI, as a web page prints: a dark navigation bar, a sidebar in
    smaller print (28 px, 40 px apart) whose paragraph ends in a one-word line, then "Tags"
    and a line of tags, beside an article (34 px, 50 px apart) in paragraphs. The words in
    reading order (navigation, sidebar, article)."""
    rng = random.Random(seed)
    small, big = font(28, "DejaVuSans.ttf"), font(34, "DejaVuSans.ttf")
    bold = font(30, "DejaVuSans-Bold.ttf")
    img = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(img)
    draw.rectangle((150, 200, 2330, 290), fill=40)
    draw.text((200, 225), "Home    Products    Pricing    Docs    Contact", font=big, fill=235)
    order = ["Home", "Products", "Pricing", "Docs", "Contact", "Related"]
    draw.text((200, 400), "Related", font=bold)
    side = [
        ln.split()
        for ln in _wrap([rng.choice(VOCABULARY) for _ in range(60)], small.getlength, 560)
    ]
    side[-1] = ["of"]  # the paragraph's last line: one word
    y = 450
    for words in side:
        draw.text((200, y), " ".join(words), font=small)
        order += words
        y += 40
    draw.text((200, y + 6), "Tags", font=bold)
    draw.text((200, y + 46), "licence, freedom, copyleft", font=small)
    order += ["Tags", "licence,", "freedom,", "copyleft"]
    y = 400
    for _ in range(4):
        for line in _wrap([rng.choice(VOCABULARY) for _ in range(90)], big.getlength, 1400):
            draw.text((860, y), line, font=big)
            order += line.split()
            y += 50
        y += 50
    return img.filter(ImageFilter.GaussianBlur(0.6)), order


def test_a_sidebars_short_lines_beside_an_article_read_apart_from_it(
    gateway: GatewayProcess,
) -> None:
    pages = [_web_page(seed) for seed in (1, 2, 3)]
    docs = [encode(img, "PNG", dpi=300) for img, _ in pages[:2]]
    docs.append(encode(pages[2][0].convert("RGB"), "JPEG", quality=85, dpi=300))
    with ThreadPoolExecutor(len(docs)) as ex:
        answers = list(ex.map(lambda doc: post_ocr(gateway, doc), docs))
    for r, (_, words) in zip(answers, pages, strict=True):
        assert r.status_code == 200, r.text
        text = r.json()["pages"][0]["markdown"]
        lines = [ln.strip() for ln in text.split("\n")]
        # Before: a term list ("Tags residents during weeks ...") or a two-column table of
        # the sidebar's last lines and the article's.
        assert "|---" not in text, text[:1500]
        assert "Tags" in lines and "licence, freedom, copyleft" in lines, text[:1500]
        assert found_in_order(text, words) >= 0.98, text[:1500]


def test_a_scanned_narrow_sidebar_beside_an_article_is_no_table(gateway: GatewayProcess) -> None:
    # On one of these pages (seed 5) the sidebar's lines met the article's on four rows, too
    # few for lines of four or five words to tell wrapped prose from cells: those rows came
    # back as a two-column table, the sidebar's words cut out of their paragraph. Its paragraph, taken whole, is
    # running text (prose._narrow_paragraph).
    pages = [_with_sidebar(seed) for seed in (3, 4, 5)]
    docs = [encode(img, "JPEG", quality=70) for img, _, _ in pages]
    with ThreadPoolExecutor(len(docs)) as ex:
        answers = list(ex.map(lambda doc: post_ocr(gateway, doc), docs))
    for r, (_, article, sidebar) in zip(answers, pages, strict=True):
        assert r.status_code == 200, r.text
        text = r.json()["pages"][0]["markdown"]
        assert "|---" not in text, text[:1500]
        assert found_in_order(text, article) >= 0.98, text[:1500]
        assert found_in_order(text, sidebar) >= 0.98, text[:1500]


CV_HTML = (
    f"<html><head><meta charset=utf-8><style>{PRINT_CSS} @page {{size:A4;margin:0.7in}}"
    " body{font-family:'Liberation Serif';font-size:11pt;line-height:1.35}</style></head><body>"
    "<div style='display:flex;gap:24px'><div style='width:30%;background:#f0f0f0;padding:12px;"
    "font-size:10pt'><b>Contact</b><p>jane.doe@example.com<br>+44 20 7946 0000<br>London</p>"
    "<b>Skills</b><ul><li>Python</li><li>Go</li><li>Kubernetes</li><li>Terraform</li>"
    "<li>SQL</li><li>C</li></ul></div><div style='flex:1'><h1>Jane Doe</h1><h3>Experience</h3>"
    "<p><b>Platform Engineer</b>, 2019-2023<br>Ran the build and deployment platform for forty"
    " teams, moved every service to containers and cut the time from commit to production from"
    " a day to an hour.</p><p><b>Site Reliability Lead</b>, 2016-2019<br>Set up on-call rotas,"
    " error budgets and the postmortem process for a payments company of three hundred"
    " people.</p><p><b>Systems Administrator</b>, 2012-2016<br>Looked after the mail, file and"
    " database servers of a university department, and wrote its backup tooling.</p>"
    "</div></div></body></html>"
)
"""A CV printed from HTML: a grey sidebar of contact details and a list of skills, one word a
bullet, beside the job entries."""

STATEMENT_ROWS = [
    ("2026-03-02", "Card payment Harbour Cafe", "12.40", "", "4,987.60"),
    ("2026-03-03", "Salary March", "", "2,450.00", "7,437.60"),
    ("2026-03-05", "Direct debit Energy Co", "86.15", "", "7,351.45"),
    ("2026-03-09", "Transfer to savings", "500.00", "", "6,851.45"),
    ("2026-03-12", "Card payment Book Shop", "23.99", "", "6,827.46"),
    ("2026-03-16", "Refund Rail Tickets", "", "41.20", "6,868.66"),
    ("2026-03-20", "Standing order Rent", "950.00", "", "5,918.66"),
    ("2026-03-24", "Card payment Grocer", "64.31", "", "5,854.35"),
    ("2026-03-27", "Interest", "", "3.12", "5,857.47"),
    ("2026-03-30", "Cash machine Leeds", "100.00", "", "5,757.47"),
]
STATEMENT_HTML = (
    f"<html><head><meta charset=utf-8><style>{PRINT_CSS} @page {{size:A4;margin:0.7in}}"
    " body{font-family:'DejaVu Sans';font-size:11pt;line-height:1.35}</style></head><body>"
    "<div style='display:flex;justify-content:space-between'><b style='font-size:16pt'>First"
    " Harbour Bank</b><div style='text-align:right'>Statement period<br>1 - 31 March 2026"
    "</div></div><p>Account 12-34-56 87654321</p><table style='border-collapse:collapse;"
    "width:100%' cellpadding=4><tr style='border-bottom:2px solid #000'><th align=left>Date</th>"
    "<th align=left>Description</th><th align=right>Paid out</th><th align=right>Paid in</th>"
    "<th align=right>Balance</th></tr>"
    + "".join(
        "<tr style='border-bottom:1px solid #ccc'>"
        + "".join(f"<td{' align=right' if k > 1 else ''}>{c}</td>" for k, c in enumerate(row))
        + "</tr>"
        for row in STATEMENT_ROWS
    )
    + "</table></body></html>"
)
"""A bank statement printed from HTML: the bank's name left and the statement period in a
right-hand stack of two lines, the account number, then the transactions."""


def _under_a_lid(page: Image.Image) -> Image.Image:
    """``page`` as a flatbed scanner gives it: turned half a degree, darker towards one side."""
    turned = page.rotate(0.5, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
    ramp = Image.linear_gradient("L").rotate(90, expand=True).resize(turned.size)
    shade = ramp.point(lambda v: 255 - v // 8)
    return ImageChops.multiply(turned, shade)


def test_a_cvs_sidebar_and_a_statements_head_read_in_order(gateway: GatewayProcess) -> None:
    # A CV as a 200 DPI JPEG: the sidebar's last skills, level with a job entry's heading and
    # first line, were read as a hanging-term list with them ("• SQL Site Reliability Lead,
    # 2016-2019"), the job entries out of order; at 300 DPI the skills and the first job's
    # wrapped lines were read as a two-column table. A scanned bank statement's right-hand
    # stack ("Statement period" over "1 - 31 March 2026") must come before its table (this
    # print read in order before as well; the unit test has the scan whose second line came
    # after the table). Beside them, hostile: the scan cut off halfway, refused.
    statement = _under_a_lid(printed_page(STATEMENT_HTML, 300).convert("L"))
    docs = [
        encode(printed_page(CV_HTML, 200).convert("L"), "JPEG", 60, dpi=200),
        encode(printed_page(CV_HTML, 300).convert("L"), "JPEG", 30, dpi=300),
        encode(statement, "JPEG", 65),
    ]
    *cvs, statement_md = read_beside_truncated(gateway, docs, cut=2, keep=1 / 2)
    skills = ["Python", "Go", "Kubernetes", "Terraform", "SQL", "C"]
    jobs = ["Platform Engineer", "Site Reliability Lead", "Systems Administrator"]
    for md in cvs:
        lines = [ln.strip() for ln in md.splitlines() if ln.strip()]
        assert [ln for ln in lines if ln.startswith("•")] == [f"• {s}" for s in skills], md
        assert "|" not in md, md
        flat = " ".join(md.split())
        at = [flat.find(t) for t in ["Jane Doe", *jobs]]
        assert -1 not in at and at == sorted(at), md
    assert statement_md.index("1 - 31 March 2026") < statement_md.index("| Date"), statement_md


PAPER_HTML = (
    f"<html><head><meta charset=utf-8><style>{PRINT_CSS} @page {{size:Letter;margin:0.6in}}"
    " body{font-family:'Liberation Serif';font-size:11pt;line-height:1.35}</style></head><body>"
    "<h2 style='text-align:center'>Unless Such Uses Represent The Only Significant</h2><p "
    "style='text-align:center'>A. Author, B. Writer<br><i>Institute of Notices "
    "However</i></p> <p style='margin:0 40px'><b>Abstract.</b> the Program's source code as "
    "you receive it, in any medium, provided that you conspicuously and appropriately "
    "publish on each copy an appropriate copyright notice; keep intact all notices stating "
    "that this License and any non-permissive terms added in accord with section 7 apply to "
    "the code; keep intact all notices of the absence of any warranty; and give all "
    "recipients a copy of this License along with the Program.</p><div "
    "style='column-count:2;column-gap:24px;text-align:justify'><h4>1 "
    'Introduction</h4><p>permissions" are terms that supplement the terms of this License '
    "by making exceptions from one or more of its conditions. Additional permissions that "
    "are applicable to the entire Program shall be treated as though they were included in "
    "this License, to the extent that they are valid under applicable law. If additional "
    "permissions apply only to part of the Program, that part may be used separately under "
    "those permissions, but the entire Program remains governed by this License without "
    "regard to the additional permissions. When you convey a copy of a covered work, you "
    "may at your option remove any additional permissions from that copy, or from any part "
    "of it. (Additional permissions may be written to require their own</p><p>this section "
    "must be accompanied by the Installation Information. But this requirement does not "
    "apply if neither you nor any third party retains the ability to install modified "
    "object code on the User Product (for example, the work has been installed in ROM). The "
    "requirement to provide Installation Information does not include a requirement to "
    "continue to provide support service, warranty, or updates for a work that has been "
    "modified or installed by the recipient, or for the User Product in which it has been "
    "modified or installed. Access to</p><h4>2 Method</h4><p>permanently if the copyright "
    "holder notifies you of the violation by some reasonable means, this is the first time "
    "you have received notice of violation of this License (for any work) from that "
    "copyright holder, and you cure the violation prior to 30 days after your receipt of "
    "the notice. Termination of your rights under this section does not terminate the "
    "licenses of parties who have received copies or rights from you under this License. If "
    "your rights have been terminated and not permanently reinstated, you do not qualify to "
    "receive new licenses for the same material under section 10. You are not required to "
    "accept this License in order</p><p>work (except to the extent that warranties are "
    "provided), that licensees may convey the work under this License, and how to view a "
    "copy of this License. If the interface presents a list of user commands or options, "
    'such as a menu, a prominent item in the list meets this criterion. A "Standard '
    'Interface" means an interface that either is an official standard defined by a '
    "recognized standards body, or, in the case of interfaces specified for a particular "
    "programming</p></div>"
    "</body></html>"
)
"""A two-column paper printed from HTML: a centred title and abstract, then two justified
columns; the first column's heading ("1 Introduction") stands level with the short last line
of a paragraph at the top of the second ("Access to")."""


def test_a_papers_first_heading_level_with_a_line_of_the_next_column_stays_in_place(
    gateway: GatewayProcess,
) -> None:
    # The heading and that short line were read as one row of a receipt's label and amount,
    # "1 Introduction Access to", placed after the whole first column. Beside them, hostile:
    # the scan cut off halfway, refused as a bad document.
    scan = printed_page(PAPER_HTML, 300).convert("L").filter(ImageFilter.GaussianBlur(0.6))
    docs = [encode(printed_page(PAPER_HTML, 96).convert("RGB"), "PNG"), encode(scan, "JPEG", 70)]
    for md in read_beside_truncated(gateway, docs, cut=1, keep=1 / 2):
        flat = " ".join(md.split())
        order = ["with the Program.", "1 Introduction", 'permissions" are terms', "Access to"]
        at = [flat.find(t) for t in [*order, "2 Method"]]
        assert -1 not in at and at == sorted(at), md
        assert "Introduction Access" not in flat, md


NEWS_HTML = (
    f"<html><head><meta charset=utf-8><style>{PRINT_CSS} @page {{size:A4;margin:0.7in}}"
    " body{font-family:'DejaVu Sans';font-size:11pt;line-height:1.35}</style></head><body>"
    "<div style='text-align:center;border-bottom:3px double #000'><div "
    "style='font-size:30pt;font-weight:bold'>The Harbour Gazette</div><div "
    "style='font-size:9pt'>Tuesday, 8 December 2026 &middot; No. 4,512 &middot; Price "
    "2.00</div></div><h1 style='font-size:22pt;margin:10px 0'>Finally Every Program Is "
    "Threatened Constantly By</h1><div style='column-count:3;column-gap:18px;text-align:jus"
    "tify;font-size:10pt'><p>appropriate copyright notice, and (2) tells the user that "
    "there is no warranty for the work (except to the extent that warranties are "
    "provided), that licensees may convey the work under this License, and how to view a "
    "copy of this License.</p><p>non-permissive terms added in accord with section 7 apply "
    "to the code; keep intact all notices of the absence of any warranty; and give all "
    "recipients a copy of this License along with the Program. You may convey a work based "
    "on the Program, or the modifications to produce it from</p><p>and must require no "
    'special password or key for unpacking, reading or copying. "Additional permissions" '
    "are terms that supplement the terms of this License by making exceptions from one or "
    "more of its conditions. Additional permissions that are applicable to the entire "
    "Program shall be treated as though they were included in this License, to the extent "
    "that they are valid under applicable</p><p>for the program, if necessary. For more "
    "information on this, and how to apply and follow the GNU GPL, see "
    "<https://www.gnu.org/licenses/>. The GNU General Public License does not permit "
    "incorporating your program into proprietary programs. If your program is a subroutine "
    "library, you may consider it more useful</p><p>information on this, and how to apply "
    "and follow the GNU GPL, see <https://www.gnu.org/licenses/>. The GNU General Public "
    "License does not permit incorporating your program into proprietary programs. If your "
    "program is a subroutine library, you may consider it more useful to permit linking "
    "proprietary applications</p><p>to most effectively state the exclusion of warranty; "
    'and each file should have at least the "copyright" line and a pointer to where the '
    "full notice is found. This program is free software: you can redistribute it and/or "
    "modify it under</p><p>effected by exercising rights under this License with respect "
    "to the covered work, and you disclaim any intention to limit operation or "
    "modification of the work as a means of enforcing, against the work's users, your or "
    "third parties' legal rights to forbid circumvention of technological measures. You "
    "may convey verbatim copies of the Program's source code as you receive it,</p><h3>Not "
    "Include Claims That</h3><p>or propagating a covered work, you indicate your "
    "acceptance of this License to do so. Each time you convey a covered work, the "
    "recipient automatically receives a license from the original licensors, to run, "
    "modify and propagate that work, subject to this License. You are not responsible for "
    "enforcing compliance</p><p>have permission to link or combine any covered work with a "
    "work licensed under version 3 of the GNU Affero General Public License into a single "
    "combined work, and to convey the resulting work. The terms of this License will "
    "continue to apply to the part which is the covered</p><p>holder is reinstated "
    "permanently if the copyright holder notifies you of the violation by some reasonable "
    "means, this is the first time you have received notice of violation of this License "
    "(for any work) from that copyright holder, and you cure the violation prior to 30 "
    "days after your receipt</p></div>"
    "</body></html>"
)
"""A newspaper's page printed from HTML: a masthead, a headline in 22 pt over three justified
10 pt columns 18 px apart, the third with a heading of its own, which sets its lines off the
baseline grid of the other two."""

RECIPE_HTML = (
    f"<html><head><meta charset=utf-8><style>{PRINT_CSS} @page {{size:A4;margin:0.7in}}"
    " body{font-family:'Liberation Serif';font-size:11pt;line-height:1.35}</style></head><body>"
    "<h1>License For This</h1><p><i>the parties who would receive the covered work from "
    "you, a discriminatory patent license (a) in connection with copies of the covered "
    "work conveyed by</i></p><div style='display:flex;gap:30px'><div "
    "style='width:35%'><h3>Ingredients</h3><ul><li>338 g in</li><li>418 g medium provided "
    "that</li><li>449 g user actually uses</li><li>396 g or copying</li><li>156 g for "
    "further conveying</li><li>288 g refrain entirely from</li><li>334 g foundation either "
    "version</li><li>209 g the other</li><li>251 g unless and until</li></ul></div><div "
    "style='flex:1'><h3>Method</h3><ol><li>All other non-permissive additional terms are "
    'considered "further restrictions" within the meaning of section 10. If the Program as '
    "you received it,</li><li>have separately received it. d) If the work has interactive "
    "user interfaces, each must display Appropriate Legal Notices; however, if</li><li>use "
    "of software on general-purpose computers, but in those that do, we wish to avoid the "
    'special danger that patents applied to a</li><li>the product. "Installation '
    'Information" for a User Product means any methods, procedures, authorization keys, or '
    'other information required to install and</li><li>source code form. A "Major '
    'Component", in this context, means a major essential component (kernel, window '
    "system, and so on) of the specific operating system (if any)</li><li>class of "
    "product, regardless of the status of the particular user or of the way in which the "
    "particular user actually uses, or expects</li></ol></div></div>"
    "</body></html>"
)
"""A recipe printed from HTML: its ingredients, a list, beside its method's numbered steps,
whose lines wrap; taken as a 96 DPI screenshot, the gutter between the two is 32 px."""


def test_columns_run_together_read_column_by_column(gateway: GatewayProcess) -> None:
    # Tesseract ran a newspaper's first two columns' level lines together across the narrow
    # gutter, and the headline's wide word spaces reached across it: the columns were read
    # row by row, then the page's lower band after the upper band (1955 edits a reading of
    # 3122 characters; raw Tesseract 17). A recipe's screenshot, each row of its list and
    # its steps one line, was read as a two-column table. Beside them, hostile: the scan cut
    # off halfway.
    body = NEWS_HTML[NEWS_HTML.index("<body>") : NEWS_HTML.index("</body>")]
    text = re.sub(r"<[^>]+>", " ", body).replace("&middot;", " ")
    scan = printed_page(NEWS_HTML, 300).convert("L").filter(ImageFilter.GaussianBlur(0.6))
    docs = [
        encode(printed_page(NEWS_HTML, 96).convert("RGB"), "PNG"),
        encode(scan, "JPEG", 70),
        encode(printed_page(RECIPE_HTML, 96).convert("RGB"), "PNG"),
    ]
    *news, recipe = read_beside_truncated(gateway, docs, cut=1, keep=1 / 2)
    for md in news:
        assert found_in_order(md, text.split()) >= 0.97, md
        flat = " ".join(md.split())
        starts = re.findall(r"<(?:p|h3)>((?:\S+ ){3})", NEWS_HTML)
        at = [flat.find(t.strip()) for t in starts]
        assert -1 not in at and at == sorted(at), md
    assert "|" not in recipe, recipe
    lines = recipe.splitlines()
    items = re.findall(r"<li>(\d+ g [^<]+)</li>", RECIPE_HTML)
    steps = re.findall(r"<li>([^<\s]+ [^<\s]+ [^<\s]+)", RECIPE_HTML)[len(items) :]
    assert len(items) == 9 and len(steps) == 6
    for item in items:
        assert f"• {item}" in lines, recipe
    flat = " ".join(recipe.split())
    at = [flat.find(t) for t in ["Ingredients", items[-1], "Method", *(s.strip() for s in steps)]]
    assert -1 not in at and at == sorted(at), recipe
