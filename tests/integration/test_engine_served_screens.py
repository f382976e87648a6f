"""Pages users send that are not typeset manuals, through ``aigateway serve`` as shipped.

A log screenshot in tight small print, newspaper columns under a headline, a page photographed
at an angle, a slide with its title on a dark bar (and smaller ones, as 720p screenshots), a
dark-mode code editor: each lost or garbled text through the built-in engine before (rows
dropped by Tesseract's layout analysis, a headline's end read after the columns, a title read
twice or not at all, line numbers read as ``OIRDRHTRWNPH``). One real server process (uvloop, two workers), several requests at once.
"""

from __future__ import annotations

import base64
import io
import random
import re
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from difflib import SequenceMatcher

import httpx
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from aigateway.ocr.engine import paper

from ..support.docgen import PY_LISTING, font, noise
from ..support.served_pages import LOCAL_OCR_CONFIG, encode, post_ocr, read_all
from ..support.server import GatewayProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gateway(module_gateway_factory: Callable[..., GatewayProcess]) -> GatewayProcess:
    return module_gateway_factory(LOCAL_OCR_CONFIG)


def _grain(img: Image.Image, amount: float, seed: int) -> Image.Image:
    """``img`` with a faint seeded texture (a screen capture's or a camera's), so it is not a
    toy image and every run reads the same pixels."""
    noise = random.Random(seed).randbytes(img.width * img.height)
    grain = Image.frombytes("L", img.size, noise).convert(img.mode)
    return Image.blend(img, grain, amount)


def _flat(markdown: str) -> str:
    return " ".join(markdown.split())


def _in_order(text: str, wanted: list[str], at_least: int) -> None:
    """At least ``at_least`` of ``wanted`` are found in ``text``, each after the one found
    before it (a line out of place counts as missing; lines may repeat on the page)."""
    pos, found = 0, 0
    for w in wanted:
        at = text.find(w, pos)
        if at >= 0:
            pos, found = at + len(w), found + 1
    assert found >= at_least, (found, text)


LOG_ROWS = [
    f"{k:02d}:14:{(7 * k) % 60:02d} worker-{k % 4} status ok, latency {3 * k} ms, "
    f"retries {k % 4}, region eu-west-{k % 3}"
    for k in range(60)
]


def _terminal() -> Image.Image:
    """A 1920 x 1080 screenshot of a terminal: a title bar, then 60 log rows of 12 px print
    16 px apart (lines nearly touch), left-aligned in a wide window."""
    img = Image.new("RGB", (1920, 1080), (250, 250, 247))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 1920, 28), fill=(60, 63, 65))
    d.text((12, 6), "tail -f /var/log/gateway.log", font=font(14), fill=(230, 230, 230))
    for k, row in enumerate(LOG_ROWS):
        d.text((10, 40 + 16 * k), row, font=font(12), fill=(30, 30, 30))
    return _grain(img, 0.04, 1)


def test_a_log_screenshot_in_tight_small_lines_reads_every_row(gateway: GatewayProcess) -> None:
    # Tesseract's layout analysis dropped whole stretches of such a page (rows 5-15 of 30)
    # without a word of doubt; dropped.py finds the ink no word covers and reads it as a
    # block. As PNG and JPEG, at once.
    page = _terminal()
    for markdown in read_all(gateway, [encode(page, "PNG"), encode(page, "JPEG")]):
        text = _flat(markdown)
        # (A dropped comma or a colon read as a semicolon is not what is tested: the latency
        # and region of each row, in order.)
        wanted = [re.sub(r".*status ok, ", "", row) for row in LOG_ROWS]
        _in_order(text, wanted, 57)


HEADLINE = "City Council Approves New Harbour Plan"
STORY = (
    "The council voted on Tuesday to approve a plan that will rebuild the old harbour wall "
    "and add two new piers for ferries and fishing boats. Residents who attended the meeting "
    "asked about the cost of the work, which the city engineer put at four million euros over "
    "three years. The harbour master said that the wall had been repaired many times since it "
    "was built and that storms last winter had opened several gaps in it. Fishermen welcomed "
    "the decision but asked that the work be planned so that the boats can still land their "
    "catch during the summer season. "
)


def _wrap(words: list[str], width: int, size: int) -> list[str]:
    f = font(size)
    lines: list[str] = []
    cur: list[str] = []
    for w in words:
        if cur and f.getlength(" ".join([*cur, w])) > width:
            lines.append(" ".join(cur))
            cur = [w]
        else:
            cur.append(w)
    return [*lines, " ".join(cur)] if cur else lines


