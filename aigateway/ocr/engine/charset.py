"""The re-reading recogniser's characters for a page's languages, and its model cut to them.

RapidOCR's recogniser reads Chinese, Japanese and Latin text: its output layer scores 18,710
characters at every time step. A page in Latin-script languages can hold 1,889 of them
(:func:`latin`); :func:`cut_classes` gives the recogniser a model whose output layer scores
only those (on OpenVINO), which saves a third of a crop's time in bfloat16 and reads
Latin-script crops the same.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ("CJK", "charset", "cut_classes", "latin")


CJK = ("chi_", "jpn", "kor", "Han", "Japanese", "Hangul", "Korean")
"""Tesseract language codes (and script model names) holding one of these are written in
Chinese, Japanese or Korean script."""


def charset(languages: Sequence[str]) -> str:
    """The recogniser's characters a page in ``languages`` (Tesseract codes) can hold:
    ``"all"`` when one of them is written in Chinese, Japanese or Korean script, else
    ``"latin"`` (:func:`latin`)."""
    return "all" if any(part in lang for lang in languages for part in CJK) else "latin"


def latin(char: str) -> bool:
    """Whether the recogniser's class ``char`` is kept for a page in a Latin-script language:
    the CTC blank, Latin, IPA and combining marks, Greek (letters in formulae), punctuation,
    sub- and superscripts, currency, arrows, mathematical and technical symbols, box drawing,
    shapes and dingbats, and full-width forms (which the re-reading folds to ASCII). Not the
    CJK ideographs, kana, Hangul and CJK punctuation, nor pictographs (16,821 of the
    model's 18,710 classes)."""
    if char == "blank":
        return True
    return len(char) == 1 and (ord(char) < 0x2C00 or 0xFF00 <= ord(char) < 0xFFF0)


def cut_classes(rec: Any, keep: Callable[[str], bool], threads: int) -> None:
    """Cut the recogniser's output layer (OpenVINO) to the classes ``keep`` accepts.

    Its last layer scores every one of the model's 18,710 characters at every time step, and
    the decoder takes the best of them all: a third of a crop's CPU time in bfloat16 (1,889
    classes kept for a Latin-script page: 18 ms a 700 px crop before, 11.5 ms after; through
    the pool, 18 tune pages, 18.5 ms a crop on average before and 13.4 ms after; in float32
    only 17 % less, where the backbone weighs more). The softmax then runs over the kept
    classes alone; Latin-script crops read the same (tune split: the 54-page sample and 36
    more grainy pages byte-identical). Left as it is when the model's last layers are not
    the expected MatMul, Add and Softmax over constants, or when the cut model does not
    compile: the page is then re-read by the whole model, not left unread.
    """
    import numpy as np
    import openvino

    model = getattr(rec.session, "model", None)
    if model is None:
        return  # not OpenVINO's session

    def above(node: Any) -> Any:
        node = node.input_value(0).get_node()
        while node.get_type_name() in ("Identity", "Convert"):
            node = node.input_value(0).get_node()
        return node

    softmax = above(model.get_results()[0])
    add = above(softmax)
    matmul = above(add)
    types = [n.get_type_name() for n in (softmax, add, matmul)]
    if types != ["Softmax", "Add", "MatMul"]:
        return
    weights = matmul.input_value(1).get_node()
    bias = add.input_value(1).get_node()
    if {weights.get_type_name(), bias.get_type_name()} != {"Constant"}:
        return
    decoder = rec.postprocess_op
    kept = [i for i, char in enumerate(decoder.character) if keep(char)]
    w, b = weights.get_data(), bias.get_data()
    if w.shape[-1] != len(decoder.character) or b.shape[-1] != len(decoder.character):
        return
    if not 1 < len(kept) < len(decoder.character):
        return  # nothing to cut, or nothing left to read
    config = {"PERFORMANCE_HINT": "LATENCY"}
    if 1 <= threads <= (os.cpu_count() or 1):
        config["INFERENCE_NUM_THREADS"] = str(threads)
    try:
        # A copy: the session's own model keeps the whole layer (and its character list).
        cut = model.clone()
        ops = {op.get_friendly_name(): op for op in cut.get_ordered_ops()}
        constant = openvino.opset13.constant
        new_w = constant(np.ascontiguousarray(w[:, kept])).output(0)
        ops[matmul.get_friendly_name()].input(1).replace_source_output(new_w)
        new_b = constant(np.ascontiguousarray(b[kept])).output(0)
        ops[add.get_friendly_name()].input(1).replace_source_output(new_b)
        cut.validate_nodes_and_infer_types()
        request = openvino.Core().compile_model(cut, "CPU", config).create_infer_request()
    except (RuntimeError, KeyError):
        return
    rec.session.session = request
    decoder.character = [decoder.character[i] for i in kept]
    decoder.dict = {char: i for i, char in enumerate(decoder.character)}
