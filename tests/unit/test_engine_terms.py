"""Hanging-term lists (``terms.py``): read entry by entry, on geometry and on rendered pages."""

from __future__ import annotations

import re

from aigateway.ocr.engine import layout
from aigateway.ocr.engine.layout import Line, Paragraph, Table
from aigateway.ocr.engine.options import EngineOptions, PageRequest
from aigateway.ocr.engine.page import read_page
from aigateway.ocr.engine.worker import Source

from ..support.docgen_layout import png, term_list_image
from ..support.geometry import boxed
from ..support.geometry import line as _line

H = 30  # text height in pixels
STEP = 45


def _desc(k: int, n: int) -> list[list[str]]:
    return [[f"d{k}l{i}", "words", "of", "the", "description"] for i in range(n)]


def _term_page(wraps: list[int]) -> tuple[list[Line], list[str]]:
    """Terms at x=100, descriptions at x=500 wrapping ``wraps[k]`` lines, as Tesseract reads
    them: a heading, the term column as one block, the descriptions as another, a closing
    paragraph. Returns the lines and the expected reading, line by line."""
    head = _line(["Arguments"], 100, 40, 0, 0)
    terms, descs, want = [], [], ["Arguments"]
    y = 120
    for k, n in enumerate(wraps):
        terms.append(_line([f"term{k}"], 100, y, 1, 1 + k))
        rows = _desc(k, n)
        for i, words in enumerate(rows):
            descs.append(_line(words, 500, y + STEP * i, 2, 10 + k))
        want.append(f"term{k} " + " ".join(rows[0]))
        want += [" ".join(r) for r in rows[1:]]
        y += STEP * n + 15
    tail = _line(["The", "closing", "paragraph", "spans", "the", "page"], 100, y + 60, 3, 50)
    return [head, *terms, *descs, tail], [*want, "The closing paragraph spans the page"]


def _read(lines: list[Line]) -> list[str]:
    items = layout.build_page(lines)
    assert all(isinstance(i, Paragraph) for i in items)
    return [ln for i in items for ln in i.lines]  # type: ignore[union-attr]


def test_each_term_is_followed_by_its_description() -> None:
    lines, want = _term_page([3, 1, 2, 4])
    assert _read(lines) == want


def test_every_entry_is_a_paragraph_of_its_own() -> None:
    lines, _ = _term_page([2, 1, 3])
    items = layout.build_page(lines)
    firsts = [i.lines[0].split()[0] for i in items if isinstance(i, Paragraph)]
    assert firsts == ["Arguments", "term0", "term1", "term2", "The"]


def test_terms_whose_descriptions_never_wrap_stay_a_table() -> None:
    # No wrapped line: a two-column grid, which the table pass keeps as a table.
    lines, _ = _term_page([1, 1, 1, 1])
    items = layout.build_page(lines)
    tables = [i for i in items if isinstance(i, Table)]
    assert len(tables) == 1
    assert [r[0] for r in tables[0].rows] == ["term0", "term1", "term2", "term3"]


def test_a_single_entry_is_not_a_list() -> None:
    lines, _ = _term_page([3])
    got = _read(lines)
    assert got[1] == "term0"  # the recogniser's order stands


def test_prose_columns_ending_a_paragraph_beside_text_are_not_interleaved() -> None:
    # Two columns of prose: the left one ends a paragraph with a short line, leaves a blank
    # line, gives a short heading, then prose again. Beside the right column's text those
    # short lines look like terms; the long left lines above and below say they are prose.
    left = [_line(["alpha"] * 7, 100, 100 + STEP * r, 1, 1) for r in range(3)]
    left.append(_line(["alpha", "ends"], 100, 100 + STEP * 3, 1, 1))
    left.append(_line(["Heading"], 100, 100 + STEP * 5, 1, 2))
    left += [_line(["gamma"] * 7, 100, 100 + STEP * (6 + r), 1, 3) for r in range(3)]
    right = [_line(["omega"] * 7, 1000, 100 + STEP * r, 2, 4) for r in range(9)]
    got = _read(left + right)
    assert [ln.split()[0] for ln in got].index("omega") == len(left)  # left column first