def _newspaper(columns: int) -> tuple[Image.Image, list[list[str]]]:
    """An A4 page at 300 DPI: a 96 px headline across the page, then ``columns`` columns of
    ragged-right 30 px text on one baseline grid (row for row level, like a table's cells)."""
    img = Image.new("L", (2480, 3508), 255)
    d = ImageDraw.Draw(img)
    d.text((150, 120), HEADLINE, font=font(96), fill=0)
    gutter = 60
    width = (2480 - 300 - gutter * (columns - 1)) // columns
    lines = _wrap((STORY * 8).split(), width, 30)
    per = (3508 - 500) // 48
    cols = [lines[c * per : (c + 1) * per] for c in range(columns)]
    for c, col in enumerate(cols):
        for k, text in enumerate(col):
            d.text((150 + c * (width + gutter), 360 + 48 * k), text, font=font(30), fill=0)
    return img, cols


def test_newspaper_columns_under_a_headline_read_column_by_column(
    gateway: GatewayProcess,
) -> None:
    # The headline runs across the gutter below it: Tesseract cut it there and read its end
    # after the last column; pieces.py measured the gap against the body's word space, not
    # the headline's. The columns line up row for row, and must not come back as a table.
    pages = [_newspaper(2), _newspaper(3)]
    docs = [encode(pages[0][0], "PNG"), encode(pages[1][0], "PNG")]
    docs.append(encode(pages[1][0].filter(ImageFilter.GaussianBlur(1.2)), "JPEG"))
    for (_, cols), markdown in zip(
        [pages[0], pages[1], pages[1]], read_all(gateway, docs), strict=True
    ):
        text = _flat(markdown)
        assert text.startswith(HEADLINE), text[:300]
        assert "|" not in markdown, markdown[:2000]
        # Column after column: each column's lines, in order, the first of each column after
        # the last of the one before.
        wanted = [line for col in cols for line in col]
        _in_order(text, wanted, int(0.9 * len(wanted)))


def _photographed() -> Image.Image:
    """A page of 30 clauses photographed at an angle (a perspective warp: the lower lines
    slope more and more), as a phone sends it."""
    img = Image.new("L", (2000, 2600), 255)
    d = ImageDraw.Draw(img)
    for k in range(30):
        text = f"Clause {k}: the tenant shall keep the premises in good repair."
        d.text((160, 150 + 75 * k), text, font=font(38), fill=0)
    coeffs = (1.0, -0.08, 80, 0.02, 0.95, 40, 0.00004, 0.00002)
    return img.transform(
        img.size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC, fillcolor=200
    )


def _slide() -> Image.Image:
    """A 1920 x 1080 slide: white title on a dark blue bar, four bulleted lines."""
    img = Image.new("RGB", (1920, 1080), "white")
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 1920, 180), fill=(20, 60, 140))
    d.text((80, 50), "Quarterly Results 2026", font=font(72), fill="white")
    for k, t in enumerate(SLIDE_POINTS):
        d.ellipse((90, 280 + 150 * k, 112, 302 + 150 * k), fill=(20, 60, 140))
        d.text((140, 260 + 150 * k), t, font=font(52), fill=(40, 40, 40))
    return _grain(img, 0.04, 2)


SLIDE_POINTS = [
    "Revenue grew 14 percent year over year",
    "Operating margin reached 22 percent",
    "Three new regions opened in Europe",
    "Headcount stable at 1,240 people",
]

CODE = PY_LISTING


def _dark_editor() -> Image.Image:
    """A 1600 x 900 dark-mode editor: grey line numbers and light code on a near-black
    ground."""
    img = Image.new("RGB", (1600, 900), (30, 30, 30))
    d = ImageDraw.Draw(img)
    mono = font(20, "DejaVuSansMono.ttf")
    for k, line in enumerate(CODE):
        d.text((60, 40 + 34 * k), f"{k + 1:>3}", font=mono, fill=(120, 120, 120))
        d.text((130, 40 + 34 * k), line, font=mono, fill=(212, 212, 212))
    return _grain(img, 0.06, 3)


def test_photos_slides_and_dark_editors(gateway: GatewayProcess) -> None:
    docs = [
        encode(_photographed(), "JPEG"),
        encode(_slide(), "PNG"),
        encode(_dark_editor(), "PNG"),
    ]
    photo, slide, editor = (_flat(m) for m in read_all(gateway, docs))
    # The lower lines, sloping more and more, were dropped by Tesseract (clauses 23-28).
    clauses = [f"Clause {k}:" for k in range(30)]
    _in_order(photo, clauses, 27)
    # The title on its bar once, not "Quarterly Results 2026) Results 2026" (the bar's edge
    # read as a second line over the first), then the points.
    assert slide.count("Results 2026") == 1, slide
    _in_order(slide, ["Quarterly Results 2026", *SLIDE_POINTS], 5)
    # Light on dark is read inverted: the line numbers stand before their lines (the column
    # of numbers came back as "OIRDRHTRWNPH"); blank line 6 has nothing after it.
    squeezed = editor.replace(" ", "")
    numbered = [f"{k + 1}{line.replace(' ', '')}" for k, line in enumerate(CODE) if line]
    assert sum(n in squeezed for n in numbered) >= 8, editor
    _in_order(squeezed, [n for n in numbered if n in squeezed], 8)


