"""Recognise one page image: which engine, which second chances, which reading to keep.

* ``tesseract`` / ``auto``: a scanner streak through the text filled in first
  (:mod:`.streaks`), then Tesseract words with boxes (small text read from a copy enlarged so
  its lines are about :data:`~.textsize.TARGET` px tall, large crisp text from one shrunk
  towards it, boxes mapped back), lost bullets put back (:mod:`.strays`), then the layout pass.
  A page whose lines run vertically (:func:`~.orientation.sideways`) is turned first, as its
  lines' shape (:func:`~.orientation.sideways_turn`) or else OSD says, a skewed one levelled
  (:mod:`.deskew`), a levelled page upside down turned over
  (:func:`~.orientation.upside_down`). A page whose glyph edges are soft
  (:func:`~.textsize.crisp` fails) is read from a sharpened copy (``sharpen``), or as it is
  when that reading is doubtful and the plain one surer; a bilevel one from a softened copy. A
  grainy page (:func:`~.preprocess.grainy`) is cleaned before its first reading (shrunk if its
  text is large). A doubtful reading (mean confidence under ``osd_below_confidence``, or no
  text) is retried turned upright (OSD, unless the page's lines surely run across it and stand
  upright by their shape); a grainy or empty one also through the clean-up ladder
  (:mod:`.preprocess`); with ``auto`` and RapidOCR installed, a page still doubtful after that
  is read by RapidOCR, whose detector copes with backgrounds Tesseract's binarisation cannot.
  The most confident non-empty reading wins; a column of line numbers it read sideways is read
  row by row (:mod:`.glyphcolumns`), one of amounts' first digits again with its rows
  (:mod:`.amounts`); with ``auto``, its doubtful words and glyphs lost at its lines' ends are
  read again by RapidOCR's recogniser (:mod:`.reread`; a cleaned page's from the page before
  its clean-up), and lines it dropped are found as ink no word covers and read too
  (:mod:`.orphans`); words read out of a drawing's line work are dropped (:mod:`.figures`);
  rows of hyphens are counted (:mod:`.hyphens`). A page whose paper is lit unevenly
  (:func:`~.preprocess.uneven`) is read a second time flattened, and the reading with more
  confident text kept.
* ``rapidocr``: RapidOCR alone (after an OSD rotation check), lines grouped by gaps; no layout.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from PIL import Image, ImageOps

from . import (
    borders,
    bullets,
    creases,
    deskew,
    fastops,
    merge,
    orientation,
    panels,
    paper,
    preprocess,
    streaks,
    textsize,
)
from .finish import finish
from .geometry import body_height
from .layout import Item, Paragraph
from .options import EngineOptions
from .reading import Reading

__all__ = ("Reading", "read_image")

Touch = Literal["", "sharpen", "soften"]  # what Tesseract's copy gets done to its glyph edges

RAPID_MIN_SCORE = 0.8
"""``auto`` keeps RapidOCR's reading of a doubtful page only if its mean line score is this high."""

SURE = 50.0
"""Word confidence (0-100) from which a word counts towards a reading's weight (:func:`_weight`)."""


def _tesseract(
    img: Image.Image, dpi: int, opts: EngineOptions, rotation: int = 0, edges: Touch = ""
) -> Reading:
    """Tesseract's reading of ``img``; ``edges``: of a ``"sharpen"``-ed copy (soft glyph
    edges) or a ``"soften"``-ed one (a bilevel page's staircase edges)."""
    from . import tesseract

    # Measured once: the scale and, on an untagged page, the resolution Tesseract is told.
    measure = opts.rescale != "off" or opts.dpi_assumed
    height = textsize.text_height(img) if measure else None
    scale = 1.0 if opts.rescale == "off" else textsize.scale_for(img, height)
    if scale < 1.0 and opts.rescale != "both":
        scale = 1.0
    size, seen = img.size, img
    if scale != 1.0:
        # Read a resized copy; its boxes are mapped back, so everything after (layout, bullets,
        # re-reading crops, line height) works on the page as given.
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        # Bilinear both ways. Bicubic enlarging read tune 150 DPI pages with fewer edits (218
        # to 197) but report ones worse (median CER 0.012 to 0.017): not kept.
        seen = img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    if edges == "soften":
        seen = preprocess.soften(seen)
    elif edges == "sharpen":
        # After enlarging, whose interpolation softens edges too: tune split, 150 DPI pages
        # 332 -> 296 edits (sharpened before enlarging: 387). Only Tesseract sees the sharpened
        # copy; RapidOCR's re-reading crops come from the page as given.
        seen = preprocess.sharpen(seen)
    told = max(1, round(dpi * scale))
    if opts.dpi_assumed and height:
        told = textsize.told_dpi(told, height * size[0] / img.width)
    lines, conf = tesseract.read_lines(seen, told, opts.languages)
    if seen.size != img.size:
        lines = [ln.scaled(img.width / size[0], img.height / size[1]) for ln in lines]
    bullets.restore(lines, img)
    # No layout pass yet: only the reading kept is laid out, once (:func:`.finish.finish`), not each
    # second chance's (30 ms a page, 2 % of the gateway's time on tune born-digital pages).
    return Reading(
        [],
        "tesseract",
        conf,
        rotation,
        body_height(lines),
        scale=round(size[0] / img.width, 3),
        sharpened=edges == "sharpen",
        softened=edges == "soften",
        source=[(img, lines)],
    )


