"""Safe download of document URLs: the SSRF guard, the size cap and the timeouts.

A caller's ``document_url`` makes the gateway open a connection on the caller's behalf, so the
fetcher refuses anything that could reach the gateway's own network:

* only ``http`` and ``https`` URLs;
* every address a host resolves to is checked at the moment of connecting, against private,
  loopback, link-local, metadata and other non-public ranges (:mod:`.guard`), so no DNS answer
  and no redirect hop gets past it;
* redirects are followed by hand, up to ``[fetch] max_redirects``;
* the body is capped on *decoded* bytes (a gzip bomb stops at the cap) after a first look at
  ``Content-Length``, and spooled to disk past 1 MiB.

``[fetch] allow_private = true`` disables the address check; ``allow_hosts`` exempts named hosts
(``"docs.internal"`` exactly, ``"*.internal"`` for its subdomains).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from urllib.parse import unquote

import anyio
import httpx

from ...blob import Blob, SpoolingWriter
from ...config import FetchConfig
from ...errors import BadRequestError, PayloadTooLargeError, UpstreamError, UpstreamTimeoutError
from ..transport import PinnedTransport
from .guard import Guard, GuardedBackend, Refused, Resolver, Unresolvable, system_resolver

__all__ = ("Fetched", "Fetcher")

_REDIRECTS = frozenset({301, 302, 303, 307, 308})

# Media types that say nothing about the document; the caller's type detection (magic bytes)
# must not be overridden by them.
_GENERIC_TYPES = frozenset(
    {
        "application/octet-stream",
        "binary/octet-stream",
        "application/binary",
        "application/download",
        "application/x-download",
        "application/force-download",
        "application/unknown",
    }
)


@dataclass(frozen=True)
class Fetched:
    """A downloaded document."""

    blob: Blob
    content_type: str | None
    """Media type from the response (parameters stripped); ``None`` when absent or generic."""
    filename: str | None
    """From ``Content-Disposition``, else the last segment of the final URL's path."""


def _display(url: httpx.URL) -> str:
    """The URL for messages: no credentials, no query (pre-signed URLs carry secrets there)."""
    port = f":{url.port}" if url.port is not None else ""
    host = f"[{url.host}]" if ":" in url.host else url.host
    path = url.path if len(url.path) <= 80 else url.path[:77] + "..."
    return f"{url.scheme}://{host}{port}{path}"


_CD_STAR = re.compile(r"filename\*\s*=\s*(?:[\w-]+)?'[^']*'([^;]+)", re.IGNORECASE)
_CD_PLAIN = re.compile(r'filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))', re.IGNORECASE)


def _filename(response: httpx.Response) -> str | None:
    cd = response.headers.get("content-disposition", "")
    m = _CD_STAR.search(cd)
    name: str | None = None
    if m:
        name = unquote(m.group(1).strip())
    else:
        m = _CD_PLAIN.search(cd)
        if m:
            name = m.group(1) if m.group(1) is not None else m.group(2)
    if not name:
        name = unquote(response.url.path.rsplit("/", 1)[-1])
    # Only the base name: a remote server must not steer anything towards a path.
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or None


def _content_type(response: httpx.Response) -> str | None:
    value = str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()
    if not value or value in _GENERIC_TYPES:
        return None
    return value


