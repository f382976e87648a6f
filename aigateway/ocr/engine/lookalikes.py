"""Words Tesseract may have read with a look-alike glyph, and whether a second reading only
swaps such glyphs back (pure: no OCR here; :mod:`.reread` does the reading).

Tesseract reads ``l`` and ``1``, ``O`` and ``0`` in code surely wrong where letters and digits
meet: ``aesi28_encrypt``, ``charl6_t``, ``cal1CC``, ``Ox40F6BBCC``, ``boo1``; and, in a short
word with no dictionary to lean on, ``Ic`` and ``te`` for gnuplot's ``lc`` and ``tc``; and
Texinfo's result arrow ``⇒``, for which its English model has no class, as ``=>``; and a
``1`` ending an identifier as ``!`` (``Cygwin!``: a footnote's mark). Its
confidence in them is 80-95, above the re-reading's cut, where most words are right. RapidOCR's
recogniser reads them right: it reads glyph shapes in context, with no language model pulling a
digit to a letter. So the words that look like such a mix-up (:func:`suspect`) are read again
on their own, and the new reading is kept only when it differs from the old by a glyph or two,
each a letter and a digit swapped where the neighbours say which is meant (:func:`swapped`).

A comma whose tail is lost (a grainy page's clean-up cuts the hairline off) Tesseract reads as
a full stop, 91-96 sure: a word ending in one before a lowercase word is read again too, from
the page before its clean-up, and the comma kept (:func:`kept`).
"""

from __future__ import annotations

import re

__all__ = ("COMMA_CUT", "COMMA_SCORE", "CUT", "SCORE", "cut", "kept", "suspect", "swapped")

CUT = 95.0
"""Words under this confidence (and at or over the re-reading's cut) may be suspects."""

SCORE = 0.95
"""The recogniser's score (0-1) a second reading of a suspect needs to replace it."""

COMMA_CUT = 97.0
"""Words under this confidence may be comma suspects (:func:`_stop`): Tesseract gives a
comma read as a full stop on a grainy page 91-96."""

COMMA_SCORE = 0.9
"""The score enough for a second reading that only turns a final full stop into a comma: on
a grainy page the recogniser, reading the grey page, scores such a word 0.92-0.95."""

_LETTERS = frozenset("ilI|Oo")
"""Letters Tesseract reads for a digit (``1``, ``0``) when the word around them is digits."""

_DIGITS = frozenset("10")
"""Digits it reads for a letter (``l``, ``O``) when the word around them is letters."""

_SHORT = frozenset("Iil1tce")
"""Glyphs of a two-letter word worth a second look: ``l``/``I``/``1`` and ``c``/``e``/``t``."""

_WORDS = frozenset(
    {"of", "or", "is", "to", "by", "in", "an", "if", "as", "on", "be", "it", "at", "so", "he"}
    | {"we", "no", "do", "go", "me", "my", "up", "us", "am", "id", "vs", "ie", "eg", "et", "al"}
)
"""Two-letter English words, read surely right too often to be worth a second reading."""

_ARROW, _DOUBLE_ARROW = "=>", "\N{RIGHTWARDS DOUBLE ARROW}"
"""Texinfo's result arrow ``⇒``, which Tesseract's English model has no class for: it reads
``=>``, surely. A typed ``=>`` (Perl, Erlang maps) the recogniser reads as typed."""

_HEX = re.compile(r"0[xX][0-9A-Fa-f]+")
_HEX_O = re.compile(r"[Oo][xX][0-9A-Fa-f]+")
_EDGES = ".,;:()[]{}\"'"


def suspect(text: str, after: str = "") -> bool:
    """Whether ``text`` (one word, ``after`` the word that follows it) looks like a letter and
    a digit read for each other, or a comma read as a full stop.

    A digit-like letter beside a digit (``aesi28``, ``charl6``), a ``1`` or ``0`` among
    letters with no digit beside it (``cal1CC``, ``boo1``), a hexadecimal number begun with a
    letter ``O`` (``Ox40``), or a two-letter word, not an English one, holding an ``l``-like
    or ``c``-like glyph (``Ic``, ``te``), or an ``=>``. A hexadecimal number itself
    (``0x8049a20``) is not: its ``0`` and ``x`` are meant. And a word ending in one full stop
    that a lowercase word follows (:func:`_stop`)."""
    return _stop(text, after) or _glyphs(text)