DECK = ["How The Pool Works", "Limits And Queues", "Scaling Out"]
DECK_POINTS = [
    "Requests above the pool size wait in a bounded queue",
    "Each worker reads one page at a time",
    "A page that times out gets a clear error",
    "Uploads beyond the limit spool to disk",
    "Replicas share their state in Redis",
]


def _small_slide(title: str, seed: int) -> Image.Image:
    """A slide as a 1280 x 720 screenshot: its white title on a navy bar, five bulleted points,
    a small grey footer."""
    img = Image.new("RGB", (1280, 720), "white")
    d = ImageDraw.Draw(img)
    d.rectangle((66, 66, 1214, 180), fill=(30, 58, 95))
    d.text((106, 100), title, font=font(40, "DejaVuSans-Bold.ttf"), fill="white")
    for k, point in enumerate(DECK_POINTS):
        d.ellipse((124, 240 + 43 * k, 132, 248 + 43 * k), fill=0)
        d.text((146, 228 + 43 * k), point, font=font(27), fill=0)
    d.text((1028, 625), f"Confidential - page {seed}", font=font(15), fill=(136, 136, 136))
    return _grain(img, 0.04, seed)


def test_small_slides_keep_their_titles_on_a_dark_bar_and_their_grey_footers(
    gateway: GatewayProcess,
) -> None:
    # The bar makes the page look unevenly lit, so it is also read flattened, and the
    # flattened copy (which won on its footer) had lost the title with the bar: every title
    # was missing, where a 1920 x 1080 slide kept its own. Three slides on two workers.
    docs = [encode(_small_slide(title, k + 4), "PNG") for k, title in enumerate(DECK)]
    for k, markdown in enumerate(read_all(gateway, docs)):
        text = _flat(markdown)
        assert text.startswith(DECK[k]), markdown
        _in_order(text, [DECK[k], *DECK_POINTS, f"Confidential - page {k + 4}"], 7)


ARTICLE = (
    "The committee reviewed the annual accounts and found them in good order. The treasurer "
    "reported that income from membership fees rose by twelve percent, while spending on the "
    "new premises stayed within the agreed budget. "
)
RELATED = ["Related articles", "How batches work", "Caching OCR results", "Budgets per tenant"]


def _web_page() -> tuple[Image.Image, list[str]]:
    """A 1440 x 2000 screenshot of a web page: a menu bar, a heading, an article in 20 px
    lines 32 px apart, and beside it a boxed list of related articles 50 px apart (level with
    an article line now and then)."""
    img = Image.new("RGB", (1440, 2000), "white")
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 1440, 70), fill=(245, 245, 245))
    for k, item in enumerate(["Home", "Products", "Pricing", "Docs", "Blog", "Sign in"]):
        d.text((40 + 150 * k, 22), item, font=font(22), fill=(30, 30, 30))
    d.text((40, 120), "Gateway pricing explained", font=font(48), fill=(10, 10, 10))
    lines = _wrap((ARTICLE * 4).split(), 860, 20)
    for k, text in enumerate(lines):
        d.text((40, 210 + 32 * k), text, font=font(20), fill=(50, 50, 50))
    d.rectangle((960, 200, 1400, 700), outline=(200, 200, 200), width=2)
    for k, item in enumerate(RELATED):
        d.text((980, 220 + 50 * k), item, font=font(24 if k == 0 else 20), fill=(13, 110, 253))
    return _grain(img, 0.05, 4), lines


def _fax(pages: int) -> bytes:
    """A multi-page fax in standard mode: group 3 TIFF at 204 x 98 DPI (pixels twice as tall
    as wide, so glyphs come out squashed to half height)."""
    frames = []
    for p in range(pages):
        img = Image.new("L", (1728, 2200), 255)
        d = ImageDraw.Draw(img)
        lines = _wrap((f"Page {p + 1}. " + ARTICLE * 5).split(), 1500, 30)
        for k, text in enumerate(lines):
            d.text((100, 100 + 50 * k), text, font=font(30), fill=0)
        frames.append(img.resize((1728, 1100)).point(lambda v: 0 if v < 140 else 255).convert("1"))
    buf = io.BytesIO()
    frames[0].save(
        buf,
        format="TIFF",
        compression="group3",
        dpi=(204, 98),
        save_all=True,
        append_images=frames[1:],
    )
    return buf.getvalue()


