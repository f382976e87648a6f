"""What every operation builder shares: the context it gets and the response helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import Settings
from ..http.routes import RouteSpec
from .components import REF, error_response_name

__all__ = ("SAMPLE_PDF", "OperationContext", "errors", "ok", "schema")

SAMPLE_PDF = (
    "data:application/pdf;base64,JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PCAvVHlwZSAvUGFnZXMgL0tpZHMg"
    "WzQgMCBSXSAvQ291bnQgMSA+PgplbmRvYmoKMiAwIG9iago8PCAvVHlwZSAvRm9udCAvU3VidHlwZSAvVHlwZTEg"
    "L0Jhc2VGb250IC9IZWx2ZXRpY2EgL0VuY29kaW5nIC9XaW5BbnNpRW5jb2RpbmcgPj4KZW5kb2JqCjMgMCBvYmoK"
    "PDwgIC9MZW5ndGggNjcgPj4Kc3RyZWFtCkJUCi9GMSAxMSBUZiAxNS40IFRMIDAgVHIgNTYgNzcwIFRkCihIZWxs"
    "byBmcm9tIGFpZ2F0ZXdheSkgVGogVCoKRVQKZW5kc3RyZWFtCmVuZG9iago0IDAgb2JqCjw8IC9UeXBlIC9QYWdl"
    "IC9QYXJlbnQgMSAwIFIgL01lZGlhQm94IFswIDAgNTk1IDg0Ml0gL1JvdGF0ZSAwIC9SZXNvdXJjZXMgPDwgL0Zv"
    "bnQgPDwgL0YxIDIgMCBSID4+ICA+PiAvQ29udGVudHMgMyAwIFIgPj4KZW5kb2JqCjUgMCBvYmoKPDwgL1R5cGUg"
    "L0NhdGFsb2cgL1BhZ2VzIDEgMCBSID4+CmVuZG9iagp4cmVmCjAgNgowMDAwMDAwMDAwIDY1NTM1IGYgCjAwMDAw"
    "MDAwMTUgMDAwMDAgbiAKMDAwMDAwMDA3MiAwMDAwMCBuIAowMDAwMDAwMTY5IDAwMDAwIG4gCjAwMDAwMDAyODcg"
    "MDAwMDAgbiAKMDAwMDAwMDQyNCAwMDAwMCBuIAp0cmFpbGVyCjw8IC9TaXplIDYgL1Jvb3QgNSAwIFIgPj4Kc3Rh"
    "cnR4cmVmCjQ3MwolJUVPRgo="
)
"""A one-page PDF with a text layer ("Hello from aigateway"): the examples' document."""


@dataclass(frozen=True)
class OperationContext:
    """What a builder may know: the settings, the handler's route (if any), auth on/off."""

    settings: Settings
    route: RouteSpec | None
    auth: bool
    disclose: bool
    """Whether entity ids and model names may appear (not when tenants exist: the document
    is public, and only ``GET /v1/models`` with a key says what a tenant may use)."""


def schema(name: str) -> dict[str, str]:
    return {"$ref": REF.format(name=name)}


def errors(ctx: OperationContext, *statuses: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    wanted = list(statuses)
    if ctx.auth:
        wanted += ["401", "403", "429"]
    if not ctx.settings.state.fail_open and ctx.auth:
        wanted.append("503")
    for status in sorted(set(wanted), key=lambda s: s.replace("X", "9")):
        out[status] = {"$ref": f"#/components/responses/{error_response_name(status)}"}
    return out


def ok(
    description: str,
    content: dict[str, Any],
    *,
    provider: bool = False,
    cost: bool = False,
    cache: bool = False,
) -> dict[str, Any]:
    headers: dict[str, Any] = {"x-request-id": {"$ref": "#/components/headers/RequestId"}}
    if provider:
        headers["x-aigateway-provider"] = {"$ref": "#/components/headers/Provider"}
    if cost:
        headers["x-aigateway-cost"] = {"$ref": "#/components/headers/Cost"}
    if cache:
        headers["x-aigateway-cache"] = {"$ref": "#/components/headers/Cache"}
    return {"description": description, "headers": headers, "content": content}
