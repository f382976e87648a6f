"""Reading a job's input files into line refs, validating every line on the way.

Used when a job is created (the ``validating`` step) and when a single node resumes its jobs
after a restart: the input files are the source of truth, so the refs can always be rebuilt.
Each line is parsed (``custom_id``, ``body``, optional ``method``/``url``) in a worker thread;
``custom_id`` values must be unique within the job. At most :data:`MAX_ERRORS` problems are
reported, each naming its line.
"""

from __future__ import annotations

from collections.abc import Sequence

import anyio.to_thread

from ..blob import Blob
from ..errors import BadRequestError
from ..files.store import FileStore
from ..jsondepth import DEFAULT_MAX_DEPTH
from .protocol import JobError, parse_line
from .queue import LineRef

__all__ = ("MAX_ERRORS", "scan_inputs")

MAX_ERRORS = 100


def _scan_blob(
    blob: Blob,
    file_id: str,
    job_id: str,
    tenant: str,
    endpoint: str,
    start: int,
    seen: set[str],
    errors: list[JobError],
    limit: int,
    max_depth: int,
) -> list[LineRef]:
    refs: list[LineRef] = []
    offset = 0
    index = start
    limit -= start
    with blob.open() as f:
        for raw in f:
            length = len(raw.rstrip(b"\r\n"))
            if raw.strip():
                if len(refs) > limit:
                    break  # over the cap already: the job fails, no need to read on
                try:
                    line = parse_line(raw[:length], index, endpoint, max_depth)
                except BadRequestError as exc:
                    if len(errors) < MAX_ERRORS:
                        errors.append(
                            JobError(message=exc.message, line=index + 1, param=exc.param)
                        )
                else:
                    if line.custom_id in seen:
                        if len(errors) < MAX_ERRORS:
                            errors.append(
                                JobError(
                                    message=f"line {index + 1}: custom_id {line.custom_id!r} is "
                                    "used by an earlier line",
                                    line=index + 1,
                                    param="custom_id",
                                    code="duplicate_custom_id",
                                )
                            )
                    else:
                        seen.add(line.custom_id)
                        refs.append(LineRef(job_id, tenant, file_id, offset, length, index))
                index += 1
            offset += len(raw)
    return refs


async def scan_inputs(
    files: FileStore,
    tenant: str,
    job_id: str,
    file_ids: Sequence[str],
    endpoint: str,
    max_lines: int,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> tuple[list[LineRef], list[JobError]]:
    """The line refs of every input file, and the problems found (empty when valid).

    Raises:
        NotFoundError: an input file is not ``tenant``'s (``param`` names it).
    """
    refs: list[LineRef] = []
    errors: list[JobError] = []
    seen: set[str] = set()
    for n, file_id in enumerate(file_ids):
        record = await files.get(tenant, file_id, param=f"input_files[{n}]")
        blob = await files.blob(record)
        try:
            refs += await anyio.to_thread.run_sync(
                _scan_blob,
                blob,
                file_id,
                job_id,
                tenant,
                endpoint,
                len(refs),
                seen,
                errors,
                max_lines,
                max_depth,
            )
        finally:
            blob.close()
    if not refs and not errors:
        errors.append(JobError(message="the input has no lines", code="empty_file"))
    if len(refs) > max_lines:
        errors.append(
            JobError(
                message=f"the input has more than {max_lines} lines ([batches] max_lines)",
                code="too_many_lines",
            )
        )
    return refs, errors
