"""API keys to tenants: digests and keys from the environment, the two headers, and refusals
that never echo a key; then the same through the app (401 envelope, WWW-Authenticate)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from aigateway import create_app, parse_config
from aigateway.errors import AuthenticationError
from aigateway.tenancy.auth import ANONYMOUS, KeyStore, hash_key
from aigateway.tenancy.gate import TenantGate

ACME_KEY = "acme-secret-key-0001"
GLOBEX_KEY = "globex-secret-key-0002"

TENANTS = f"""
[[tenants]]
id = "acme"
api_keys = ["{hash_key(ACME_KEY)}", "${{ACME_SECOND_KEY}}"]
allowed_refs = []

[[tenants]]
id = "globex"
api_keys = ["${{GLOBEX_KEY}}"]
limits = {{ max_size_upload = 1000 }}
"""


def keystore() -> KeyStore:
    env = {"GLOBEX_KEY": GLOBEX_KEY, "ACME_SECOND_KEY": "acme-second-key-01"}
    return KeyStore(parse_config(TENANTS, env=env))


def test_hash_key_is_the_config_digest() -> None:
    digest = hash_key("k" * 10)
    assert digest == "sha256:" + hashlib.sha256(b"k" * 10).hexdigest()
    assert len(digest) == 7 + 64


def test_auth_off_without_tenants() -> None:
    store = KeyStore(parse_config(""))
    assert not store.enabled
    assert store.authenticate(None) is ANONYMOUS
    assert store.authenticate("Bearer anything") is ANONYMOUS


@pytest.mark.parametrize(
    ("authorization", "api_key", "tenant"),
    [
        (f"Bearer {ACME_KEY}", None, "acme"),  # a sha256: digest in config
        (f"bearer   {ACME_KEY}  ", None, "acme"),  # scheme case and spaces do not matter
        ("Bearer acme-second-key-01", None, "acme"),  # a key from ${ENV}, hashed on load
        (f"Bearer {GLOBEX_KEY}", None, "globex"),
        (None, GLOBEX_KEY, "globex"),  # x-api-key (Mistral/Azure style clients)
        (f"Bearer {ACME_KEY}", GLOBEX_KEY, "acme"),  # Authorization wins
    ],
)
def test_keys_resolve_to_their_tenant(
    authorization: str | None, api_key: str | None, tenant: str
) -> None:
    found = keystore().authenticate(authorization, api_key)
    assert found.id == tenant


def test_tenants_keep_allow_lists_and_limits() -> None:
    store = keystore()
    acme = store.authenticate(f"Bearer {ACME_KEY}")
    globex = store.authenticate(f"Bearer {GLOBEX_KEY}")
    assert acme.allowed_refs == frozenset()  # an empty allow-list allows nothing
    assert acme.narrow(["a", "b"]) == []
    assert globex.allowed_refs is None  # no allow-list: every entity of the route
    assert globex.narrow(["a", "b"]) == ["a", "b"]
    assert globex.limits.max_size_upload == 1000


@pytest.mark.parametrize(
    ("authorization", "api_key", "words"),
    [
        (None, None, "no API key"),
        ("", "", "no API key"),
        ("Bearer ", None, "must be 'Bearer <API key>'"),
        (f"Basic {ACME_KEY}", None, "must be 'Bearer <API key>'"),
        (ACME_KEY, None, "must be 'Bearer <API key>'"),
        ("Bearer not-a-key-of-anyone", None, "invalid API key"),
        (None, "not-a-key-of-anyone", "invalid API key"),
        # A digest is what config stores, never a key a caller may present.
        (f"Bearer {hash_key(ACME_KEY)}", None, "invalid API key"),
    ],
)
def test_refusals_are_401_on_authorization_and_never_echo_the_key(
    authorization: str | None, api_key: str | None, words: str
) -> None:
    with pytest.raises(AuthenticationError) as err:
        keystore().authenticate(authorization, api_key)
    exc = err.value
    assert exc.status_code == 401
    assert exc.param == "authorization"
    assert exc.headers["WWW-Authenticate"] == "Bearer"
    assert words in exc.message
    assert ACME_KEY not in exc.message and "not-a-key" not in exc.message


def test_gate_puts_the_tenant_in_the_access_log_fields() -> None:
    from aigateway.tenancy.quotas import Quotas
    from aigateway.tenancy.state import MemoryBackend

    settings = parse_config(TENANTS, env={"GLOBEX_KEY": GLOBEX_KEY, "ACME_SECOND_KEY": "x" * 9})
    gate = TenantGate(KeyStore(settings), Quotas(MemoryBackend(), settings.state, None))
    fields: dict[str, Any] = {}
    tenant = gate.authenticate({"x-api-key": GLOBEX_KEY}, fields)
    assert tenant.id == "globex" and fields == {"tenant": "globex"}


async def test_through_the_app_the_refusal_is_the_envelope() -> None:
    extra = '[[routes]]\npath = "/"\n'
    env = {"GLOBEX_KEY": GLOBEX_KEY, "ACME_SECOND_KEY": "acme-second-key-01"}
    app = create_app(parse_config(TENANTS + extra, env=env))
    async with AsyncTestClient(app) as client:
        missing = await client.get("/v1/models")
        wrong = await client.get("/v1/models", headers={"authorization": "Bearer wrong-key-123"})
        ok = await client.get("/v1/models", headers={"x-api-key": GLOBEX_KEY})
    for resp in (missing, wrong):
        assert resp.status_code == 401
        assert resp.headers["www-authenticate"] == "Bearer"
        error = resp.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["code"] == "invalid_api_key"
        assert error["param"] == "authorization"
        assert "wrong-key-123" not in resp.text
    assert ok.status_code == 200