class Fetcher:
    """Downloads document URLs for the OCR service with the SSRF guard and limits of ``config``.

    One per app (owned by the registry); it holds one pooled httpx client, closed by
    :meth:`aclose`.
    """

    def __init__(self, config: FetchConfig, *, resolver: Resolver | None = None) -> None:
        self.config = config
        self._guard = Guard(config, resolver or system_resolver)
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=10, keepalive_expiry=15)
        self._client = httpx.AsyncClient(
            # Every connection goes through the guard's backend (and our cheaper pool checks).
            transport=PinnedTransport(limits, GuardedBackend(self._guard)),
            timeout=httpx.Timeout(
                config.read_timeout,
                connect=config.connect_timeout,
                pool=config.connect_timeout,
            ),
            follow_redirects=False,
            trust_env=False,
            # No br/zstd: only encodings we can inflate with a bounded output (see _read).
            headers={
                "User-Agent": "aigateway-fetch",
                "Accept": "*/*",
                "Accept-Encoding": "gzip, deflate",
            },
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    def _parse(self, raw: str, field: str, *, via: str | None = None) -> httpx.URL:
        what = f"{field} redirects to a URL that" if via else field
        try:
            url = httpx.URL(raw)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise BadRequestError(f"{what} is not a valid URL ({exc})", param=field) from None
        if url.scheme not in ("http", "https"):
            shown = url.scheme or "no scheme"
            raise BadRequestError(
                f"{what} must be an http(s) URL (got {shown}); send other documents inline "
                "as base64 or a data URI",
                param=field,
            )
        if not url.host:
            raise BadRequestError(f"{what} has no host", param=field)
        try:
            self._guard.check_literal(url.host)
        except Refused as exc:
            raise self._refusal(field, exc, via=via) from None
        return url

    @staticmethod
    def _refusal(field: str, exc: Refused, *, via: str | None) -> BadRequestError:
        host = exc.host.strip("[]")
        subject = f"{field} redirects (from {via}) to {host}, which" if via else field
        if host == exc.ip:
            what = f"points to {exc.ip}, {exc.why}" if not via else f"is {exc.why}"
        else:
            what = f"resolves to {exc.ip}, {exc.why}"
        return BadRequestError(
            f"{subject} {what}; the gateway does not fetch private addresses",
            param=field,
            code="url_not_allowed",
        )

    async def fetch(self, url: str, *, max_bytes: int, field: str) -> Fetched:
        """Download ``url`` (at most ``max_bytes`` decoded bytes).

        Raises:
            BadRequestError: invalid or refused URL, remote 4xx, too many redirects (``param`` is
                ``field``).
            PayloadTooLargeError: the document is larger than ``max_bytes``.
            UpstreamError: remote 5xx, connection failure, malformed response.
            UpstreamTimeoutError: the remote did not answer in time.
        """
        current = self._parse(url, field)
        try:
            with anyio.fail_after(self.config.total_timeout):
                return await self._follow(current, max_bytes, field)
        except TimeoutError:
            raise UpstreamTimeoutError(
                f"{field}: the download did not finish within {self.config.total_timeout:g} s"
            ) from None

    async def post(
        self, url: str, body: bytes, *, headers: dict[str, str], field: str = "webhook_url"
    ) -> int:
        """POST ``body`` to ``url`` through the same guard (webhooks); returns the status.

        Redirects are not followed (a POST must not be replayed elsewhere): a 3xx is returned
        as it is. At most 64 KiB of the answer is read, then the connection is closed.

        Raises:
            BadRequestError: invalid or refused URL (``param`` is ``field``).
            UpstreamError: connection failure.
            UpstreamTimeoutError: no answer within ``[fetch] total_timeout``.
        """
        target = self._parse(url, field)
        shown = _display(target)
        request = self._client.build_request(
            "POST", target, content=body, headers={"Accept-Encoding": "identity", **headers}
        )
        try:
            with anyio.fail_after(self.config.total_timeout):
                try:
                    response = await self._client.send(request, stream=True)
                except Refused as exc:
                    raise self._refusal(field, exc, via=None) from None
                try:
                    read = 0
                    async for chunk in response.aiter_raw():
                        read += len(chunk)
                        if read > 65536:
                            break
                finally:
                    await response.aclose()
                return response.status_code
        except TimeoutError:
            raise UpstreamTimeoutError(f"{field}: {shown} did not answer in time") from None
        except Unresolvable as exc:
            raise BadRequestError(
                f"{field}: the host {exc.host} does not resolve", param=field
            ) from None
        except httpx.TimeoutException:
            raise UpstreamTimeoutError(f"{field}: {shown} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"{field}: posting to {shown} failed ({type(exc).__name__})"
            ) from None

    async def _follow(self, current: httpx.URL, max_bytes: int, field: str) -> Fetched:
        via: str | None = None
        try:
            for _hop in range(self.config.max_redirects + 1):
                shown = _display(current)
                try:
                    response = await self._client.send(
                        self._client.build_request("GET", current), stream=True
                    )
                except Refused as exc:
                    raise self._refusal(field, exc, via=via) from None
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        via = shown
                        try:
                            target = current.join(location)
                        except (httpx.InvalidURL, ValueError):
                            target = None
                        if target is None:
                            raise BadRequestError(
                                f"{field}: {shown} redirects to an invalid URL", param=field
                            )
                        current = self._parse(str(target), field, via=via)
                        continue
                    self._check_status(response, field, shown)
                    return await self._read(response, max_bytes, field, shown)
                finally:
                    await response.aclose()
            raise BadRequestError(
                f"{field}: more than {self.config.max_redirects} redirects (last: {via})",
                param=field,
                code="too_many_redirects",
            )
        except Unresolvable as exc:
            raise BadRequestError(
                f"{field}: the host {exc.host} does not resolve", param=field
            ) from None
        except httpx.TimeoutException:
            raise UpstreamTimeoutError(
                f"{field}: {_display(current)} did not answer in time"
            ) from None
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"{field}: downloading {_display(current)} failed ({type(exc).__name__})"
            ) from None

    @staticmethod
    def _check_status(response: httpx.Response, field: str, shown: str) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        reason = response.reason_phrase or ""
        if 400 <= status < 500:
            raise BadRequestError(
                f"{field}: {shown} answered {status} {reason}".rstrip(),
                param=field,
                code="url_fetch_failed",
            )
        raise UpstreamError(f"{field}: {shown} answered {status} {reason}".rstrip())

    @staticmethod
    async def _read(response: httpx.Response, max_bytes: int, field: str, shown: str) -> Fetched:
        def too_large() -> PayloadTooLargeError:
            return PayloadTooLargeError(
                f"{field}: the document at {shown} is larger than the limit of {max_bytes} bytes",
                param=field,
            )

        declared = response.headers.get("content-length", "")
        if declared.isdecimal() and int(declared) > max_bytes:
            raise too_large()
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise BadRequestError(
                f"{field}: the server at {shown} sent Content-Encoding {encoding!r}, which the "
                "gateway does not decode",
                param=field,
            )
        writer = SpoolingWriter()
        # Decompressed here, not by httpx, so every step is bounded: zlib never returns more
        # than the room left under the cap, and a gzip bomb stops at max_bytes + 1 bytes.
        inflate = zlib.decompressobj(47) if encoding not in ("", "identity") else None
        try:
            async for raw in response.aiter_raw():
                if inflate is None:
                    chunk = raw
                else:
                    try:
                        chunk = inflate.decompress(raw, max_bytes - writer.size + 1)
                        while inflate.unconsumed_tail and writer.size + len(chunk) <= max_bytes:
                            writer.write(chunk)
                            chunk = inflate.decompress(
                                inflate.unconsumed_tail, max_bytes - writer.size + 1
                            )
                    except zlib.error:
                        raise BadRequestError(
                            f"{field}: the server at {shown} sent a corrupt {encoding} body",
                            param=field,
                        ) from None
                if writer.size + len(chunk) > max_bytes:
                    raise too_large()
                writer.write(chunk)
        except BaseException:
            writer.discard()
            raise
        return Fetched(writer.finish(), _content_type(response), _filename(response))