def test_a_rendered_argument_list_reads_entry_by_entry() -> None:
    # The real engine on a 300 DPI page: Tesseract makes a block of the term column.
    entries = [
        (
            "timeout",
            "Seconds a request may wait for the upstream before the gateway answers "
            "with a clear error; the default suits most providers and may be raised.",
        ),
        (
            "retries",
            "How many times a failed request is sent again to the same upstream, "
            "with a growing pause between attempts and a limit on the total time.",
        ),
        ("endpoint", "The base address of the upstream service."),
        (
            "max.size",
            "The largest upload accepted, in bytes; bigger bodies are refused "
            "before they are read to the end, and the answer names the limit.",
        ),
    ]
    img = term_list_image("Arguments", entries, "Details follow in the next section.")
    page = read_page(
        Source("image/png", data=png(img, 300)), 0, EngineOptions(), False, PageRequest()
    )
    paras = [p for p in page.markdown.split("\n\n") if p.strip()]
    assert paras[0] == "Arguments"
    for (term, text), para in zip(entries, paras[1:], strict=False):
        words = re.findall(r"[a-z]+", para.lower())
        assert para.startswith(term), para
        assert words[-3:] == re.findall(r"[a-z]+", text.lower())[-3:], para
    assert paras[-1] == "Details follow in the next section."


def test_a_three_column_table_with_a_wrapped_cell_stays_a_table() -> None:
    # Short first cells and a wrapped last column: a grid, whose third column starts at one
    # edge in every row, not a term list.
    lines = [_line(["Options"], 100, 40, 0, 0)]
    y = 120
    for k in range(4):
        lines.append(_line([f"opt{k}"], 100, y, 1, 1 + k))
        lines.append(_line(["int"], 500, y, 2, 10 + k))
        lines.append(_line([f"d{k}", "first", "line"], 900, y, 3, 20 + k))
        lines.append(_line([f"d{k}", "wrapped", "line"], 900, y + STEP, 3, 20 + k))
        y += 2 * STEP + 15
    tables = [i for i in layout.build_page(lines) if isinstance(i, Table)]
    assert tables and [r[0] for r in tables[0].rows if r[0]] == [f"opt{k}" for k in range(4)]


def test_a_sidebars_short_lines_beside_an_article_are_not_terms() -> None:
    # A web page's sidebar (smaller print, 38 px apart) ends a paragraph with a one-word line
    # ("of"), then gives a heading and a line of tags, level with lines of the article beside
    # it. Short lines with text beside them look like terms; but the article's paragraph runs
    # on from the row above, and a list's first description starts on its term's row. Read
    # as a term list before: "of a5 omega ...", "Tags a6 omega ...".
    texts = [["beta"] * 5] * 4 + [["License", "with", "terms:", "c)"]]
    texts += [["Prohibiting", "misrepresentation"], ["of"]]
    side = [_line(t, 100, 100 + 38 * r, 2, 3, h=26) for r, t in enumerate(texts)]
    side.append(_line(["Tags"], 100, 372, 3, 4, h=26))
    side.append(_line(["licence,", "freedom,", "copyleft"], 100, 410, 3, 4, h=26))
    article = [_line([f"a{r}"] + ["omega"] * 6, 700, 100 + STEP * r, 5, 6) for r in range(11)]
    got = _read(side + article)
    assert got[: len(side)] == [" ".join(w.text for w in ln.words) for ln in side]
    assert [ln.split()[0] for ln in got[len(side) :]] == [f"a{r}" for r in range(11)]


