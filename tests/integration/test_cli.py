"""The command line as a newcomer meets it: help, version, clear errors instead of tracebacks,
the startup line, and ``aigateway reload`` judged by the server's environment, not the caller's.

Every command runs as its own process (``python -m aigateway``), the way users run it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from aigateway.tenancy.auth import hash_key
from tests.support.docgen import encrypted_pdf
from tests.support.server import gateway_server

REPO = Path(__file__).resolve().parents[2]

LOCAL = """
[ocr_pool]
workers = 1

[[ocr_models]]
id = "local"
provider = "local"

[[routes]]
path = "/"
ocr_model_refs = ["local"]
"""


def _run(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "aigateway", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def _clean_failure(proc: Any) -> str:
    """A failed command: exit code 1 or 2, one clear message, no traceback."""
    assert proc.returncode in (1, 2), (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("aigateway: "), proc.stderr
    return str(proc.stderr)


def test_version_and_help() -> None:
    version = _run("--version")
    assert version.returncode == 0
    from aigateway import __version__

    assert version.stdout.strip() == f"aigateway {__version__}"
    top = _run("--help")
    assert top.returncode == 0
    assert "``" not in top.stdout
    for command in ("serve", "reload", "check", "ocr", "hash-key"):
        assert f"\n    {command} " in top.stdout, top.stdout
    serve = _run("serve", "--help").stdout
    # Every option says what it does and what it defaults to.
    for option in ("--config FILE", "--host", "--port", "--workers", "--pidfile"):
        assert option in serve
    assert "(default: config.toml)" in serve
    assert "(default: [server] port, 8080)" in serve
    ocr = _run("ocr", "--help").stdout
    assert "--password" in ocr and "encrypted PDF" in ocr


def test_hash_key_from_stdin_or_a_clear_error() -> None:
    empty = _run("hash-key", stdin="")
    assert "no key given" in _clean_failure(empty)
    piped = _run("hash-key", stdin="sk-my-tenant-key-1\n")
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.strip() == hash_key("sk-my-tenant-key-1")
    argument = _run("hash-key", "sk-my-tenant-key-1")
    assert argument.stdout == piped.stdout


def test_ocr_of_an_encrypted_pdf_names_the_option(tmp_path: Path) -> None:
    config = tmp_path / "gw.toml"
    config.write_text(LOCAL)
    pdf = tmp_path / "locked.pdf"
    pdf.write_bytes(encrypted_pdf("The quarterly numbers are locked away.", "s3cret"))
    locked = _run("ocr", str(pdf), "--config", str(config))
    message = _clean_failure(locked)
    assert "--password" in message and "pdf_password" not in message, message
    wrong = _clean_failure(_run("ocr", str(pdf), "--config", str(config), "--password", "nope"))
    assert "--password is wrong" in wrong, wrong
    opened = _run("ocr", str(pdf), "--config", str(config), "--password", "s3cret")
    assert opened.returncode == 0, opened.stderr
    assert "quarterly numbers" in opened.stdout


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("", "nothing to serve: the config has no [[routes]]", id="empty"),
        pytest.param("# only a comment\n[server]\nport = 9\n", "no [[routes]]", id="no-routes"),
        pytest.param(
            LOCAL + '[logging]\nlevel = "verbose"\n',
            "$.logging.level` (expected one of: 'debug', 'info', 'warning', 'error')",
            id="enum",
        ),
        pytest.param(
            LOCAL.replace('path = "/"', 'path = "/"\nplugin = "openai"'),
            "expected one of: 'openai_compat', 'ocr'",
            id="enum-in-a-list",
        ),
    ],
)
def test_check_refuses_with_a_clear_message(tmp_path: Path, text: str, words: str) -> None:
    config = tmp_path / "gw.toml"
    config.write_text(text)
    message = _clean_failure(_run("check", "--config", str(config)))
    assert words in message, message
    # serve refuses the same file before binding anything
    assert words in _clean_failure(_run("serve", "--config", str(config), "--port", "0"))


def test_redis_backend_without_the_package_names_the_extra(tmp_path: Path) -> None:
    config = tmp_path / "gw.toml"
    config.write_text(LOCAL + '[state]\nbackend = "redis"\n')
    # This environment has redis-py; hide it the way a missing package looks to an import.
    code = (
        "import sys; sys.modules['redis'] = None; from aigateway.cli import main; "
        f"sys.exit(main(['check', '--config', {str(config)!r}]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    message = _clean_failure(proc)
    assert "$.state.backend" in message
    assert "pip install 'aigateway[redis]'" in message


@pytest.mark.slow
def test_startup_line_and_reload_judged_by_the_server(tmp_path: Path) -> None:
    config = 'admin_key = "${TP_ADMIN_KEY}"\n' + LOCAL
    pidfile = tmp_path / "gw.pid"
    server_env = {"TP_ADMIN_KEY": "admin-key-only-the-server-has"}
    with gateway_server(config, tmp_path, env=server_env, args=["--pidfile", str(pidfile)]) as gw:
        log = gw.log()
        assert f"listening on {gw.url}" in log, log
        assert "POST /v1/ocr" in log and "local (local)" in log, log
        # The caller's shell lacks TP_ADMIN_KEY: the server has it, so the reload is fine.
        caller_env = {k: v for k, v in os.environ.items() if k != "TP_ADMIN_KEY"}
        ok = subprocess.run(
            [sys.executable, "-m", "aigateway", "reload", "--pidfile", str(pidfile)],
            capture_output=True, text=True, timeout=120, cwd=REPO, env=caller_env,
        )  # fmt: skip
        assert ok.returncode == 0, ok.stderr
        assert "reloaded by" in ok.stdout
        # A file the server cannot use: the server's reason comes back, the old config serves.
        gw.config_path.write_text(config + '[logging]\nlevel = "loud"\n')
        refused = _run("reload", "--pidfile", str(pidfile))
        message = _clean_failure(refused)
        assert "reload refused" in message and "$.logging.level" in message, message
        assert "expected one of" in message
        assert "admin-key-only-the-server-has" not in message
        health = httpx.get(gw.url + "/healthz", timeout=10)
        assert health.status_code == 200
        gw.config_path.write_text(config.replace("${TP_ADMIN_KEY}", "${TP_MISSING_VAR}"))
        missing = _clean_failure(_run("reload", "--pidfile", str(pidfile)))
        assert "TP_MISSING_VAR" in missing, missing