def test_web_page_sidebars_and_faxes(gateway: GatewayProcess) -> None:
    web, article = _web_page()
    fax = _fax(5)
    assert 100_000 <= len(fax) <= 5_000_000, len(fax)
    (page,) = read_all(gateway, [encode(web, "PNG")])
    text = _flat(page)
    # The article whole, then the sidebar: Tesseract's blocks kept them apart, and reading the
    # few rows where both stand side by side "stack by stack" put "How batches work" and
    # "Caching OCR results" in the middle of the article's paragraph.
    _in_order(text, ["Gateway pricing explained", *article, *RELATED], len(article) + 5)
    url = "data:image/tiff;base64," + base64.b64encode(fax).decode()
    body = {"model": "local", "document": {"type": "image_url", "image_url": url}}
    r = httpx.post(f"{gateway.url}/v1/ocr", json=body, timeout=300)
    assert r.status_code == 200, r.text
    pages = r.json()["pages"]
    assert len(pages) == 5
    for k, p in enumerate(pages):
        # Read at square pixels: 204 DPI both ways, the page 204/98 times as tall as sent.
        want = (204, round(1100 * 204 / 98))
        assert (p["dimensions"]["dpi"], p["dimensions"]["height"]) == want, p["dimensions"]
        words = re.findall(r"[a-z]+", p["markdown"].lower())
        want = re.findall(r"[a-z]+", (ARTICLE * 5).lower())
        assert f"page {k + 1}" in p["markdown"].lower(), p["markdown"][:200]
        same = SequenceMatcher(None, words, want, autojunk=False).get_matching_blocks()
        assert sum(m.size for m in same) >= 0.97 * len(want), p["markdown"]


PAPER = (
    "We study the throughput of an OCR gateway under load. Pages arrive at random and are "
    "served by a pool of workers, each of which reads one page at a time. "
)
SETTINGS = [
    ("Setting", "Default", "Description"),
    (
        "timeout",
        "30 s",
        "How long the gateway waits for an upstream before it gives up and answers 504.",
    ),
    ("retries", "2", "How many times a failed upstream call is tried again, with backoff."),
    (
        "max_pages",
        "1000",
        "The largest number of pages a single document may have before the gateway refuses it "
        "with an error.",
    ),
]


def _justified(draw: ImageDraw.ImageDraw, x: int, y: int, text: str, width: int) -> None:
    face = font(30)
    words = text.split()
    gap = (width - sum(face.getlength(w) for w in words)) / max(1, len(words) - 1)
    for w in words:
        draw.text((x, y), w, font=face, fill=0)
        x += round(face.getlength(w) + gap)


def _paper() -> tuple[Image.Image, list[str]]:
    """A US-letter page at 300 DPI: a title, then two justified columns of 30 px text whose
    lines often start with the word "a"; below them a ruled table whose description cells
    wrap, the last row's too."""
    img = Image.new("L", (2550, 3300), 255)
    d = ImageDraw.Draw(img)
    d.text((400, 150), "Measuring an OCR Gateway Under Load", font=font(64), fill=0)
    lines = _wrap((PAPER * 9).split(), 1050, 30)[:40]
    for c in range(2):
        for k, text in enumerate(lines):
            x, y = 150 + c * 1150, 350 + 44 * k
            if k == len(lines) - 1:
                d.text((x, y), text, font=font(30), fill=0)
            else:
                _justified(d, x, y, text, 1050)
    y = 2250
    for cells in SETTINGS:
        wrapped = _wrap(cells[2].split(), 1300, 34)
        for k, text in enumerate([cells[0], cells[1]]):
            d.text((150 + 500 * k, y), text, font=font(34), fill=0)
        for k, text in enumerate(wrapped):
            d.text((1000, y + 50 * k), text, font=font(34), fill=0)
        y += 50 * len(wrapped) + 40
        d.line((140, y - 22, 2400, y - 22), fill=0, width=2)
    return img, lines


def test_a_justified_paper_and_a_table_whose_cells_wrap(gateway: GatewayProcess) -> None:
    page, lines = _paper()
    body = {
        "model": "local",
        "table_format": "markdown",
        "document": {
            "type": "image_url",
            "image_url": "data:image/png;base64,"
            + base64.b64encode(encode(page, "PNG")[1]).decode(),
        },
    }
    r = httpx.post(f"{gateway.url}/v1/ocr", json=body, timeout=300)
    assert r.status_code == 200, r.text
    out = r.json()["pages"][0]
    text = _flat(out["markdown"])
    # Lines starting with the word "a" keep it ("• time." before), both columns in order.
    assert "•" not in text, text
    _in_order(text, lines + lines, int(0.95 * 2 * len(lines)))
    # The last row's wrapped description stays in its cell's column, inside the table.
    (table,) = out["tables"]
    assert "with an error." in table["content"], table
    assert "with an error." not in text, text
    # Below both columns, after the second.
    assert text.endswith("[tbl-0.md](tbl-0.md)"), text[-300:]


