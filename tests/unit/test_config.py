"""Config validation: every kind of mistake is a ConfigError naming the file and the key path.

Mistakes a type can catch are msgspec's (``$.server.port``); the rest are :mod:`aigateway.config`
checks; what only building can check (provider names and options, keys, ``[state] url``) is
reported when the app (or ``aigateway check``) builds it, with the same key paths.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aigateway import create_app, load_config, parse_config
from aigateway.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

OCR = '[[ocr_models]]\nid = "a"\nprovider = "mistral"\nbase_url = "http://127.0.0.1:9"\n'
OCR_B = OCR.replace('id = "a"', 'id = "b"')
CHAT = '[[chat_models]]\nid = "c"\nbase_url = "http://127.0.0.1:9/v1"\n'
KEY = "sha256:" + "ab" * 32


def error_of(text: str, **env: str) -> str:
    with pytest.raises(ConfigError) as err:
        parse_config(text, source="gw.toml", env=env)
    return str(err.value)


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        pytest.param("[server\n", None, "not valid TOML", id="not-toml"),
        pytest.param("[server]\nnope = 1\n", "$.server", "unknown field `nope`", id="unknown-key"),
        pytest.param('[server]\nport = "80"\n', "$.server.port", "Expected `int`", id="wrong-type"),
        pytest.param("bogus = 1\n", None, "unknown field `bogus`", id="unknown-top-level"),
        pytest.param(
            '[logging]\nlevel = "loud"\n',
            "$.logging.level",
            "Invalid enum value 'loud'",
            id="not-a-choice",
        ),
        pytest.param(
            '[[ocr_models]]\nprovider = "local"\n', "$.ocr_models[0]", "`id`", id="missing-key"
        ),
        pytest.param(OCR + OCR, "$.ocr_models", "duplicate id 'a'", id="duplicate-ocr-id"),
        pytest.param(CHAT + CHAT, "$.chat_models", "duplicate id 'c'", id="duplicate-chat-id"),
        pytest.param(
            OCR + 'fallbacks = ["zz"]\n',
            "$.ocr_models[0].fallbacks",
            "'zz' is not another [[ocr_models]] id",
            id="unknown-fallback",
        ),
        pytest.param(
            OCR + 'fallbacks = ["a"]\n',
            "$.ocr_models[0].fallbacks",
            "'a' is not another",
            id="self-fallback",
        ),
        pytest.param(
            OCR + "max_response_size = 0\n",
            "$.ocr_models[0].max_response_size",
            "positive byte count",
            id="ocr-response-cap",
        ),
        pytest.param(
            CHAT + "max_event_size = -1\n",
            "$.chat_models[0].max_event_size",
            "positive byte count",
            id="chat-event-cap",
        ),
        pytest.param(
            CHAT + 'fallbacks = ["nope"]\n',
            "$.chat_models[0].fallbacks",
            "'nope' is not another [[chat_models]] id",
            id="chat-fallback",
        ),
        pytest.param(
            "[server]\ngraceful_timeout = 4000\n",
            "$.server.graceful_timeout",
            "0 to 3600",
            id="graceful-timeout",
        ),
        pytest.param(
            "[server]\nheader_timeout = 0\n", "$.server.header_timeout", "positive", id="header"
        ),
        pytest.param(
            "[server]\nmax_connections = -1\n",
            "$.server.max_connections",
            "0 (no cap) or more",
            id="max-connections",
        ),
        pytest.param(
            "[limits]\nmax_size_upload = 0\n",
            "$.limits.max_size_upload",
            "positive byte count",
            id="upload-cap",
        ),
        pytest.param(
            "[limits]\nmax_json_depth = 513\n", "$.limits.max_json_depth", "1 to 512", id="depth"
        ),
        pytest.param(
            '[[routes]]\npath = "v1"\n', "$.routes[0].path", "starting with '/'", id="route-path"
        ),
        pytest.param(
            '[[routes]]\npath = "/"\n[[routes]]\npath = "/"\n',
            "$.routes[1].path",
            "already uses '/'",
            id="duplicate-route",
        ),
        pytest.param(
            '[[routes]]\npath = "/"\nmax_size_upload = 0\n',
            "$.routes[0].max_size_upload",
            "positive byte count",
            id="route-upload-cap",
        ),
        pytest.param(
            '[[routes]]\npath = "/s"\nplugin = "ocr"\n',
            "$.routes[0].refs",
            "at least one OCR entity",
            id="ocr-route-without-refs",
        ),
        pytest.param(
            OCR + '[[routes]]\nplugin = "ocr"\nrefs = ["a"]\nocr_model_refs = ["a"]\n',
            "$.routes[0]",
            "takes `refs`",
            id="ocr-route-with-openai-refs",
        ),
        pytest.param(
            OCR + '[[routes]]\nrefs = ["a"]\n',
            "$.routes[0].refs",
            "ocr_model_refs and chat_model_refs",
            id="openai-route-with-refs",
        ),
        pytest.param(
            '[[routes]]\nocr_model_refs = ["ghost"]\n',
            "$.routes[0].ocr_model_refs",
            "'ghost' is not an id in [[ocr_models]]",
            id="unknown-ocr-ref",
        ),
        pytest.param(
            OCR + '[[routes]]\nchat_model_refs = ["a"]\n',
            "$.routes[0].chat_model_refs",
            "'a' is not an id in [[chat_models]]",
            id="ocr-id-as-chat-ref",
        ),
        pytest.param(
            '[[tenants]]\nid = "t"\napi_keys = []\n',
            "$.tenants[0].api_keys",
            "at least one key",
            id="tenant-without-keys",
        ),
        pytest.param(
            f'[[tenants]]\nid = "t"\napi_keys = ["{KEY}"]\nallowed_refs = ["ghost"]\n',
            "$.tenants[0].allowed_refs",
            "'ghost' is not an entity id",
            id="tenant-unknown-ref",
        ),
        pytest.param(
            f'[[tenants]]\nid = "t"\napi_keys = ["{KEY}"]\n' * 2,
            "$.tenants",
            "duplicate id 't'",
            id="duplicate-tenant",
        ),
        pytest.param(
            '[[tenants]]\nid = "t"\napi_keys = ["k"]\nlimits = { pages_per_hour = 1 }\n',
            "$.tenants[0].limits",
            "unknown field `pages_per_hour`",
            id="unknown-tenant-limit",
        ),
        pytest.param(
            "[state]\nlease_ttl = 0.5\n", "$.state.lease_ttl", "between 1 and 3600", id="lease"
        ),
        pytest.param(
            '[fetch]\nallow_hosts = "x"\n', "$.fetch.allow_hosts", "Expected `array`", id="fetch"
        ),
    ],
)
def test_each_mistake_names_the_file_and_key_path(text: str, path: str | None, words: str) -> None:
    message = error_of(text)
    assert message.startswith("gw.toml: "), message
    if path is not None:
        assert path in message, message
    assert words in message, message


def test_environment_variables_missing_defaulted_and_never_echoed() -> None:
    text = OCR + 'api_key = "${OCR_KEY}"\n'
    message = error_of(text)
    assert "$.ocr_models[0].api_key" in message
    assert "environment variable OCR_KEY is not set" in message
    assert "${OCR_KEY:-default}" in message
    settings = parse_config(text, env={"OCR_KEY": "sk-from-env"})
    assert settings.ocr_models[0].api_key == "sk-from-env"
    defaulted = parse_config(OCR + 'model = "${OCR_MODEL:-m1}"\n', env={})
    assert defaulted.ocr_models[0].model == "m1"


def test_load_config_names_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"{tmp_path / 'no.toml'}: cannot read")):
        load_config(tmp_path / "no.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[server]\nport = true\n")
    with pytest.raises(ConfigError, match=re.escape(f"{bad}: Expected `int`")):
        load_config(bad)


def test_the_shipped_config_loads_and_builds() -> None:
    settings = load_config(REPO / "config.toml")
    assert settings.source.endswith("config.toml")
    create_app(settings)  # providers, keys and state are built (nothing connects)


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        pytest.param(
            '[[ocr_models]]\nid = "a"\nprovider = "nope"\n',
            "$.ocr_models[0].provider",
            "unknown OCR provider 'nope' (known: alphaedge, azure_docintel, local, mistral, "
            "openai_vision)",
            id="unknown-ocr-provider",
        ),
        pytest.param(
            CHAT + 'provider = "nope"\n',
            "$.chat_models[0].provider",
            "unknown chat provider 'nope' (known: openai)",
            id="unknown-chat-provider",
        ),
        pytest.param(
            '[[ocr_models]]\nid = "a"\nprovider = "local"\noptions = { dpi = 7 }\n',
            "$.ocr_models[0].options.dpi",
            "72 to 600",
            id="provider-option",
        ),
        pytest.param(
            OCR_B.replace('provider = "mistral"', 'provider = "alphaedge"')
            + "options = { bogus = 1 }\n",
            "ocr_models 'b'",
            "options: unknown bogus",
            id="unknown-provider-option",
        ),
        pytest.param(
            '[[tenants]]\nid = "t"\napi_keys = ["sha256:abc"]\n',
            "$.tenants[0].api_keys[0]",
            "64 hex digits",
            id="bad-digest",
        ),
        pytest.param(
            '[[tenants]]\nid = "t"\napi_keys = ["short"]\n',
            "$.tenants[0].api_keys[0]",
            "at least 8 characters",
            id="short-key",
        ),
        pytest.param(
            f'[[tenants]]\nid = "t"\napi_keys = ["{KEY}"]\n'
            f'[[tenants]]\nid = "u"\napi_keys = ["{KEY}"]\n',
            "$.tenants[1].api_keys[0]",
            "also given to tenant 't'",
            id="shared-key",
        ),
        pytest.param(
            '[state]\nbackend = "redis"\nurl = "http://x"\n',
            "$.state.url",
            "redis",
            id="state-url",
        ),
    ],
)
def test_mistakes_found_when_building_name_the_key_path(text: str, path: str, words: str) -> None:
    settings = parse_config(text, source="gw.toml")  # the types are right
    with pytest.raises(ConfigError) as err:
        create_app(settings)
    message = str(err.value)
    assert message.startswith("gw.toml: "), message
    assert path in message, message
    assert words in message, message
