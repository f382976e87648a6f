"""The openai SDK (1.x or current) through files and a chat-completions batch.

Run as ``python openai_batch.py BASE_URL KEY LINES_JSONL``; prints one JSON report.
"""

from __future__ import annotations

import json
import sys
import time
from importlib.metadata import version

import openai


def main() -> None:
    base_url, key, lines_path = sys.argv[1:4]
    client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)
    report: dict[str, object] = {"sdk": version("openai")}
    with open(lines_path, "rb") as f:
        uploaded = client.files.create(file=("lines.jsonl", f.read()), purpose="batch")
    report["file"] = {"id": uploaded.id, "purpose": uploaded.purpose, "bytes": uploaded.bytes}
    batch = client.batches.create(
        input_file_id=uploaded.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"run": "sdk"},
    )
    seen = [batch.status]
    deadline = time.monotonic() + 120
    while batch.status not in ("completed", "failed", "cancelled") and time.monotonic() < deadline:
        time.sleep(0.3)
        batch = client.batches.retrieve(batch.id)
        if batch.status != seen[-1]:
            seen.append(batch.status)
    counts = batch.request_counts
    report["batch"] = {
        "status": batch.status,
        "statuses": seen,
        "counts": [counts.total, counts.completed, counts.failed] if counts else None,
        "output_file_id": batch.output_file_id,
        "error_file_id": batch.error_file_id,
    }
    out = client.files.content(batch.output_file_id).text
    report["outputs"] = {
        line["custom_id"]: line["response"]["body"]["choices"][0]["message"]["content"]
        for line in map(json.loads, out.splitlines())
    }
    if batch.error_file_id:
        errors = client.files.content(batch.error_file_id).text
        report["errors"] = {
            line["custom_id"]: line["response"]["status_code"]
            for line in map(json.loads, errors.splitlines())
        }
    report["listed"] = [b.id for b in client.batches.list(limit=10).data]
    report["files"] = [f.id for f in client.files.list().data]
    report["retrieved"] = client.files.retrieve(uploaded.id).filename
    report["deleted"] = client.files.delete(batch.output_file_id).deleted
    second = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    cancelled = client.batches.cancel(second.id)
    report["cancel"] = cancelled.status
    print(json.dumps(report))


if __name__ == "__main__":
    main()
