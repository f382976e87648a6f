"""Command line: ``aigateway serve | check | ocr | hash-key``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import math
import os
import signal
import sys
from pathlib import Path

from .config import Settings, load_config
from .errors import ConfigError, GatewayError

__all__ = ("main",)


def _load(path: str) -> Settings:
    return load_config(Path(path))


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .server.serving import server_options

    settings = _load(args.config)
    # Header-read timeout and connection cap ([server]); they need a restart to change.
    guards = server_options(settings.server)
    if args.pidfile:
        Path(args.pidfile).write_text(f"{os.getpid()}\n")
    host = args.host or settings.server.host
    port = args.port if args.port is not None else settings.server.port
    workers = args.workers if args.workers is not None else settings.server.workers
    # SIGTERM waits this long for requests in flight, then cancels them (server.graceful).
    graceful = settings.server.graceful_timeout
    if workers > 1:
        # Each worker process imports the factory and reads the same file; SIGHUP to this
        # (parent) process makes uvicorn start fresh workers and retire the old ones only once
        # the new ones are ready, so a bad file keeps the old workers serving.
        from .server.factory import batches_off_reason

        reason = batches_off_reason(settings, workers)
        if reason:
            print(f"aigateway: {reason}", file=sys.stderr)
        os.environ["AIGATEWAY_CONFIG"] = str(Path(args.config).resolve())
        os.environ["AIGATEWAY_SERVER_WORKERS"] = str(workers)
        uvicorn.run(
            "aigateway.server.factory:app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=math.ceil(graceful),
            **guards,
        )
        return 0
    from .server.graceful import GracefulServer, pool_deadline
    from .server.reload import ReloadableApp

    # SIGHUP reloads the config in place (see aigateway.server.reload).
    app = ReloadableApp(args.config)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=math.ceil(graceful),
        **guards,
    )
    server = GracefulServer(config, on_drain=lambda: app.drain(pool_deadline(graceful)))
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled
        server.run()
    return 0 if server.started else 3


def _build(settings: Settings) -> None:
    """Build (and close) everything ``settings`` describes, as serving would, without serving:
    what only building can check (keys, providers and their options, ``[state] url``) raises
    :class:`ConfigError` naming the key path. Nothing connects anywhere."""
    from .server.runtime import Runtime

    runtime = Runtime(settings)
    asyncio.run(runtime.aclose())


def _cmd_reload(args: argparse.Namespace) -> int:
    settings = _load(args.config)  # refuse to signal a server with a file that will not load
    _build(settings)
    try:
        pid = int(Path(args.pidfile).read_text().strip())
    except (OSError, ValueError):
        print(f"aigateway: cannot read a pid from {args.pidfile}", file=sys.stderr)
        return 1
    os.kill(pid, signal.SIGHUP)
    print(f"sent SIGHUP to {pid}: {settings.source} will be reloaded")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    settings = _load(args.config)
    _build(settings)  # every provider (and its options), the keys, the state backend
    print(f"{settings.source}: OK")
    from .http.routes import RouteSpec

    for r in settings.routes:
        route = RouteSpec.of(r, settings.limits)
        print(
            f"route {r.path} plugin={r.plugin} ocr={list(route.ocr_refs)} "
            f"chat={list(route.chat_refs)} max_size_upload={route.limits.max_bytes}"
        )
    for m in settings.ocr_models:
        print(
            f"ocr entity {m.id}: provider={m.provider} model={m.model or '-'}"
            + (f" fallbacks={m.fallbacks}" if m.fallbacks else "")
        )
    for c in settings.chat_models:
        print(f"chat entity {c.id}: provider={c.provider} base_url={c.base_url} models={c.models}")
    print(f"tenants: {len(settings.tenants)} (auth {'on' if settings.tenants else 'off'})")
    if settings.files.enabled:
        from .files import data_directory

        f = settings.files
        where = f"s3://{f.s3_bucket}/{f.s3_prefix}" if f.backend == "s3" else "local"
        print(f"files: {where}, data directory {data_directory(settings)}")
        print(f"batches: {'on' if settings.batches.enabled else 'off'}")
    return 0


def _cmd_ocr(args: argparse.Namespace) -> int:
    from .blob import Blob
    from .http.limits import DocumentLimits
    from .ocr.normalize import parse_pages
    from .ocr.protocol import DocumentSource, OcrOptions, OcrRequest
    from .server.runtime import Runtime

    settings = _load(args.config)
    rt = Runtime(settings)
    data = Path(args.file).read_bytes()
    request = OcrRequest(
        source=DocumentSource(blob=Blob.from_bytes(data), filename=Path(args.file).name),
        content_type=args.content_type,
        model=args.model,
        provider=args.provider,
        options=OcrOptions(
            pages=parse_pages(args.pages),
            pdf_password=args.password,
            force_ocr=args.force_ocr or None,
        ),
    )
    refs = [m.id for m in settings.ocr_models]
    if rt.routes and rt.routes[0].ocr_refs:
        refs = list(dict.fromkeys([*rt.routes[0].ocr_refs, *refs]))
    # A local file: no upload cap beyond its own size.
    limits = DocumentLimits.of(settings.limits, max(len(data), settings.limits.max_size_upload))

    async def run() -> str:
        try:
            outcome = await rt.ocr.process(request, refs=refs, limits=limits)
        finally:
            await rt.aclose()
        return outcome.response.text

    print(asyncio.run(run()))
    return 0


def _cmd_hash_key(args: argparse.Namespace) -> int:
    from .tenancy.auth import hash_key

    key = args.key if args.key is not None else getpass.getpass("API key: ")
    print(hash_key(key))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``aigateway`` command."""
    parser = argparse.ArgumentParser(prog="aigateway", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the gateway")
    serve.add_argument("--config", default="config.toml")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument("--pidfile", help="write the server's pid here (for `aigateway reload`)")
    reload = sub.add_parser("reload", help="validate the config, then make a server reload it")
    reload.add_argument("--config", default="config.toml")
    reload.add_argument("--pidfile", required=True)
    check = sub.add_parser("check", help="validate a config file")
    check.add_argument("--config", default="config.toml")
    ocr = sub.add_parser("ocr", help="OCR a file in-process and print markdown")
    ocr.add_argument("file")
    ocr.add_argument("--config", default="config.toml")
    ocr.add_argument("--pages", help="0-based pages, e.g. 0-2,5")
    ocr.add_argument("--password", help="PDF password")
    ocr.add_argument("--model")
    ocr.add_argument("--provider")
    ocr.add_argument("--content-type")
    ocr.add_argument("--force-ocr", action="store_true")
    hk = sub.add_parser("hash-key", help="print the sha256: digest of an API key for config")
    hk.add_argument("key", nargs="?")
    args = parser.parse_args(argv)
    commands = {
        "serve": _cmd_serve,
        "check": _cmd_check,
        "ocr": _cmd_ocr,
        "hash-key": _cmd_hash_key,
        "reload": _cmd_reload,
    }
    try:
        return commands[args.command](args)
    except ConfigError as exc:
        print(f"aigateway: config error: {exc}", file=sys.stderr)
        return 1
    except GatewayError as exc:
        print(f"aigateway: {exc.status_code}: {exc.message}", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"aigateway: {exc.filename}: no such file", file=sys.stderr)
        return 1