CV = [
    boxed([("Contact", 182, 189, 275, 209)], 1, 1),
    boxed([("jane.doe@example.com", 179, 254, 448, 279)], 2, 2),
    boxed(
        [
            ("+44", 182, 291, 224, 311),
            ("20", 233, 291, 259, 311),
            ("7946", 267, 291, 321, 311),
            ("0000", 330, 291, 384, 311),
        ],
        2,
        2,
    ),
    boxed([("London", 182, 328, 268, 349)], 2, 2),
    boxed([("Skills", 182, 396, 245, 416)], 3, 3),
    boxed([("•", 233, 466, 242, 475), ("Different", 265, 459, 366, 480)], 4, 4),
    boxed([("•", 233, 504, 242, 513), ("It", 265, 498, 282, 518)], 4, 4),
    boxed([("•", 233, 542, 242, 550), ("Included", 266, 535, 361, 555)], 4, 5),
    boxed([("•", 233, 579, 242, 588), ("Attributed", 266, 573, 379, 592)], 4, 5),
    boxed([("•", 233, 617, 242, 625), ("The", 265, 610, 307, 630)], 4, 5),
    boxed([("•", 233, 654, 242, 663), ("A", 265, 648, 285, 668)], 4, 6),
    boxed([("Jane", 662, 218, 780, 259), ("Doe", 797, 218, 897, 259)], 5, 7),
    boxed([("Experience", 660, 331, 829, 364)], 6, 8),
    boxed(
        [
            ("Or", 661, 412, 696, 433),
            ("Commitment,", 705, 412, 881, 438),
            ("2010-2012", 893, 412, 1023, 433),
        ],
        7,
        9,
    ),
    boxed(
        [
            ("tangible", 660, 454, 757, 482),
            ("personal", 766, 454, 868, 482),
            ("property", 877, 458, 979, 482),
            ("which", 987, 454, 1061, 476),
            ("is", 1069, 454, 1089, 476),
            ("normally", 1097, 454, 1207, 482),
            ("used", 1216, 454, 1271, 476),
            ("for", 1280, 454, 1314, 476),
            ("personal,", 1323, 454, 1432, 482),
        ],
        7,
        10,
    ),
    boxed(
        [
            ("family,", 660, 496, 743, 524),
            ("or", 753, 503, 777, 518),
            ("household", 785, 496, 911, 518),
            ("purposes,", 919, 503, 1033, 524),
            ("or", 1043, 503, 1068, 518),
            ("(2)", 1076, 496, 1109, 524),
            ("anything", 1119, 496, 1225, 524),
            ("designed", 1234, 496, 1342, 524),
            ("or", 1350, 503, 1374, 518),
            ("sold", 1383, 496, 1433, 518),
            ("for", 1442, 495, 1476, 518),
        ],
        7,
        10,
    ),
    boxed(
        [
            ("incorporation", 659, 537, 823, 565),
            ("into", 832, 537, 877, 559),
            ("a", 887, 544, 899, 559),
            ("dwelling.", 908, 537, 1019, 565),
            ("In", 1030, 537, 1055, 559),
            ("determining", 1064, 537, 1210, 565),
            ("whether", 1218, 537, 1316, 559),
            ("a", 1325, 544, 1337, 559),
            ("product", 1345, 537, 1439, 565),
            ("is", 1447, 537, 1465, 559),
        ],
        7,
        10,
    ),
    boxed(
        [
            ("This", 659, 608, 716, 630),
            ("Way,", 724, 608, 789, 636),
            ("2011-2013", 799, 608, 928, 630),
        ],
        8,
        11,
    ),
    boxed(
        [
            ("your", 659, 657, 715, 678),
            ("program", 722, 656, 826, 678),
            ("is", 834, 651, 853, 672),
            ("a", 863, 657, 876, 672),
            ("subroutine", 884, 650, 1011, 672),
            ("library,", 1019, 650, 1105, 678),
            ("you", 1114, 657, 1160, 678),
            ("may", 1168, 657, 1220, 678),
            ("consider", 1229, 650, 1332, 672),
            ("it", 1340, 651, 1356, 672),
            ("more", 1364, 657, 1425, 672),
        ],
        8,
        12,
    ),
    boxed(
        [
            ("useful", 659, 691, 733, 713),
            ("to", 742, 696, 764, 713),
            ("permit", 773, 692, 852, 720),
            ("linking", 860, 691, 946, 720),
            ("proprietary", 954, 692, 1089, 720),
            ("applications", 1098, 691, 1244, 720),
            ("with", 1254, 692, 1307, 713),
            ("the", 1315, 691, 1351, 713),
            ("library.", 1360, 692, 1445, 720),
            ("If", 1455, 691, 1475, 713),
        ],
        8,
        12,
    ),
    boxed(
        [
            ("this", 660, 731, 702, 753),
            ("is", 712, 731, 730, 752),
            ("what", 739, 731, 798, 752),
            ("you", 806, 738, 851, 759),
            ("want", 859, 735, 918, 752),
            ("to", 926, 735, 949, 752),
            ("do,", 958, 731, 994, 756),
            ("use", 1003, 737, 1043, 752),
            ("the", 1053, 731, 1088, 752),
        ],
        8,
        12,
    ),
    boxed(
        [
            ("Provision", 660, 804, 782, 826),
            ("Of,", 792, 803, 830, 829),
            ("2012-2014", 840, 804, 971, 825),
        ],
        9,
        13,
    ),
    boxed(
        [
            ("continue", 660, 846, 763, 868),
            ("to", 772, 850, 794, 867),
            ("provide", 804, 846, 896, 874),
            ("support", 905, 850, 995, 874),
            ("service,", 1004, 846, 1096, 871),
            ("warranty,", 1105, 850, 1218, 874),
            ("or", 1228, 852, 1252, 868),
            ("updates", 1260, 846, 1352, 874),
            ("for", 1362, 845, 1396, 868),
            ("a", 1411, 853, 1417, 867),
            ("work", 1425, 845, 1488, 868),
        ],
        9,
        14,
    ),
    boxed(
        [
            ("that", 660, 885, 704, 906),
            ("has", 712, 885, 752, 907),
            ("been", 761, 885, 818, 907),
            ("modified", 826, 884, 936, 907),
            ("or", 945, 891, 969, 906),
            ("installed", 977, 885, 1080, 907),
            ("by", 1088, 885, 1118, 913),
            ("the", 1127, 885, 1163, 907),
            ("recipient,", 1172, 885, 1284, 913),
            ("or", 1294, 892, 1318, 907),
            ("for", 1327, 884, 1362, 907),
            ("the", 1371, 885, 1406, 907),
            ("User", 1414, 886, 1472, 907),
        ],
        9,
        14,
    ),
    boxed(
        [
            ("Product", 660, 927, 754, 949),
            ("in", 761, 927, 784, 949),
            ("which", 793, 927, 867, 949),
            ("it", 875, 927, 892, 949),
            ("has", 900, 927, 940, 949),
            ("been", 948, 927, 1005, 949),
        ],
        9,
        14,
    ),
]
"""A CV's sidebar and main column as Tesseract read a 200 DPI JPEG of it (Chromium print):
the sidebar's list of skills, one word a bullet, its last two items level with a job entry's
heading and first line."""