def _osd(img: Image.Image, dpi: int, opts: EngineOptions) -> tuple[int, bool]:
    from . import tesseract

    return tesseract.osd(img, dpi, opts.osd_min_confidence)


def _rank(r: Reading) -> tuple[bool, float]:
    return r.has_text, r.conf


def read_image(img: Image.Image, dpi: int, opts: EngineOptions, grain: bool = False) -> Reading:
    """Read a grayscale page image at ``dpi`` (see the module docstring for the engines);
    ``grain``: the page is known to be grainy (a PDF's scan, judged on its own pixels before
    the renderer smoothed them: :mod:`.scans`), whatever it measures now."""
    if preprocess.blank(img):
        return Reading([], "rapidocr" if opts.engine == "rapidocr" else "tesseract", 0.0)
    # First of all: the surface around a photographed sheet would read as rows of garbage, and
    # could make the whole image look like dark paper.
    sheet = paper.find(img) if opts.deskew else None
    if sheet is not None:
        # A photo is lit from one side as a rule: its paper evened out to white at once (a
        # page whose text lay in the darker half was read at confidence 40, upside down,
        # OSD finding nothing to turn; tune photos 1472 to 1460 edits).
        sheet_img = preprocess.flatten(paper.flatten(img, sheet))
        return replace(_read_image(sheet_img, dpi, opts, grain), flattened=True)
    return _read_image(img, dpi, opts, grain)


def _read_image(img: Image.Image, dpi: int, opts: EngineOptions, grain: bool) -> Reading:
    if opts.engine == "rapidocr":
        return _rapid(img, dpi, opts)
    # First, a scanner's black border: every level measured on the page, and Tesseract's own
    # threshold, would count it as ink.
    img = borders.clear(img, dpi)
    # A folded sheet's creases, grey lines across it, read as ink where they cross a line.
    img = creases.clear(img, dpi)
    # Before anything measures the page: a streak is vertical in the scanner's frame, whatever
    # the page's skew, and would read as a column rule or a sideways line of text.
    if preprocess.dark_paper(img):
        img = ImageOps.invert(img)  # boxes are the same either way
    found = streaks.find(img)
    # A ruled table's rules touch its cells' text and pass for streaks: a reading keeps the
    # page with them, turned and levelled alike, for its grids (:mod:`.lattice`).
    unfilled = img if found.streaks else None
    img = streaks.fill(img, found.streaks)
    grain = grain or preprocess.grainy(img)
    r = _upright(img, dpi, opts, found.rules, grain, unfilled)
    # A grainy page is not flattened: its flattened copy no longer measured as grainy and was
    # read raw, grain and all (a bar chart's black bars made the page "uneven"; Tesseract
    # read for minutes, past the pool's task timeout). The clean-up ladder flattens it.
    if not grain and preprocess.uneven(img):
        # Lit unevenly (a lamp, a shadow), where one global threshold blacks out the dark part
        # while the rest reads with confidence; or a dark panel (a sidebar, a table's header
        # row) the same test cannot tell from a shadow, and that flattening spoils. Both are
        # read; the reading with more confident text is kept.
        flat_img = preprocess.flatten(img)
        flat = _upright(flat_img, dpi, opts, found.rules, preprocess.grainy(flat_img))
        # Each copy may hold lines the other lost (a title on a dark bar, flattened away; a
        # faint footer the page as it is lost): the kept reading takes the other's there.
        if _weight(flat) > _weight(r):
            if merge.comparable(flat, r):
                # Text on a dark panel is read from the panel alone (:mod:`.panels`), as the
                # kept reading's own would be, before its panels were flattened away; only
                # where its lines can be put in.
                panels.recover(*r.source[0], dpi, opts.languages, r.scale)
            r = merge.add_missing(flat, r)
        else:
            r = merge.add_missing(r, flat)
    return finish(r, opts, dpi)


