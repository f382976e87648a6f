"""The re-reading's recogniser cut to the characters of the page's languages: its CJK classes
dropped for a Latin-script page, the same texts read."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from PIL import ImageOps

from aigateway.ocr.engine import charset, rapid

from ..support.docgen import render_text

ALPHA = "\N{GREEK SMALL LETTER ALPHA}"

LINES = [
    "Invoice 4471 paid in full on 12 March",
    "bzip2 -1 (or --fast) to -9 (or --best)",
    "Total: $1,234.56 (VAT 20%) [see p. 7]",
    f"naïve café façade, {ALPHA} = 0.5",
]

pytestmark = pytest.mark.skipif(rapid.available() is not None, reason=str(rapid.available()))


@pytest.mark.parametrize(
    ("languages", "chars"),
    [
        (["eng"], "latin"),
        (["eng", "fra", "deu"], "latin"),
        (["ell"], "latin"),
        (["chi_sim"], "all"),
        (["eng", "jpn_vert"], "all"),
        (["kor"], "all"),
        (["script/HanS"], "all"),
    ],
)
def test_the_charset_follows_the_languages_scripts(languages: list[str], chars: str) -> None:
    assert charset.charset(languages) == chars


@pytest.mark.parametrize(
    "char",
    ["blank", " ", "a", "Z", "7", "é", "ß", "—", "→", "■", ALPHA, "\N{FULLWIDTH LEFT PARENTHESIS}"],
)
def test_latin_keeps_the_letters_digits_and_symbols_of_latin_script_pages(char: str) -> None:
    assert charset.latin(char)


@pytest.mark.parametrize("char", ["中", "あ", "カ", "한", "。", "🛄"])
def test_latin_drops_cjk_and_pictographs(char: str) -> None:
    assert not charset.latin(char)


def _ink(img: Any) -> tuple[int, int, int, int]:
    box = ImageOps.invert(img).getbbox()
    assert box is not None
    x0, y0, x1, y1 = box
    return max(0, x0 - 8), max(0, y0 - 8), min(img.width, x1 + 8), min(img.height, y1 + 8)


def test_the_cut_recogniser_reads_latin_lines_as_the_whole_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("openvino")
    # On OpenVINO whatever the CPU computes in (the cut is made there), engines of its own.
    monkeypatch.setattr(rapid, "runtime", lambda: "openvino")
    monkeypatch.setattr(rapid, "_ENGINES", {})
    crops = [render_text(line, size=32) for line in LINES]
    crops = [c.crop(_ink(c)) for c in crops]
    whole = rapid.recognize_crops(crops, 1, ["chi_sim"])
    cut = rapid.recognize_crops(crops, 1, ["eng"])
    full_rec = rapid._engine(1, crops=True, chars="all")._load_rec_model()
    cut_rec = rapid._engine(1, crops=True, chars="latin")._load_rec_model()
    full_chars, cut_chars = full_rec.postprocess_op.character, cut_rec.postprocess_op.character
    assert len(full_chars) > 18_000
    assert 1_000 < len(cut_chars) < 3_000
    assert cut_chars[0] == "blank" and " " in cut_chars and "中" not in cut_chars
    assert cut_rec.postprocess_op.dict["a"] == cut_chars.index("a")
    # The model's output layer was cut to the kept classes, not just the decoder's list.
    shape = cut_rec.session._session.session.get_output_tensor().data.shape
    assert shape[-1] == len(cut_chars)
    assert [t for t, _ in cut] == [t for t, _ in whole]
    assert cut[0][0].split() == LINES[0].split()
    for (_, a), (_, b) in zip(cut, whole, strict=True):
        assert a == pytest.approx(b, abs=0.01)


class _NoCompile:
    """OpenVINO's Core whose compiler fails (a plugin that cannot build the cut model)."""

    def compile_model(self, *_: Any, **__: Any) -> Any:
        raise RuntimeError("cannot compile")


@pytest.mark.parametrize("compiles", [True, False])
def test_a_cut_that_does_not_compile_leaves_the_whole_model(
    monkeypatch: pytest.MonkeyPatch, compiles: bool
) -> None:
    openvino = pytest.importorskip("openvino")
    monkeypatch.setattr(rapid, "runtime", lambda: "openvino")
    monkeypatch.setattr(rapid, "_ENGINES", {})
    whole = rapid._engine(1, crops=True, chars="all")._load_rec_model()
    chars = list(whole.postprocess_op.character)
    rec = SimpleNamespace(
        session=SimpleNamespace(model=whole.session._session.model, session="whole"),
        postprocess_op=SimpleNamespace(character=list(chars), dict={}),
    )
    if not compiles:
        monkeypatch.setattr(openvino, "Core", _NoCompile)
    charset.cut_classes(rec, charset.latin, 1)
    if compiles:
        assert rec.session.session != "whole"
        assert len(rec.postprocess_op.character) == sum(map(charset.latin, chars))
    else:
        assert rec.session.session == "whole"
        assert rec.postprocess_op.character == chars
    # The session's own model keeps its whole output layer either way.
    assert whole.session._session.model.get_results()[0].get_output_partial_shape(0)[-1] == len(
        chars
    )


@pytest.mark.parametrize(
    ("languages", "keys"), [(None, {"pages"}), (("eng",), {"pages", "crops-latin"})]
)
def test_warm_loads_the_recogniser_of_the_languages(
    monkeypatch: pytest.MonkeyPatch, languages: tuple[str, ...] | None, keys: set[str]
) -> None:
    pytest.importorskip("openvino")
    monkeypatch.setattr(rapid, "runtime", lambda: "openvino")
    monkeypatch.setattr(rapid, "_ENGINES", {})
    rapid.warm(1, languages)
    assert set(rapid._ENGINES) == keys
