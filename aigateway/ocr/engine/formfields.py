"""A filled-in PDF form's answers, put into the page's text layer beside their labels.

What was typed into a form (a name, a date, a ticked box) lives in its fields' widgets, not in
the page's content, so pdfium's text layer holds the labels without the answers: "Full name:"
and no name. :func:`read` takes each visible field's value and the text that labels it, from
the page's own text left of the field on its band or else just above it; :func:`merge` puts the
value after its label in the text layer (a value whose label is not found goes at the end).
Pages of a document without a form are not touched.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

__all__ = ("Field", "merge", "read")

CHECKED, UNCHECKED = "\u2612", "\u2610"
"""A check box or radio button's value, as the OCR path reads a drawn one (:mod:`.checkboxes`)."""

ABOVE = 1.5
"""How far above a field (in field heights) its label may stand when none is beside it."""

_HIDDEN = 1 | 2 | 32
"""Annotation flags invisible, hidden and no-view: such a field is not on the page as seen."""

_PASSWORD = 1 << 13
"""A text field's password flag: its value is drawn as dots, and is not read out either."""


@dataclass(frozen=True)
class Field:
    """One field's value and the page text that labels it (``""``: none found)."""

    value: str
    beside: str
    """The page's text left of the field on its band (since the field before it on that band)."""
    above: str
    """The page's text on the band just above the field, over its width."""


def read(page: Any, textpage: Any) -> list[Field]:
    """The visible, filled-in fields of a pypdfium2 page loaded with a form env, top to bottom
    and left to right; ``[]`` without a form env."""
    import pypdfium2.raw as c

    formenv = getattr(page, "formenv", None)
    if not formenv:
        return []
    found: list[tuple[float, float, float, float, str]] = []
    for i in range(c.FPDFPage_GetAnnotCount(page)):
        annot = c.FPDFPage_GetAnnot(page, i)
        if not annot:
            continue
        try:
            value = _value(c, formenv, annot)
            rect = c.FS_RECTF()
            if value and c.FPDFAnnot_GetRect(annot, rect):
                found.append((rect.left, rect.bottom, rect.right, rect.top, value))
        finally:
            c.FPDFPage_CloseAnnot(annot)
    # Top to bottom (PDF y grows upwards), then left to right.
    found.sort(key=lambda f: (-round(f[3]), f[0]))
    fields: list[Field] = []
    band_end: float | None = None
    last_top = None
    for left, bottom, right, top, value in found:
        if last_top is None or abs(top - last_top) > 0.5 * (top - bottom):
            band_end = None  # a new band: its first field's label starts at the page's edge
        last_top = top
        beside = _last_line(textpage.get_text_bounded(band_end, bottom, left, top))
        height = max(top - bottom, 1.0)
        above = _last_line(textpage.get_text_bounded(left, top, right, top + ABOVE * height))
        fields.append(Field(value, beside, above))
        band_end = right
    return fields


def _value(c: Any, formenv: Any, annot: Any) -> str:
    """A widget's value as text: a text field's or choice's value, ☒ / ☐ for a check box or
    radio button; ``""`` for a hidden, password, button or signature field, or an empty one."""
    if c.FPDFAnnot_GetSubtype(annot) != c.FPDF_ANNOT_WIDGET:
        return ""
    if c.FPDFAnnot_GetFlags(annot) & _HIDDEN:
        return ""
    kind = c.FPDFAnnot_GetFormFieldType(formenv, annot)
    if kind in (c.FPDF_FORMFIELD_CHECKBOX, c.FPDF_FORMFIELD_RADIOBUTTON):
        return CHECKED if c.FPDFAnnot_IsChecked(formenv, annot) else UNCHECKED
    if kind not in (
        c.FPDF_FORMFIELD_TEXTFIELD,
        c.FPDF_FORMFIELD_COMBOBOX,
        c.FPDF_FORMFIELD_LISTBOX,
    ):
        return ""
    if kind == c.FPDF_FORMFIELD_TEXTFIELD and c.FPDFAnnot_GetFormFieldFlags(formenv, annot) & (
        _PASSWORD
    ):
        return ""
    size = c.FPDFAnnot_GetFormFieldValue(formenv, annot, None, 0)
    if size <= 2:  # the terminating NUL alone (UTF-16)
        return ""
    buf = ctypes.create_string_buffer(size)
    c.FPDFAnnot_GetFormFieldValue(
        formenv, annot, ctypes.cast(buf, ctypes.POINTER(c.FPDF_WCHAR)), size
    )
    text = buf.raw[: size - 2].decode("utf-16-le", errors="replace")
    return " ".join(text.split())


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n") if ln.strip()]
    return lines[-1] if lines else ""


def merge(text: str, fields: list[Field]) -> str:
    """``text`` (the page's text layer, lines split by ``\\n``) with each field's value after
    its label: on the label's line after the label when the label stands beside the field, on
    a line of its own after the label's line when it stands above; at the end when neither is
    found. Fields are taken in page order, each label looked for from where the last value
    went, so a label that recurs ("Name:" in two sections) gets the right field's value."""
    if not fields:
        return text
    lines = text.split("\n") if text else []
    after: dict[int, list[str]] = {}  # line index -> values on lines of their own after it
    rest: list[str] = []
    row, col = 0, 0  # where the last value went: the search for the next label starts here
    for f in fields:
        spot = _find(lines, f.beside, row, col) if f.beside else None
        if spot is not None:
            row, at = spot
            lines[row] = f"{lines[row][:at]} {f.value}{lines[row][at:]}"
            col = at + 1 + len(f.value)
            continue
        spot = _find(lines, f.above, row, 0) if f.above else None
        if spot is not None:
            row, col = spot[0], len(lines[spot[0]])
            after.setdefault(row, []).append(f.value)
            continue
        rest.append(f.value)
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        out.extend(after.get(i, ()))
    return "\n".join([*out, *rest])


def _find(lines: list[str], label: str, row: int, col: int) -> tuple[int, int] | None:
    """Where ``label`` ends in ``lines``, searching from line ``row`` column ``col`` onwards,
    then from the top (a form's fields are not always in its text's order)."""
    order = [(row, col), *((i, 0) for i in range(row + 1, len(lines)))]
    order += [(i, 0) for i in range(min(row, len(lines)))]
    for i, start in order:
        if i >= len(lines):
            continue
        at = lines[i].find(label, start)
        if at >= 0:
            return i, at + len(label)
    return None
