"""The attribute names the gateway's spans carry: OpenTelemetry semantic conventions (HTTP,
GenAI) plus a few ``aigateway.*`` ones, as plain strings.

Plain strings rather than the ``opentelemetry-semantic-conventions`` package: the GenAI names
live in its "incubating" modules, which move between releases, and this module must import
nothing (the callers that use these names run whether tracing is on or off).
"""

from __future__ import annotations

__all__ = (
    "GEN_AI_OPERATION",
    "GEN_AI_PROVIDER",
    "GEN_AI_REQUEST_MODEL",
    "GEN_AI_RESPONSE_FINISH_REASONS",
    "GEN_AI_RESPONSE_ID",
    "GEN_AI_RESPONSE_MODEL",
    "GEN_AI_SYSTEM",
    "GEN_AI_USAGE_INPUT_TOKENS",
    "GEN_AI_USAGE_OUTPUT_TOKENS",
    "provider_name",
)

GEN_AI_OPERATION = "gen_ai.operation.name"
"""``chat``, ``embeddings`` or ``ocr`` (OCR has no well-known value yet: a custom one)."""
GEN_AI_PROVIDER = "gen_ai.provider.name"
GEN_AI_SYSTEM = "gen_ai.system"
"""The older name of ``gen_ai.provider.name``, still what many backends index."""
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"

_WELL_KNOWN = {
    # adapter name -> gen_ai.provider.name (the convention's well-known values where one fits)
    "openai": "openai",
    "mistral": "mistral_ai",
    "azure_docintel": "azure.ai.document_intelligence",
    "openai_vision": "openai",
    "alphaedge": "alphaedge",
    "local": "aigateway.local",
}


def provider_name(adapter: str) -> str:
    """``gen_ai.provider.name`` for the adapter named ``adapter`` in the config."""
    return _WELL_KNOWN.get(adapter, adapter)
