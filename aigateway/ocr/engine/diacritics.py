"""Letters with marks (``à``, ``ê``, ``ü``, ``ñ``, ``ç``) that Tesseract's English model read
without them or with the wrong ones, read again by the recogniser (part of
:func:`.reread.reread`).

The engine's default language pack is English, whose model knows few marked letters: on a
French, German or Spanish page it reads ``à`` as ``a``, ``être`` as ``étre``, ``Würde`` as
``Wiirde`` and ``razón`` as ``razon``, most of them sure of itself, so the re-reading of
doubtful stretches never sees them. RapidOCR's recogniser reads Latin letters with their marks
(chromium-printed French, German and Spanish pages at 300 DPI, as a scan and as a 96 DPI
screenshot: raw RapidOCR 0-1 edits a page, Tesseract 15-112, the gateway 4-14 before this
pass; the gateway 0-1 after it). A page is taken to be written with marks when the words read
so far (Tesseract's, and the doubtful stretches the recogniser read again) hold enough of them
and of the short words of such languages (:func:`written_with_marks`); an English page's
``café`` or ``José`` stays below. Then every line with letters is read again, and a word takes
the recogniser's reading only where that differs from Tesseract's at marked letters alone
(:func:`swap`): a mark added, changed or read for the letters Tesseract made of it
(``ii`` for ``ü``), never another word.

Only with an English-only page: a user who chose a language pack for the text (``deu``) has
a Tesseract that reads its marks itself.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher

from PIL import Image

from .crops import recognize
from .geometry import Line, Word

__all__ = (
    "FUNCTION_SHARE",
    "FUNCTION_WORDS",
    "MARKED_SHARE",
    "MIN_MARKED",
    "MIN_SCORE",
    "fold",
    "marked",
    "read",
    "swap",
    "written_with_marks",
)

MIN_MARKED = 3
"""Words holding a marked letter a page needs at least before its lines are read again."""

MARKED_SHARE = 0.10
"""Share of the page's words holding a marked letter that makes it a page written with marks
on its own, whatever its language (French prose: about 15 % of the words as first read;
Czech, Polish, Romanian or Vietnamese more). An English paragraph naming ``José Martínez``
and ``Jürgen Müller`` at a ``café`` has 7 %."""

FUNCTION_SHARE = 0.03
"""Share of the page's words that are :data:`FUNCTION_WORDS` that makes it one with
:data:`MIN_MARKED` marked words (German and Spanish pages, whose marks Tesseract's English
model mostly reads without: 3-5 % of the words marked as first read, 17-19 % function words;
French 25 %). An English page's marked words are names, loan words, or a noisy scan's specks
read as marks by the doubtful stretches' re-reading (a fax page: ``datà``, ``methód``, 7 of
485 words); of the bench corpus's 512 English pages none has 3 % function words and three
marked ones, and its one French page (a multiple-choice test) has 6 %."""

_FUNCTION = {
    # Common short words of Latin-script languages written with marks, none of them an English
    # word or one technical English uses: not "du", "des", "del", "os", "em", "op", "van",
    # "von", "al" ("et al."), "till", "non", "pro", "der" (ASN.1).
    "fr": "les est une qui dans pour pas sur aux avec sont ces cette mais leur",
    "de": "und ist nicht mit sich auf dem ein eine zu das werden wird auch für",
    "es": "de la en el los las que por con para una su lo como más",
    "pt": "pelo pela ao são mais não uma",
    "it": "il gli di della che è sono nel alla delle",
    "nl": "het een niet zijn voor ook",
    "sv": "och att det som är av för med inte på",
    "da": "og af ikke fra",
    "pl": "się że nie jest oraz jak",
    "cs": "je že při jako",
    "hu": "és hogy egy az nem",
    "tr": "bir bu için ile",
}

FUNCTION_WORDS = frozenset(" ".join(_FUNCTION.values()).split())
"""Short words of French, German, Spanish, Portuguese, Italian, Dutch, Swedish, Danish and
Norwegian, Polish, Czech, Hungarian and Turkish that English never uses."""

MIN_SCORE = 0.9
"""The recogniser's line score (0-1) below which a line's reading is not used."""

_LETTERS = "ßøØæÆœŒłŁđĐþÞ"  # Latin letters of their own, not a base letter and a mark
# Spanish opening marks, which Tesseract's English model reads as ``¢`` or ``i``.
_INVERTED = "¿¡"
_PUNCTUATION = ".,;:!?¿¡\"'()[]«»„\u201c\u201d\u2018\u2019"


def _marked_letter(char: str) -> bool:
    if char in _LETTERS:
        return True
    if not char.isalpha() or char.isascii():
        return False
    parts = unicodedata.normalize("NFD", char)
    return len(parts) > 1 and parts[0].isascii() and all(map(unicodedata.combining, parts[1:]))


def marked(text: str) -> bool:
    """Whether ``text`` holds a Latin letter with a mark (or one of ``ß ø æ œ ł đ þ``)."""
    return any(_marked_letter(c) for c in text)


def fold(text: str) -> str:
    """``text`` with its Latin letters' marks taken off (``Würde`` -> ``Wurde``); one
    character for each of ``text``'s, so that positions line up."""
    out = []
    for c in text:
        if _marked_letter(c) and c not in _LETTERS:
            c = unicodedata.normalize("NFD", c)[0]
        out.append(c)
    return "".join(out)


