"""The ``aigateway`` command: serve, check, reload, ocr, hash-key (``aigateway --help``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import math
import os
import re
import sys
from pathlib import Path

from .config import Settings, load_config
from .errors import ConfigError, GatewayError

__all__ = ("main",)


def _load(path: str) -> Settings:
    return load_config(Path(path))


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .config.checks import check_servable
    from .server.banner import announce
    from .server.reload_status import ReloadReport, report_path, write_report
    from .server.serving import server_options

    settings = _load(args.config)
    check_servable(settings)  # no [[routes]]: it would answer 404 to everything
    # Header-read timeout and connection cap ([server]); they need a restart to change.
    guards = server_options(settings.server)
    report = report_path(args.pidfile) if args.pidfile else None
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
        if report is not None:
            write_report(report, ReloadReport(pid=os.getpid(), mode="workers", source=args.config))
        from .server.logs import make_logger

        # The supervisor binds the socket itself right after this line.
        announce(make_logger(settings.logging), _url(host, port), settings, None, workers=workers)
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

    # SIGHUP reloads the config in place (see aigateway.server.reload); the outcome of each
    # reload goes to the report file beside the pidfile, for `aigateway reload`.
    app = ReloadableApp(args.config, report=report)
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
    server = GracefulServer(
        config,
        on_drain=lambda: app.drain(pool_deadline(graceful)),
        on_listening=lambda url: announce(app.runtime.logger, url, settings, app.app),
    )
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
    from .server.reload_status import request_reload

    # The server re-reads its own file with its own environment: nothing is validated here
    # (a ${VAR} unset in this shell may well be set for the server); the server reports.
    ok, message = request_reload(args.pidfile, args.timeout)
    print(message if ok else f"aigateway: {message}", file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def _cmd_check(args: argparse.Namespace) -> int:
    from .config.checks import check_servable

    settings = _load(args.config)
    _build(settings)  # every provider (and its options), the keys, the state backend
    check_servable(settings)  # valid, but served it would answer 404 to everything
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
    tracing = settings.tracing
    print(
        f"tracing: on, {tracing.sample_ratio:g} of new traces to {tracing.endpoint}"
        if tracing.enabled
        else "tracing: off"
    )
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

    try:
        text = asyncio.run(run())
    except GatewayError as exc:
        # The service names request fields; here they are command-line options.
        flag = _OCR_FLAGS.get(exc.param or "")
        if flag is not None and exc.param:
            name = re.escape(exc.param)
            message = re.sub(rf"\bin {name}\b", f"with {flag}", exc.message)
            exc.message = re.sub(rf"\b{name}\b", flag, message)
        raise
    print(text)
    return 0


_OCR_FLAGS = {
    "pdf_password": "--password",
    "pages": "--pages",
    "model": "--model",
    "provider": "--provider",
    "content_type": "--content-type",
}
"""OCR request fields and the ``aigateway ocr`` options that set them."""


def _cmd_hash_key(args: argparse.Namespace) -> int:
    from .tenancy.auth import hash_key

    key = args.key
    if key is None:
        try:
            if sys.stdin.isatty():
                key = getpass.getpass("API key: ")
            else:
                # Piped: the first line, without its line break (echo adds one).
                key = sys.stdin.readline().rstrip("\r\n")
        except (EOFError, KeyboardInterrupt):
            key = ""
    if not key:
        print(
            "aigateway: hash-key: no key given: pass it as an argument (aigateway hash-key KEY) "
            'or on standard input (printf %s "$KEY" | aigateway hash-key)',
            file=sys.stderr,
        )
        return 2
    print(hash_key(key))
    return 0


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


_DESCRIPTION = """\
aigateway: one base URL for AI endpoints. OCR (Mistral OCR compatible), chat completions,
embeddings and models behind one OpenAI-compatible router, driven by one TOML file."""

_EPILOG = """\
examples:
  aigateway serve --config config.toml --port 9000
  aigateway check --config config.toml
  aigateway ocr invoice.pdf --pages 0-2
  printf %s "$KEY" | aigateway hash-key

'aigateway COMMAND --help' describes a command's options."""


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="aigateway", description=_DESCRIPTION, epilog=_EPILOG, formatter_class=fmt
    )
    parser.add_argument("--version", action="version", version=f"aigateway {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=summary, formatter_class=fmt)

    def config(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--config", default="config.toml", metavar="FILE",
            help="the TOML config file (default: config.toml)",
        )  # fmt: skip

    serve = command("serve", "run the gateway (uvicorn with uvloop and httptools)")
    config(serve)
    serve.add_argument("--host", help="interface to bind (default: [server] host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port to bind (default: [server] port, 8080)")
    serve.add_argument(
        "--workers", type=int, metavar="N",
        help="server processes sharing the port (default: [server] workers, 1)",
    )  # fmt: skip
    serve.add_argument(
        "--pidfile", metavar="FILE",
        help="write the server's pid here, and reload outcomes to FILE.reload.json, for "
        "'aigateway reload' (default: none)",
    )  # fmt: skip
    reload = command(
        "reload",
        "make a running server re-read its config (it validates the file with its own "
        "environment and reports the outcome)",
    )
    reload.add_argument(
        "--pidfile", required=True, metavar="FILE", help="the pidfile the server was started with"
    )
    reload.add_argument(
        "--timeout", type=float, default=120.0, metavar="SECONDS",
        help="how long to wait for the server's outcome (default: 120)",
    )  # fmt: skip
    # Accepted for older scripts; the server reads the file it was started with.
    reload.add_argument("--config", help=argparse.SUPPRESS)
    check = command(
        "check",
        "validate a config file (building every part as serve would, connecting nowhere) and "
        "print its routes and entities",
    )
    config(check)
    ocr = command("ocr", "OCR a file in this process and print its markdown")
    ocr.add_argument("file", metavar="FILE", help="a PDF or an image")
    config(ocr)
    ocr.add_argument("--pages", help="0-based pages, e.g. 0-2,5 (default: every page)")
    ocr.add_argument("--password", help="the PDF's password, for an encrypted PDF")
    ocr.add_argument("--model", help="upstream model (default: the entity's)")
    ocr.add_argument(
        "--provider", metavar="ENTITY",
        help="the [[ocr_models]] id to use (default: the first route's first OCR entity)",
    )  # fmt: skip
    ocr.add_argument(
        "--content-type", metavar="TYPE",
        help="the file's media type (default: from its bytes)",
    )  # fmt: skip
    ocr.add_argument("--force-ocr", action="store_true", help="ignore PDF text layers")
    hk = command(
        "hash-key",
        "print the sha256: digest of an API key, for [[tenants]] api_keys and admin_key",
    )
    hk.add_argument(
        "key", nargs="?", metavar="KEY",
        help="the key (default: read from standard input, or prompted for on a terminal)",
    )  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``aigateway`` command."""
    args = _parser().parse_args(argv)
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
