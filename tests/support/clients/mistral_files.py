"""The mistralai SDK (1.x or current) through files, signed URLs, OCR and a batch job.

Run as ``python mistral_files.py URL KEY PDF LINES_JSONL``; prints one JSON report. Works with
both majors (``from mistralai.client import Mistral`` in 2.x+, ``from mistralai`` in 1.x).
"""

from __future__ import annotations

import json
import sys
import time

try:
    from mistralai.client import Mistral
except ImportError:  # 1.x
    from mistralai import Mistral

import mistralai


def main() -> None:
    url, key, pdf_path, lines_path = sys.argv[1:5]
    client = Mistral(api_key=key, server_url=url)
    report: dict[str, object] = {"sdk": getattr(mistralai, "__version__", "?")}
    try:
        from importlib.metadata import version

        report["sdk"] = version("mistralai")
    except Exception:
        pass
    with open(pdf_path, "rb") as f:
        pdf = f.read()
    up = client.files.upload(file={"file_name": "report.pdf", "content": pdf}, purpose="ocr")
    report["upload"] = {"id": up.id, "bytes": up.size_bytes, "purpose": up.purpose}
    got = client.files.retrieve(file_id=up.id)
    report["retrieve"] = {"filename": got.filename, "deleted": got.deleted}
    signed = client.files.get_signed_url(file_id=up.id, expiry=1)
    report["signed_url"] = signed.url
    ocr = client.ocr.process(
        model="local", document={"type": "document_url", "document_url": signed.url}
    )
    report["ocr_signed"] = [p.markdown for p in ocr.pages]
    by_id = client.ocr.process(model="local", document={"type": "file", "file_id": up.id})
    report["ocr_file_id"] = [p.markdown for p in by_id.pages]
    with open(lines_path, "rb") as f:
        lines = f.read()
    batch_file = client.files.upload(
        file={"file_name": "lines.jsonl", "content": lines}, purpose="batch"
    )
    job = client.batch.jobs.create(
        input_files=[batch_file.id], endpoint="/v1/ocr", model="local", metadata={"run": "sdk"}
    )
    report["created_status"] = job.status
    deadline = time.monotonic() + 240
    while job.status in ("QUEUED", "RUNNING") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = client.batch.jobs.get(job_id=job.id)
    report["job"] = {
        "status": job.status,
        "total": job.total_requests,
        "succeeded": job.succeeded_requests,
        "failed": job.failed_requests,
        "output_file": job.output_file,
        "metadata": job.metadata,
    }
    out = client.files.download(file_id=job.output_file).read().decode()
    results = {}
    for raw in out.splitlines():
        line = json.loads(raw)
        body = line["response"]["body"]
        results[line["custom_id"]] = body["pages"][0]["markdown"]
    report["outputs"] = results
    report["jobs_listed"] = [j.id for j in (client.batch.jobs.list().data or [])]
    second = client.batch.jobs.create(
        input_files=[batch_file.id], endpoint="/v1/ocr", model="local"
    )
    report["cancel"] = client.batch.jobs.cancel(job_id=second.id).status
    if hasattr(client.batch.jobs, "delete"):  # 3.x; 1.x has no delete
        report["job_deleted"] = client.batch.jobs.delete(job_id=job.id).deleted
    report["files_listed"] = len(client.files.list().data)
    deleted = client.files.delete(file_id=up.id)
    report["deleted"] = deleted.deleted
    print(json.dumps(report))


if __name__ == "__main__":
    main()
