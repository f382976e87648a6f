"""Client side of the served layout test: the mistralai SDK asks for tables and images.

    python mistral_layout.py BASE_URL PATH [MEDIA_TYPE]

Prints one JSON report of what the SDK parsed: per page the markdown, the images (id, integer
box, data URI prefix and length) and the tables (id, format, content), or the error.
"""

from __future__ import annotations

import base64
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any


def main() -> None:
    base_url, pdf_path = sys.argv[1:3]
    media = sys.argv[3] if len(sys.argv) > 3 else "application/pdf"
    from mistralai.client import Mistral  # 2.x and later

    client: Any = Mistral(api_key="unused-key", server_url=base_url)
    pdf = base64.b64encode(Path(pdf_path).read_bytes()).decode()
    report: dict[str, Any] = {"sdk": version("mistralai")}
    try:
        resp = client.ocr.process(
            model="local",
            document={"type": "document_url", "document_url": f"data:{media};base64,{pdf}"},
            include_image_base64=True,
            image_min_size=20,
            table_format="html",
        )
        report["pages"] = [
            {
                "index": p.index,
                "markdown": p.markdown,
                "dimensions": [p.dimensions.dpi, p.dimensions.width, p.dimensions.height],
                "images": [
                    {
                        "id": im.id,
                        "box": [im.top_left_x, im.top_left_y, im.bottom_right_x, im.bottom_right_y],
                        "data": (im.image_base64 or "")[:23],
                        "length": len(im.image_base64 or ""),
                    }
                    for im in p.images
                ],
                "tables": [
                    {"id": t.id, "format": str(t.format_), "content": t.content}
                    for t in p.tables or []
                ],
            }
            for p in resp.pages
        ]
    except Exception as exc:  # reported, the test asserts on it
        report["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(report))


if __name__ == "__main__":
    main()