def test_a_sidebar_lists_last_items_beside_a_cvs_entries_are_not_terms() -> None:
    # Read as a term list before: "• The This Way, 2011-2013", "• A your program is ...",
    # and the job entries after it out of order. The term column's paragraph began two items
    # above the first "term": the tail of a list beside running text, not terms.
    got = _read(CV)
    skills = ["• Different", "• It", "• Included", "• Attributed", "• The", "• A"]
    assert got[5:11] == skills, got
    assert got.index("This Way, 2011-2013") < got.index("Provision Of, 2012-2014"), got


CV_WRAPPED = [
    boxed([("Contact", 273, 284, 412, 313)], 1, 1),
    boxed([("jane.doe@example.com", 270, 380, 672, 418)], 2, 2),
    boxed(
        [
            ("+44", 273, 438, 336, 466),
            ("20", 349, 438, 387, 466),
            ("7946", 402, 438, 482, 466),
            ("0000", 494, 438, 574, 466),
        ],
        2,
        2,
    ),
    boxed([("London", 273, 493, 400, 523)], 2, 2),
    boxed([("Skills", 273, 593, 368, 623)], 3, 3),
    boxed([("•", 349, 700, 362, 713), ("Python", 398, 690, 515, 728)], 4, 4),
    boxed([("•", 349, 756, 362, 769), ("Go", 398, 747, 446, 776)], 4, 5),
    boxed([("•", 349, 813, 362, 826), ("Kubernetes", 398, 802, 585, 832)], 4, 6),
    boxed([("•", 349, 868, 362, 881), ("Terraform", 398, 858, 564, 889)], 4, 6),
    boxed([("•", 349, 925, 362, 937), ("SQL", 399, 916, 474, 952)], 4, 6),
    boxed([("• C", 349, 972, 422, 1001)], 4, 6),
    boxed([("Jane", 992, 327, 1169, 389), ("Doe", 1196, 327, 1345, 389)], 5, 7),
    boxed([("Experience", 990, 497, 1242, 547)], 6, 8),
    boxed(
        [
            ("Platform", 990, 618, 1162, 650),
            ("Engineer,", 1175, 618, 1362, 661),
            ("2019-2023", 1378, 618, 1573, 650),
        ],
        7,
        9,
    ),
    boxed(
        [
            ("Ran", 990, 681, 1061, 713),
            ("the", 1074, 680, 1127, 713),
            ("build", 1142, 680, 1234, 713),
            ("and", 1247, 680, 1311, 713),
            ("deployment", 1326, 680, 1539, 722),
            ("platform", 1552, 680, 1709, 722),
            ("for", 1722, 680, 1774, 713),
            ("forty", 1788, 680, 1874, 722),
            ("teams,", 1887, 687, 2001, 718),
            ("moved", 2017, 680, 2140, 713),
        ],
        7,
        10,
    ),
    boxed(
        [
            ("every", 990, 753, 1089, 785),
            ("service", 1102, 744, 1229, 776),
            ("to", 1244, 750, 1276, 776),
            ("containers", 1291, 744, 1476, 776),
            ("and", 1491, 743, 1555, 776),
            ("cut", 1568, 750, 1622, 776),
            ("the", 1636, 743, 1688, 776),
            ("time", 1703, 744, 1782, 776),
            ("from", 1796, 743, 1883, 776),
            ("commit", 1896, 744, 2035, 776),
            ("to", 2046, 750, 2080, 776),
        ],
        7,
        10,
    ),
    boxed(
        [
            ("production", 990, 805, 1185, 848),
            ("from", 1199, 804, 1286, 838),
            ("a", 1288, 798, 1308, 854),
            ("day", 1332, 805, 1396, 848),
            ("to", 1408, 811, 1441, 838),
            ("an", 1456, 816, 1497, 838),
            ("hour.", 1510, 805, 1599, 838),
        ],
        7,
        10,
    ),
    boxed(
        [
            ("Site", 990, 912, 1061, 944),
            ("Reliability", 1074, 912, 1276, 954),
            ("Lead,", 1289, 912, 1396, 950),
            ("2016-2019", 1412, 914, 1608, 946),
        ],
        8,
        11,
    ),
    boxed(
        [
            ("Set", 991, 975, 1047, 1007),
            ("up", 1058, 984, 1102, 1016),
            ("on-call", 1117, 975, 1241, 1007),
            ("rotas,", 1254, 981, 1352, 1013),
            ("error", 1367, 984, 1454, 1007),
            ("budgets", 1466, 975, 1606, 1016),
            ("and", 1621, 975, 1685, 1007),
            ("the", 1698, 975, 1753, 1007),
            ("postmortem", 1766, 981, 1983, 1016),
            ("process", 1997, 984, 2131, 1016),
            ("for", 2146, 973, 2197, 1007),
            ("a", 2210, 984, 2229, 1007),
        ],
        8,
        11,
    ),
    boxed(
        [
            ("payments", 988, 1044, 1162, 1079),
            ("company", 1177, 1047, 1343, 1079),
            ("of", 1356, 1036, 1393, 1070),
            ("three", 1405, 1038, 1494, 1070),
            ("hundred", 1507, 1038, 1656, 1070),
            ("people.", 1669, 1038, 1799, 1079),
        ],
        8,
        11,
    ),
    boxed(
        [
            ("Systems", 990, 1144, 1144, 1185),
            ("Administrator,", 1155, 1143, 1446, 1181),
            ("2012-2016", 1462, 1144, 1658, 1177),
        ],
        9,
        12,
    ),
    boxed(
        [
            ("Looked", 990, 1206, 1127, 1239),
            ("after", 1140, 1206, 1223, 1239),
            ("the", 1235, 1206, 1289, 1239),
            ("mail,", 1302, 1206, 1392, 1244),
            ("file", 1408, 1206, 1466, 1239),
            ("and", 1481, 1206, 1544, 1239),
            ("database", 1558, 1206, 1713, 1239),
            ("servers", 1728, 1216, 1853, 1239),
            ("of", 1868, 1206, 1905, 1239),
            ("a", 1918, 1216, 1935, 1239),
            ("university", 1948, 1207, 2131, 1248),
        ],
        9,
        12,
    ),
    boxed(
        [
            ("department,", 990, 1269, 1203, 1310),
            ("and", 1219, 1269, 1282, 1301),
            ("wrote", 1295, 1275, 1397, 1301),
            ("its", 1411, 1269, 1451, 1301),
            ("backup", 1465, 1269, 1596, 1310),
            ("tooling.", 1609, 1269, 1747, 1310),
        ],
        9,
        12,
    ),
]
"""Another CV's sidebar and main column as Tesseract read a 300 DPI JPEG of it: its list of
skills starts level with the first job's description, whose lines wrap beside the items."""


def test_a_sidebar_list_level_with_a_wrapped_paragraph_is_no_table() -> None:
    # Read as a two-column table before: "| • Python | Ran the build and deployment platform
    # for forty teams, moved |", "| • Go | every service to containers ... |". A sentence
    # wrapping from row to row beside a new item on each is no table's cell.
    items = layout.build_page(CV_WRAPPED)
    assert not any(isinstance(i, Table) for i in items), items
    got = [ln for i in items if isinstance(i, Paragraph) for ln in i.lines]
    assert [ln for ln in got if ln.startswith("•")] == [
        "• Python",
        "• Go",
        "• Kubernetes",
        "• Terraform",
        "• SQL",
        "• C",
    ], got