def _glyphs(text: str) -> bool:
    """:func:`suspect`'s look-alike glyphs and arrow, whatever follows the word."""
    if _ARROW in text:
        return True
    core = text.strip(_EDGES)
    if not core or _HEX.fullmatch(core):
        return False
    if _HEX_O.fullmatch(core):
        return True
    for i, c in enumerate(core):
        beside = core[max(0, i - 1) : i] + core[i + 1 : i + 2]
        # A "1" or "l" read as "!" (``Jump!`` for ``Jump1``); ``operator!=`` is meant.
        last = i == len(core) - 1
        if c == "!" and i > 0 and core[i - 1].isalnum() and (last or core[i + 1].isalnum()):
            return True
        if c in _LETTERS and any(n.isdigit() for n in beside):
            return True
        among_letters = any(n.isalpha() for n in beside) and not any(n.isdigit() for n in beside)
        if c in _DIGITS and among_letters:
            return True
    return (
        len(core) == 2
        and core.isalpha()
        and core.lower() not in _WORDS
        and any(c in _SHORT for c in core)
    )


def cut(text: str, after: str = "") -> float:
    """The confidence under which ``text`` (``after``: the next word) is read again as a
    suspect (:func:`suspect`): :data:`COMMA_CUT` for a comma, :data:`CUT` for a look-alike
    glyph, 0 for a word that is no suspect."""
    return COMMA_CUT if _stop(text, after) else CUT if _glyphs(text) else 0.0


def _stop(text: str, after: str) -> bool:
    """Whether ``text`` ends in a full stop that may be a comma, the next word being lowercase.

    A comma's tail is a hairline: on a grainy page the clean-up's threshold cuts it off, and
    on a blurred one it fades, and Tesseract reads a full stop (``functions. possibly``,
    ``(eps. emf, png``), surely. A sentence seldom goes on in lowercase after a full stop;
    an abbreviation that does (``e.g. the``) is read again as it is."""
    return (
        len(text) >= 2
        and text.endswith(".")
        and (text[-2].isalpha() or text[-2] in ")]")
        and after[:1].islower()
    )


def kept(old: str, new: str, score: float) -> bool:
    """Whether ``new``, read with ``score``, replaces the suspect ``old`` (:func:`swapped`,
    :data:`SCORE`, :data:`COMMA_SCORE`)."""
    comma = new == old[:-1] + "," and old.endswith(".")
    return score >= (COMMA_SCORE if comma else SCORE) and swapped(old, new)


def swapped(old: str, new: str) -> bool:
    """Whether ``new`` is ``old`` with one glyph (two, in a word of five or more) changed, each
    change one the neighbours in ``new`` bear out (:func:`_fits`), none a change of case
    alone (the recogniser cannot tell ``s`` from ``S`` in a word on its own), a final full
    stop turned comma counting as such a change; or ``old`` with its ``=>`` read as ``⇒``."""
    if _ARROW in old and new == old.replace(_ARROW, _DOUBLE_ARROW):
        return True
    if len(old) != len(new) or old == new:
        return False
    changes = [(i, a, b) for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    if len(changes) > (1 if len(old) <= 4 else 2):
        return False
    return all(_fits(new, i, a, b) for i, a, b in changes)


def _fits(new: str, i: int, a: str, b: str) -> bool:
    """Whether ``a`` read as ``b`` at ``new[i]`` is a mix-up the word's neighbours bear out: a
    letter turned digit beside a digit (or the ``0`` of a leading ``0x``); a digit turned
    letter between letters, or with two letters on one side and no digit on the other; any
    other letter for a letter, digit for a digit, or a stray mark (``@``, ``£``, ``!``) read
    for a letter or digit (``as.raw(@:12)``); or a word's final full stop read as a comma."""
    if (a, b) == (".", ",") and i == len(new) - 1:
        return True
    if a.lower() == b.lower() or not b.isalnum() or not (a.isalnum() or a in "@£!"):
        return False
    if a.isalpha() and b.isdigit():
        beside = new[max(0, i - 1) : i] + new[i + 1 : i + 2]
        return any(n.isdigit() for n in beside) or (i == 0 and new[1:2] in "xX" and len(new) > 2)
    if a.isdigit() and b.isalpha():
        left1 = i >= 1 and new[i - 1].isalpha()
        left2 = i >= 2 and new[i - 2].isalpha()
        right1, right2 = new[i + 1 : i + 2].isalpha(), new[i + 2 : i + 3].isalpha()
        digit_left = i >= 1 and new[i - 1].isdigit()
        digit_right = new[i + 1 : i + 2].isdigit()
        return (
            (left1 and right1)
            or (right1 and right2 and not digit_left)
            or (left1 and left2 and not digit_right)
        )
    return True