def _weight(r: Reading) -> float:
    """How much text a reading found: the characters of its words Tesseract is at least
    :data:`SURE` of (of RapidOCR's reading, its characters times its mean confidence). A
    spoiled region loses its words outright; a mean confidence would hide them. Taken before
    the re-reading, so both readings are weighed alike."""
    if r.source:
        return sum(
            len(w.text) for _, lines in r.source for ln in lines for w in ln.words if w.conf >= SURE
        )
    chars = sum(
        len(text)
        for item in r.items
        for text in (item.lines if isinstance(item, Paragraph) else sum(item.rows, ()))
    )
    return chars * r.conf / 100


def _upright(
    img: Image.Image,
    dpi: int,
    opts: EngineOptions,
    rules: list[streaks.Box],
    grain: bool,
    unfilled: Image.Image | None = None,
) -> Reading:
    """:func:`read_image` from the page turned and levelled on: Tesseract's reading with its
    second chances, before RapidOCR's re-reading (which only the kept reading pays for).
    ``rules``: the page's vertical rules (:mod:`.streaks`), erased for OSD and the reading
    but not for the check for a sideways page, whose clearest sign they can be. ``grain``:
    whether the page is grainy, judged before it is levelled here: the levelling's
    interpolation averages grain away enough that the levelled page no longer measured
    grainy, though it still was to Tesseract (15 grainy pages set askew by 0.8-2.5 degrees
    were all read raw, then through the clean-up ladder as pages read empty: 20 s a page)."""
    turn = 0
    direction = orientation.line_direction(img) if opts.detect_orientation else 1.0
    side = opts.detect_orientation and orientation.sideways(img, direction)
    if side:
        # Vertical lines of text: ask OSD which way before reading, not after a wasted
        # reading (grain would read as glyphs in any orientation: OSD sees the cleaned page).
        seen = preprocess.LADDER[0][1](img) if grain else streaks.fill(img, rules)
        turn = orientation.sideways_turn(seen, opts.languages) or _osd(seen, dpi, opts)[0]
        if turn:
            img = img.rotate(turn, expand=True)
            unfilled = None if unfilled is None else unfilled.rotate(turn, expand=True)
    angle = skew = 0.0
    if opts.deskew:
        img, angle, skew = deskew.level(img)
        if unfilled is not None and angle:
            unfilled = fastops.rotate(unfilled, angle)
    judged = None
    if opts.detect_orientation and not turn:
        judged = orientation.upright_turn(img, opts.languages)
    if judged == 180:
        # Levelled first: a skewed page's line profiles blur. One reading instead of a
        # reading found doubtful, OSD, and a second reading.
        img, turn = img.rotate(180), 180
        unfilled = None if unfilled is None else unfilled.rotate(180)
    # Turned or levelled, the page's rules are elsewhere: found again.
    ruled = img if unfilled is None else unfilled
    img = streaks.erase(img) if turn or angle else streaks.fill(img, rules)
    glyphs = textsize.edges(img)
    crisp = glyphs.crisp
    # A bilevel page (a fax, a 1-bit scan) has no edges to steepen and no grey to resample
    # into: sharpened, or enlarged into blocky glyphs, it read no better at up to twice the
    # time (tune faxes: engine history, twenty-third round). It is read softened instead.
    bilevel = glyphs.bilevel
    tidied = opts.rescale
    if opts.rescale == "auto":
        # Shrink large text only where its glyphs are crisp and were never resampled here:
        # a levelled page has been through one interpolation already, and a blurred or
        # grainy one needs every pixel it has (bench/ocr_quality.py, report split).
        auto = "off" if bilevel else "both" if crisp and not angle else "enlarge"
        # A clean-up (preprocess.LADDER) is a threshold of a smoothed page: hard, jagged
        # edges, which a shrunk copy's interpolation evens out. Tune grainy pages: 1214 to
        # 1169 edits, at 10 % less time.
        tidied = "off" if bilevel else "both"
        opts = replace(opts, rescale=auto)
    # Soft edges (a scan, a JPEG, 150 DPI, a levelled page): Tesseract reads a sharpened copy.
    touch: Touch = "" if not opts.sharpen else "soften" if bilevel else "" if crisp else "sharpen"
    # Lines surely across the page that stand upright by their shape (or were set so): OSD,
    # asked about such a page, was never right in the tune split when it found a turn (6 of
    # 250 pages, each turned claim a wasted reading) and costs 0.3-0.5 s a doubtful page.
    # Lines merely not found vertical may be vertical text the strips profile as upright.
    upright = judged is not None and direction >= orientation.ACROSS
    r = replace(
        _read(img, dpi, opts, touch, upright, tidied, grain), levelled=angle, ruled=ruled, skew=skew
    )
    return replace(r, rotation=(r.rotation + turn) % 360) if turn else r