PANEL_ROWS = [("Paper A4 80g", "20", "90.00"), ("Toner cartridge", "2", "122.00")]


def _dark_dashboard() -> Image.Image:
    """A 1920 x 1080 dark-mode dashboard: a sidebar, a heading, a mid-blue banner holding
    white text, notes in grey. Inverted before reading, the banner is a grey panel holding
    black text, which the page's threshold blacked out whole."""
    img = Image.new("RGB", (1920, 1080), (30, 30, 36))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 300, 1080), fill=(45, 45, 55))
    for k, item in enumerate(["Dashboard", "Projects", "Invoices", "Customers", "Settings"]):
        d.text((30, 90 + 50 * k), item, font=font(18), fill=(200, 200, 210))
    d.text((360, 50), "Invoice INV-2024-0193 overview", font=font(28), fill=(240, 240, 240))
    d.rectangle((360, 110, 1860, 180), fill=(40, 110, 200))
    d.text((385, 132), "Payment received from Northwind Traders", font=font(20), fill="white")
    notes = _wrap((ARTICLE * 2).split(), 1400, 18)
    for k, text in enumerate(notes):
        d.text((385, 260 + 34 * k), text, font=font(18), fill=(170, 170, 180))
    return _grain(img, 0.05, 7)


def _report_with_panels() -> tuple[Image.Image, list[str]]:
    """An A4 page at 200 DPI: paragraphs, a teal callout holding black text, and a table whose
    header row is shaded mid-grey behind black text (both darker than the page's threshold)."""
    img = Image.new("RGB", (1654, 2339), "white")
    d = ImageDraw.Draw(img)
    body = _wrap((ARTICLE * 3).split(), 1350, 30)
    for k, text in enumerate(body):
        d.text((150, 150 + 48 * k), text, font=font(30), fill=(20, 20, 20))
    y = 200 + 48 * len(body)
    d.rectangle((140, y, 1510, y + 110), fill=(0, 128, 128))
    d.text((180, y + 35), "Note: prices exclude delivery to remote islands", font=font(30), fill=0)
    y += 200
    d.rectangle((140, y, 1510, y + 70), fill=(120, 120, 120))
    for c, head in zip((170, 900, 1250), ("Item", "Quantity", "Amount"), strict=True):
        d.text((c, y + 18), head, font=font(30), fill=0)
    for r, row in enumerate(PANEL_ROWS):
        for c, cell in zip((170, 900, 1250), row, strict=True):
            d.text((c, y + 100 + 60 * r), cell, font=font(30), fill=(20, 20, 20))
    return _grain(img, 0.04, 8), body


