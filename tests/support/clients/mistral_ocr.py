"""Client side of the mistralai SDK test: run with any venv's python against a gateway.

    python mistral_ocr.py BASE_URL PDF PNG [API_KEY]

Prints one JSON report: the SDK version, and for each call the text it parsed (or the error).
It imports the SDK the way its major version wants (2.x+: ``mistralai.client``).
"""

from __future__ import annotations

import base64
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any


def main() -> None:
    base_url, pdf_path, png_path = sys.argv[1:4]
    key = sys.argv[4] if len(sys.argv) > 4 else "unused-key"
    try:
        from mistralai.client import Mistral  # 2.x and later
    except ImportError:
        from mistralai import Mistral  # 1.x

    client: Any = Mistral(api_key=key, server_url=base_url)
    pdf = base64.b64encode(Path(pdf_path).read_bytes()).decode()
    png = base64.b64encode(Path(png_path).read_bytes()).decode()
    report: dict[str, Any] = {"sdk": version("mistralai")}
    calls = {
        "pdf": dict(
            model="local",
            document={"type": "document_url", "document_url": f"data:application/pdf;base64,{pdf}"},
        ),
        "pdf_pages": dict(
            model="local",
            document={"type": "document_url", "document_url": f"data:application/pdf;base64,{pdf}"},
            pages=[1],
        ),
        "png": dict(
            model="local",
            document={"type": "image_url", "image_url": f"data:image/png;base64,{png}"},
            include_image_base64=True,
        ),
    }
    for name, kwargs in calls.items():
        try:
            resp = client.ocr.process(**kwargs)
            report[name] = {
                "model": resp.model,
                "pages": [{"index": p.index, "markdown": p.markdown} for p in resp.pages],
                "pages_processed": resp.usage_info.pages_processed,
                "dimensions": [
                    None if p.dimensions is None else [p.dimensions.width, p.dimensions.height]
                    for p in resp.pages
                ],
            }
        except Exception as exc:  # reported, the test asserts on it
            report[name] = {"error": f"{type(exc).__name__}: {exc}"}
    try:
        client.ocr.process(
            model="local",
            document={"type": "document_url", "document_url": "data:application/pdf;base64,AAAA"},
        )
        report["bad"] = {"error": None}
    except Exception as exc:
        report["bad"] = {"error": type(exc).__name__, "status": getattr(exc, "status_code", None)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
