"""``[tracing]``: checked like every other table, and a clear error without the extra."""

from __future__ import annotations

import sys

import pytest

from aigateway import ConfigError, parse_config
from aigateway.tracing import make_tracer


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ("sample_ratio = 1.5", "$.tracing.sample_ratio: expected a number from 0 to 1"),
        ("sample_ratio = -0.1", "$.tracing.sample_ratio"),
        ('endpoint = "collector:4318"', "$.tracing.endpoint: expected an http(s) URL"),
        ('endpoint = "ftp://collector"', "$.tracing.endpoint"),
        ('service_name = ""', "$.tracing.service_name"),
        ("timeout = 0", "$.tracing.timeout"),
        ('headers = { "x-a" = "b\\nc" }', "$.tracing.headers.x-a"),
        ("exporter = 'console'", "unknown field `exporter` - at `$.tracing`"),
    ],
)
def test_bad_values_name_the_key(table: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(f"[tracing]\nenabled = true\n{table}\n", source="gw.toml")
    assert str(err.value).startswith("gw.toml: ")
    assert words in str(err.value)


def test_off_by_default_and_then_no_tracer() -> None:
    settings = parse_config("")
    assert settings.tracing.enabled is False
    assert make_tracer(settings.tracing) is None


def test_on_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # What an environment without aigateway[otel] looks like to the import.
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    monkeypatch.setitem(sys.modules, "aigateway.tracing.otel", None)
    settings = parse_config("[tracing]\nenabled = true\n", source="gw.toml")
    with pytest.raises(ConfigError) as err:
        make_tracer(settings.tracing, settings.source)
    assert "gw.toml: $.tracing.enabled" in str(err.value)
    assert "pip install 'aigateway[otel]'" in str(err.value)


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("http://collector:4318", "http://collector:4318/v1/traces"),
        ("http://collector:4318/", "http://collector:4318/v1/traces"),
        ("https://otel.example/v1/traces", "https://otel.example/v1/traces"),
        ("http://gw/custom/path", "http://gw/custom/path"),
    ],
)
def test_traces_url(endpoint: str, url: str) -> None:
    from aigateway.tracing.otel import traces_url

    assert traces_url(endpoint) == url