def test_dark_text_on_mid_tone_panels_is_read(gateway: GatewayProcess) -> None:
    # A mid-tone panel under the page's threshold turned black whole with the text on it:
    # Tesseract saw a picture and the line was lost, with no doubt shown (panels.py). With
    # a redaction bar and a photograph's texture beside it (nothing to read there), and a
    # truncated PNG in the same batch.
    report, body = _report_with_panels()
    bare = Image.new("RGB", (1654, 1200), "white")
    d = ImageDraw.Draw(bare)
    for k, text in enumerate(body[:6]):
        d.text((150, 100 + 48 * k), text, font=font(30), fill=(20, 20, 20))
    d.rectangle((140, 500, 1510, 570), fill=0)
    bare.paste(noise((1370, 300), 60).point(lambda v: v // 2), (140, 650))
    docs = [
        encode(_dark_dashboard(), "PNG"),
        encode(report, "JPEG", quality=85),
        encode(_grain(bare, 0.04, 9), "PNG"),
    ]
    broken = encode(report, "PNG")
    with ThreadPoolExecutor(4) as ex:
        bad = ex.submit(post_ocr, gateway, (broken[0], broken[1][: len(broken[1]) // 2]))
        dashboard, page, redacted = (_flat(m) for m in read_all(gateway, docs))
        r = bad.result()
    assert r.status_code == 422 and r.json()["error"]["param"] == "document", r.text
    _in_order(
        dashboard,
        ["Invoice INV-2024-0193 overview", "Payment received from Northwind Traders", "reviewed"],
        3,
    )
    _in_order(page, [*body, "Note: prices exclude delivery to remote islands"], len(body) + 1)
    _in_order(page, ["Item", "Quantity", "Amount", "Paper A4 80g", "Toner cartridge"], 5)
    _in_order(redacted, body[:6], 6)


def _form() -> Image.Image:
    """An A4 form at 300 DPI: ruled fields one under another, a row of three options whose
    last stands far to the right, a signature line under them."""
    img = Image.new("L", (2480, 2000), 255)
    d = ImageDraw.Draw(img)
    d.text((150, 100), "Application for a library card", fill=0, font=font(60))
    for k, field in enumerate(["Full name", "Date of birth", "Street address", "Email"]):
        y = 300 + 130 * k
        d.text((150, y), f"{field}:", fill=0, font=font(40))
        d.line((600, y + 45, 2000, y + 45), fill=0, width=3)
    d.text((700, 305), "Maria Lopez", fill=0, font=font(40))
    for k, option in enumerate(["Adult", "Student", "Senior"]):
        x = 150 + 600 * k
        d.rectangle((x, 900, x + 45, 945), outline=0, width=4)
        if option == "Student":  # ticked with a cross
            d.line((x + 9, 909, x + 36, 936), fill=0, width=5)
            d.line((x + 36, 909, x + 9, 936), fill=0, width=5)
        d.text((x + 70, 900), option, fill=0, font=font(40))
    d.text((150, 1100), "Signature and date of the applicant", fill=0, font=font(40))
    return _grain(img, 0.05, 10)


def test_a_forms_options_are_read_in_their_row(gateway: GatewayProcess) -> None:
    # "Senior", level with the other options but alone on its side of them, was a block of
    # its own that Tesseract met after the signature line below (stacks.py); the boxes came
    # back as "[-]", "XX]" or nothing at all (checkboxes.py). As PNG and as JPEG, with a
    # truncated JPEG beside them.
    form = _form()
    docs = [encode(form, "PNG"), encode(form.convert("RGB"), "JPEG", quality=80)]
    cut = docs[1][1][: len(docs[1][1]) // 3]
    with ThreadPoolExecutor(3) as ex:
        bad = ex.submit(post_ocr, gateway, ("image/jpeg", cut))
        pages = [_flat(m) for m in read_all(gateway, docs)]
        r = bad.result()
    assert r.status_code == 422 and r.json()["error"]["param"] == "document", r.text
    for page in pages:
        _in_order(page, ["Full name: Maria Lopez", "Email", "Adult", "Student", "Senior"], 5)
        assert page.index("Senior") < page.index("Signature"), page
        _in_order(page, ["\u2610 Adult", "\u2612 Student", "\u2610 Senior"], 3)


CHECKLIST = [
    "Tag the release candidate",
    "Run the load test on staging",
    "Rotate the signing keys",
    "Announce the maintenance window",
    "Update the status page",
]
NOTE = (
    "Every step is done by the engineer on call, who signs it off in the release ticket "
    "before the next one starts; a step that fails stops the release until it is understood."
)
ADDRESS = ["Platform team", "42 Harbour Road", "Bristol BS1 4DJ"]


def _checklist() -> Image.Image:
    """A 1600 x 1000 screenshot of a document: a heading, a bulleted list at ordinary line
    spacing, a wrapped paragraph and a three-line address."""
    img = Image.new("RGB", (1600, 1000), (252, 252, 250))
    d = ImageDraw.Draw(img)
    d.text((80, 50), "Release checklist", font=font(44), fill=(20, 20, 20))
    body = font(28)
    y = 140
    for item in CHECKLIST:
        d.text((90, y), f"\u2022 {item}", font=body, fill=(30, 30, 30))
        y += 40
    y += 40
    for text in _wrap(NOTE.split(), 1400, 28):
        d.text((80, y), text, font=body, fill=(30, 30, 30))
        y += 40
    y += 40
    for text in ADDRESS:
        d.text((80, y), text, font=body, fill=(30, 30, 30))
        y += 40
    return _grain(img, 0.04, 7)


def test_list_items_and_short_lines_keep_their_breaks(gateway: GatewayProcess) -> None:
    # A bulleted list at ordinary spacing is one paragraph to Tesseract, and came back as one
    # run-on line ("• Tag ... • Run ... • Rotate ..."); an address as "Platform team 42
    # Harbour Road Bristol BS1 4DJ" (breaks.py, markdown.join_lines). Wrapped prose is still
    # joined into one line. As PNG, JPEG and TIFF, with a truncated PNG beside them: four
    # requests at once on a pool of two workers.
    shot = _checklist()
    docs = [
        encode(shot, "PNG"),
        encode(shot.convert("RGB"), "JPEG", quality=85),
        encode(shot.convert("L"), "TIFF"),
    ]
    cut = docs[0][1][: len(docs[0][1]) // 2]
    with ThreadPoolExecutor(1) as ex:
        bad = ex.submit(post_ocr, gateway, ("image/png", cut))
        pages = read_all(gateway, docs)
        r = bad.result()
    assert r.status_code == 422 and r.json()["error"]["param"] == "document", r.text
    for page in pages:
        lines = [ln.strip() for ln in page.splitlines()]
        for item in CHECKLIST:
            assert f"\u2022 {item}" in lines, page
        assert NOTE in lines, page
        # Three lines, whatever the JPEG does to a glyph ("4DJ" came back as "4D)" once).
        at = lines.index(ADDRESS[0])
        assert lines[at + 1] == ADDRESS[1] and lines[at + 2].startswith("Bristol BS1"), page


TENANCY = [
    f"Clause {k}: the {noun} shall be kept in good repair by the tenant at all times."
    for k, noun in enumerate(
        ["kitchen", "garden", "roof", "boiler", "hallway", "cellar", "garage", "attic"] * 4
    )
][:28]


def _sheet() -> Image.Image:
    """A letter page of 28 clauses at about 200 DPI, on slightly warm paper."""
    img = Image.new("RGB", (1700, 2200), (246, 244, 238))
    d = ImageDraw.Draw(img)
    d.text((150, 110), "Tenancy agreement", font=font(56), fill=(15, 15, 15))
    for k, text in enumerate(TENANCY):
        d.text((150, 240 + 66 * k), text, font=font(34), fill=(25, 25, 25))
    return img


def _on_a_table(sheet: Image.Image, corners: list[tuple[float, float]], seed: int) -> Image.Image:
    """``sheet`` photographed on a dark wooden table: its corners at ``corners`` of a 2400 x
    3000 frame (the camera not square to it), a lamp's light falling off across the frame,
    a camera's softness."""
    import numpy as np

    size = (2400, 3000)
    rng = np.random.default_rng(seed)
    grain = rng.normal(0, 16, (size[1] // 10, size[0] // 10))
    wood = np.clip(grain[..., None] + np.array([105, 78, 52]), 0, 255).astype("uint8")
    table = Image.fromarray(wood).resize(size, Image.Resampling.BILINEAR)
    w, h = sheet.size
    coeffs = paper.coefficients([(0, 0), (w, 0), (w, h), (0, h)], corners)
    warped = sheet.transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", sheet.size, 255).transform(size, Image.Transform.PERSPECTIVE, coeffs)
    photo = Image.composite(warped, table, mask)
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    light = 1.0 - 0.35 * np.hypot(xx - 300, yy - 200) / np.hypot(*size)
    lit = np.asarray(photo).astype(float) * light[..., None]
    return Image.fromarray(np.clip(lit, 0, 255).astype("uint8")).filter(
        ImageFilter.GaussianBlur(0.8)
    )


def test_a_phone_photo_of_a_sheet_on_a_table_is_cropped_and_flattened(
    gateway: GatewayProcess,
) -> None:
    # The table's grain read as rows of garbage ("ee ee Oe ee mintin inti te") and the
    # keystoned page's lower lines were lost (paper.py). Two photos as JPEG and one as PNG
    # (the sheet turned a quarter on the table), with a truncated JPEG beside them: four
    # requests at once on a pool of two workers.
    sheet = _sheet()
    photos = [
        _on_a_table(sheet, [(330, 290), (2080, 210), (2150, 2760), (250, 2660)], 1),
        _on_a_table(sheet, [(420, 380), (1990, 330), (2210, 2840), (200, 2790)], 2),
        # Turned a quarter on the table: the warped page reads sideways and is turned.
        _on_a_table(
            sheet.rotate(90, expand=True), [(180, 680), (2260, 620), (2300, 2330), (140, 2380)], 3
        ),
    ]
    docs = [encode(photos[0], "JPEG", 85), encode(photos[1], "JPEG", 85), encode(photos[2], "PNG")]
    cut = docs[0][1][: len(docs[0][1]) // 3]
    with ThreadPoolExecutor(4) as ex:
        answers = list(ex.map(lambda d: post_ocr(gateway, d), [*docs, ("image/jpeg", cut)]))
    bad = answers.pop()
    assert bad.status_code == 422 and bad.json()["error"]["param"] == "document", bad.text
    vocabulary = set(" ".join(["Tenancy agreement", *TENANCY]).split())
    for k, r in enumerate(answers):
        assert r.status_code == 200, r.text
        page = r.json()["pages"][0]
        assert page["reading"]["flattened"] is True, page["reading"]
        assert page["reading"]["rotation"] == (270 if k == 2 else 0), page["reading"]
        text = _flat(page["markdown"])
        _in_order(text, [f"Clause {k}: the" for k in range(len(TENANCY))], 27)
        stray = [w for w in text.split() if w.strip("*#") not in vocabulary]
        assert len(stray) <= 3, stray


def _noisy_fax(dpi: tuple[int, int], seed: int) -> tuple[Image.Image, str]:
    """One fax page at ``dpi`` (fine mode 204 x 196, standard 204 x 98) as a line sends it:
    one-bit, with about 0.4 % of its white pixels turned black at random (line noise, dust on
    the scanner's glass), and its text."""
    text = (PAPER + ARTICLE) * 3
    img = Image.new("L", (1728, 2200), 255)
    d = ImageDraw.Draw(img)
    lines = _wrap(text.split(), 1500, 28)
    for k, line in enumerate(lines):
        d.text((100, 100 + 48 * k), line, font=font(28), fill=0)
    img = img.resize((1728, round(2200 * dpi[1] / 196))).point(lambda v: 0 if v < 140 else 255)
    noise = Image.frombytes("L", img.size, random.Random(seed).randbytes(img.width * img.height))
    specks = noise.point(lambda v: 255 if v == 0 else 0)  # 1 in 256 pixels
    return ImageChops.subtract(img, specks).convert("1"), " ".join(lines)


def _stray_marks(markdown: str) -> int:
    # Periods, commas, colons, quotes (straight and curly) and the like.
    return len(re.findall("[.,:;'`\"~\u2018\u2019]", markdown))


def test_faxes_with_line_noise_read_without_stray_marks(gateway: GatewayProcess) -> None:
    """A fax's noise pixels were read as periods, commas and quotes beside the words
    ("compressing... Has.no"), and a fax sent as PDF (the usual way one arrives) read worse
    than the same page as a TIFF: the renderer blurs each noise pixel into a grey dot. Three-page
    faxes in fine and standard mode as TIFF, and in fine mode as a PDF of CCITT images, all at
    once. The fine-mode TIFF's last page was fed in upside down: its lines' shape says so
    (Otsu's level on a one-bit page once hid every line from that check). Its one-bit pages
    are read softened; the standard-mode ones, squared, and the PDF's, rendered, have grey
    edges already."""
    docs = []
    wanted = []
    for k, (dpi, fmt) in enumerate(
        (((204, 196), "TIFF"), ((204, 98), "TIFF"), ((204, 196), "PDF"))
    ):
        pages = [_noisy_fax(dpi, 3 * k + p) for p in range(3)]
        if k == 0:
            pages[2] = (pages[2][0].rotate(180), pages[2][1])
        buf = io.BytesIO()
        # Group 3 (one-dimensional) in standard mode, as older machines send it; group 4 in fine.
        extra = {"compression": "group3" if dpi[1] < 196 else "group4"} if fmt == "TIFF" else {}
        first, *rest = (img for img, _ in pages)
        first.save(buf, format=fmt, dpi=dpi, save_all=True, append_images=rest, **extra)
        data = buf.getvalue()
        assert 100_000 <= len(data) <= 5_000_000, len(data)
        kind = "image_url" if fmt == "TIFF" else "document_url"
        media = "image/tiff" if fmt == "TIFF" else "application/pdf"
        url = f"data:{media};base64," + base64.b64encode(data).decode()
        docs.append({"model": "local", "document": {"type": kind, kind: url}})
        wanted.append([text for _, text in pages])

    softened: list[list[bool]] = []
    rereads: list[int] = []

    def post(body: dict[str, object]) -> list[str]:
        r = httpx.post(f"{gateway.url}/v1/ocr", json=body, timeout=300)
        assert r.status_code == 200, r.text
        softened.append([p["reading"]["softened"] for p in r.json()["pages"]])
        rereads.extend(p["reading"]["reread"] for p in r.json()["pages"])
        return [str(p["markdown"]) for p in r.json()["pages"]]

    # Hostile beside them: the fine-mode TIFF cut off mid-stream, its page data missing.
    first_url = docs[0]["document"]["image_url"]
    cut = base64.b64decode(first_url.split(",", 1)[1])[:30_000]
    broken = "data:image/tiff;base64," + base64.b64encode(cut).decode()

    def post_broken() -> httpx.Response:
        body = {"model": "local", "document": {"type": "image_url", "image_url": broken}}
        return httpx.post(f"{gateway.url}/v1/ocr", json=body, timeout=300)

    with ThreadPoolExecutor(len(docs) + 1) as ex:
        refused = ex.submit(post_broken)
        read = list(ex.map(post, docs))
        bad = refused.result()
    assert sorted(softened) == [[False] * 3, [False] * 3, [True] * 3], softened
    # Each page says how many of its doubtful stretches the recogniser read again (``auto``,
    # the default): the line noise leaves some on these pages.
    assert all(isinstance(n, int) and n >= 0 for n in rereads) and sum(rereads) > 0, rereads
    assert bad.status_code == 422, bad.text
    assert bad.json()["error"]["param"] == "document", bad.text
    for pages, texts in zip(read, wanted, strict=True):
        assert len(pages) == len(texts)
        for markdown, text in zip(pages, texts, strict=True):
            # Words counted as a bag: the text repeats, which SequenceMatcher aligns badly.
            words = Counter(re.findall(r"[a-z]+", markdown.lower()))
            want = Counter(re.findall(r"[a-z]+", text.lower()))
            assert (words & want).total() >= 0.97 * want.total(), markdown
            assert _stray_marks(markdown) <= _stray_marks(text) + 5, markdown
