"""An S3-compatible server process for the storage tests: moto's standalone server on
127.0.0.1 (``python -m moto.server``), started and stopped here, with one bucket created."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from .server import free_port

__all__ = ("S3Server", "s3_server")


@dataclass
class S3Server:
    """A running moto server: its endpoint URL and the bucket made for the test."""

    endpoint: str
    bucket: str
    process: subprocess.Popen[bytes]

    def object_keys(self) -> list[str]:
        """Every key in the bucket (moto answers unsigned requests)."""
        text = httpx.get(f"{self.endpoint}/{self.bucket}?list-type=2", timeout=10).text
        return [part.split("</Key>")[0] for part in text.split("<Key>")[1:]]


@contextmanager
def s3_server(bucket: str = "aigw-test") -> Iterator[S3Server]:
    """Start ``moto.server`` on a free port, create ``bucket``, stop it on exit."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        httpx.put(f"{endpoint}/{bucket}", timeout=10).raise_for_status()
        yield S3Server(endpoint, bucket, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