def _read(
    img: Image.Image,
    dpi: int,
    opts: EngineOptions,
    touch: Touch = "",
    upright: bool = False,
    tidied: str = "",
    grain: bool = False,
) -> Reading:
    """Tesseract with second chances (the module docstring), on a page as it is given;
    ``touch``: its first reading's ``edges`` (:func:`_tesseract`); ``upright``: its lines run
    across it and stand upright (:func:`~.orientation.upright_turn`), so OSD is not asked;
    ``tidied``: the ``rescale`` for its clean-ups (default: the page's); ``grain``: whether
    the page is grainy (:func:`~.preprocess.grainy`), as judged before it was levelled."""
    tidy = replace(opts, rescale=tidied or opts.rescale)

    def doubtful(r: Reading) -> bool:
        return not r.has_text or r.conf < opts.osd_below_confidence

    settled = upright

    def rotation(page: Image.Image) -> int:
        # Once OSD is sure a clean-up of the page is upright, a cleaner one is not asked
        # again: 0.4-0.5 s a question (tune grainy pages: 11 questions, none found a turn).
        nonlocal settled
        if settled:
            return 0
        turn, sure = _osd(page, dpi, opts)
        settled = sure and not turn
        return turn

    ladder = list(preprocess.LADDER)
    base = img
    if grain:
        # A textured background: Tesseract reads grain for seconds and finds nothing, so the
        # first clean-up replaces the raw reading (bench/ocr_quality.py, category "noisy").
        name, clean = ladder.pop(0)
        # Grain hid the page's rules from streaks.find; its clean-up shows them (a listing's
        # frame read into its line numbers): gone from both, the grey page being re-read.
        base, img = streaks.erase_both(clean(img), img, dpi)
        r = _tesseract(base, dpi, tidy)
        best = replace(r, rotation=0, cleanup=name, uncleaned=img)
    else:
        best = _tesseract(img, dpi, opts, edges=touch)
        if touch == "sharpen" and doubtful(best):
            # Sharpening also amplifies grain in the ink (grey, noisy print), where it reads
            # worse and less surely: a doubtful sharpened reading is checked against the page
            # as it is, and the surer one kept.
            best = max(best, _tesseract(img, dpi, opts), key=_rank)
    if not doubtful(best):
        return best
    page, rot = img, 0
    # OSD on a page where Tesseract found no text at all guesses (grain reads as glyphs in
    # any orientation): such pages are cleaned first and checked for rotation afterwards.
    if best.has_text and opts.detect_orientation:
        rot = rotation(base)
        if rot:
            page = img.rotate(rot, expand=True)
            turned = _tesseract(base.rotate(rot, expand=True), dpi, tidy if grain else opts, rot)
            if grain:
                turned = replace(turned, cleanup=best.cleanup, uncleaned=page)
            best = max(best, turned, key=_rank)
    # Clean-ups only where they can help: grain, or a page read as empty. A clean page that is
    # merely hard (skewed, small print) reads no better cleaned, and each step is a full read.
    if not grain and best.has_text:
        ladder = []
    for name, clean in ladder:
        if not doubtful(best):
            break
        cleaned, grey = streaks.erase_both(clean(page), page, dpi)
        r = replace(_tesseract(cleaned, dpi, opts, rot), uncleaned=grey)
        if r.has_text and doubtful(r) and not rot and opts.detect_orientation:
            turn = rotation(cleaned)
            if turn:
                turned = _tesseract(cleaned.rotate(turn, expand=True), dpi, opts, turn)
                if _rank(turned) > _rank(r):
                    page = page.rotate(turn, expand=True)
                    r, rot = replace(turned, uncleaned=grey.rotate(turn, expand=True)), turn
        if _rank(r) > _rank(best):
            best = replace(r, cleanup=name)
    if not best.has_text and not rot and opts.detect_orientation:
        # Nothing read even cleaned: a sideways page Tesseract found no lines on, perhaps.
        turn = rotation(img)
        if turn:
            page, rot = img.rotate(turn, expand=True), turn
            best = max(best, _tesseract(page, dpi, opts, rot), key=_rank)
    if opts.engine == "auto" and not best.has_text:
        from . import rapid

        if rapid.available() is None:
            r = _rapid(page, dpi, opts, rotate=False)
            if r.has_text and r.conf >= 100 * RAPID_MIN_SCORE:
                best = Reading(r.items, r.engine, r.conf, rot, r.line_height)
    return best


def _rapid(img: Image.Image, dpi: int, opts: EngineOptions, rotate: bool = True) -> Reading:
    from . import rapid, tesseract

    rotation = 0
    if rotate and opts.detect_orientation:
        rotation = tesseract.detect_rotation(img, dpi, opts.osd_min_confidence)
    page = img.rotate(rotation, expand=True) if rotation else img
    paragraphs, score, line_height = rapid.read_paragraphs(page, opts.threads)
    items: list[Item] = [Paragraph(tuple(p), top, bottom) for p, top, bottom in paragraphs]
    return Reading(items, "rapidocr", 100 * score, rotation, line_height)