def swap(old: str, new: str) -> bool:
    """Whether the recogniser's ``new`` reading replaces Tesseract's ``old``: ``new`` holds a
    marked letter and the two differ only where ``new``'s marked letters (or ``¿ ¡``) stand,
    once their marks are taken off (``a``/``à``, ``étre``/``être``, ``Wiirde``/``Würde``,
    ``¢Quién``/``¿Quién``)."""
    if new == old or not marked(new):
        return False
    special = {j for j, c in enumerate(new) if _marked_letter(c) or c in _INVERTED}
    ops = SequenceMatcher(None, fold(old), fold(new), autojunk=False).get_opcodes()
    for op, i1, i2, j1, j2 in ops:
        if op == "equal":
            continue
        if j2 > j1:
            # New characters: all of them marked letters, each for at most two of Tesseract's.
            if not all(j in special for j in range(j1, j2)) or i2 - i1 > 2 * (j2 - j1):
                return False
        elif i2 - i1 > 2 or not special & {j1 - 1, j1}:
            return False  # Tesseract's extra characters, only beside a marked letter
    return True


def _pairs(words: Sequence[Word], tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Tesseract's words and the recogniser's tokens that stand for each other: aligned with
    marks taken off and case ignored; where a run differs, word for word if the counts agree."""
    a = [fold(w.text).lower() for w in words]
    b = [fold(t).lower() for t in tokens]
    out: list[tuple[int, int]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            out.extend(zip(range(i1, i2), range(j1, j2), strict=True))
    return out


def written_with_marks(words: Sequence[str]) -> bool:
    """Whether a page whose words read so far are ``words`` is written in a language with
    marks: :data:`MIN_MARKED` words hold one, and either :data:`MARKED_SHARE` of the words do
    or :data:`FUNCTION_SHARE` of them are :data:`FUNCTION_WORDS`."""
    hits = sum(marked(t) for t in words)
    if hits < MIN_MARKED or not words:
        return False
    function = sum(t.strip(_PUNCTUATION).lower() in FUNCTION_WORDS for t in words)
    return hits >= MARKED_SHARE * len(words) or function >= FUNCTION_SHARE * len(words)


def read(
    img: Image.Image,
    lines: list[Line],
    threads: int,
    languages: Sequence[str],
    band: Callable[[Line], tuple[int, int, int, int]] | None = None,
) -> int:
    """On a page written with marks (see the module), read every line with letters again and
    put the recogniser's marked words in place of Tesseract's where :func:`swap` allows.
    ``band(line)`` gives a line's crop (default: its words' extent). Returns the words changed."""
    words = [w.text for ln in lines for w in ln.words]
    if set(languages) - {"eng", "osd"} or not written_with_marks(words):
        return 0
    jobs = [ln for ln in lines if any(c.isalpha() for w in ln.words for c in w.text)]
    crops = [band(ln) if band else (ln.x0, ln.y0, ln.x1, ln.y1) for ln in jobs]
    texts = recognize(img, crops, threads, languages)
    changed = 0
    for ln, (text, score) in zip(jobs, texts, strict=False):
        if score < MIN_SCORE:
            continue
        tokens = text.split(" ")
        for i, j in _pairs(ln.words, tokens):
            w = ln.words[i]
            if swap(w.text, tokens[j]):
                ln.words[i] = Word(tokens[j], max(w.conf, 100 * score), w.x0, w.y0, w.x1, w.y1)
                changed += 1
    return changed
