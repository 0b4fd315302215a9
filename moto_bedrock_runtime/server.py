"""The `moto-bedrock` command: every moto service, with Bedrock from moto-bedrock, over HTTP.

It runs moto's own WSGI dispatcher on a small threaded server of ours that keeps connections
alive and writes stream frames as they are produced.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import logging
import os
import signal
import ssl
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__, backend_settings
from .backend_settings import SETTINGS, BackendSettings, SettingsError, is_local, safe_url
from .controls import RuleError, load_rules_file
from .http_server import generate_self_signed_cert, make_server
from .model_map import layers
from .plugin import preserve_header_names, wsgi_app

log = logging.getLogger("moto_bedrock_runtime.server")
_TRUE = {"1", "true", "yes", "on"}
_M_ARENA_MAX = -8  # glibc's mallopt parameter

ENVIRONMENT = """environment variables (each overridden by its option):
  MOTO_BEDROCK_HOST        address to bind (default 127.0.0.1)
  MOTO_BEDROCK_PORT        port (default 5000)
  MOTO_BEDROCK_TLS         1/true: serve HTTPS with a generated self-signed certificate
  MOTO_BEDROCK_CERT_DIR    where --tls writes cert.pem and key.pem (default: a temp dir)
  MOTO_BEDROCK_LOG_LEVEL   DEBUG, INFO, WARNING or ERROR (default INFO)
  MOTO_BEDROCK_RULES       a rules file, as --rules
  MOTO_BEDROCK_HISTORY_LIMIT  invocations kept per account and region (1000)
  MOTO_BEDROCK_PROVISIONING_SECONDS  seconds created resources and jobs stay in progress (0)
  MOTO_BEDROCK_REGION      region of requests that sign none, e.g. bearer tokens (us-east-1)
  MOTO_BEDROCK_STREAM_DELAY_MS  pause before each streamed delta of the canned engine (0)
  MOTO_BEDROCK_CONFIG      a TOML config file, as --config
""" + "".join(f"  {s.variable}  as {s.flag}\n" for s in SETTINGS)


def _parser() -> argparse.ArgumentParser:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="moto-bedrock",
        description="An offline Amazon Bedrock (and every other moto service) on one port.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default=env.get("MOTO_BEDROCK_HOST", "127.0.0.1"),
        help="address to bind; 0.0.0.0 exposes the emulator to the network (default 127.0.0.1)",
    )
    parser.add_argument(
        "--port", type=int, default=int(env.get("MOTO_BEDROCK_PORT", "5000")), help="port (5000)"
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        default=env.get("MOTO_BEDROCK_TLS", "").lower() in _TRUE,
        help="serve HTTPS with a generated self-signed certificate (bearer-token clients need it)",
    )
    parser.add_argument(
        "--cert-dir",
        default=env.get("MOTO_BEDROCK_CERT_DIR"),
        help="directory for the generated cert.pem/key.pem (default: a new temp dir)",
    )
    parser.add_argument(
        "--log-level",
        default=env.get("MOTO_BEDROCK_LOG_LEVEL", "INFO").upper(),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level (INFO)",
    )
    parser.add_argument(
        "--rules",
        default=env.get("MOTO_BEDROCK_RULES"),
        help='JSON file of declared answers ({"rules": [...]} or a list) for every account '
        "and region, kept across resets",
    )
    parser.add_argument(
        "--config",
        help="TOML file whose [backend] table holds the backend settings below "
        "(flags and variables win over it)",
    )
    backend = parser.add_argument_group(
        "backend (an OpenAI-compatible server answers instead of the canned engine)"
    )
    for setting in SETTINGS:
        backend.add_argument(
            setting.flag, dest=setting.name, metavar=setting.metavar, help=setting.help
        )
    parser.add_argument("--version", action="version", version=f"moto-bedrock {__version__}")
    return parser


def _tls_context(cert_dir: str | None) -> tuple[ssl.SSLContext, Path]:
    directory = Path(cert_dir) if cert_dir else Path(tempfile.mkdtemp(prefix="moto-bedrock-"))
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = generate_self_signed_cert(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


def _engine_line(settings: BackendSettings) -> str:
    """Which engine answers, with the backend and model map it uses (never the API key)."""
    if not settings.urls:
        return "engine: canned (no backend set)"
    backends = ", ".join(safe_url(url) for url in settings.urls)
    model_map = f"built-in + {settings.model_map}" if settings.model_map else "built-in"
    default = settings.default_model or "none (unmapped ids are refused)"
    return (
        f"engine: openai backend {backends}; model map: {model_map}; default backend model: "
        f"{default}; fallback: {settings.fallback}"
    )


def _backend_settings(args: argparse.Namespace) -> BackendSettings:
    """The flags installed over every other source, checked now: a bad setting stops the
    server with why instead of failing its first request."""
    flags = {setting.name: getattr(args, setting.name) for setting in SETTINGS}
    backend_settings.set_command_line(flags, args.config)
    try:
        settings = backend_settings.backend_settings()
        if settings.urls:
            layers(settings)
    except SettingsError as exc:
        raise SystemExit(f"moto-bedrock: {exc}") from exc
    for url in settings.urls:
        if not is_local(url):
            log.warning("backend %s is not on this machine: prompts leave it", safe_url(url))
    return settings


def _banner(url: str, cert: Path | None, settings: BackendSettings) -> str:
    lines = [
        f"moto-bedrock {__version__} serving on {url}",
        _engine_line(settings),
        f"health: {url}/moto-api/static/bedrock/health",
        f"live page: {url}/moto-api/static/bedrock/",
        "Point boto3 at it:",
        f'  boto3.client("bedrock-runtime", endpoint_url="{url}", region_name="us-east-1",',
        '               aws_access_key_id="test", aws_secret_access_key="test"'
        + (f', verify="{cert}")' if cert else ")"),
        "or the AWS CLI:",
        f"  AWS_ENDPOINT_URL={url} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "
        + (f"AWS_CA_BUNDLE={cert} " if cert else "")
        + "aws bedrock-runtime converse --region us-east-1 ...",
    ]
    if cert:
        lines.append(f"TLS certificate (self-signed): {cert}")
    return "\n".join(lines)


def _load_rules(path: str) -> int:
    """Rules from a file into the server-wide store; a bad file stops the server with why."""
    try:
        return load_rules_file(path)
    except RuleError as exc:
        raise SystemExit(f"moto-bedrock: {exc}") from exc


def _few_malloc_arenas() -> None:
    """As MALLOC_ARENA_MAX=2 would: glibc gives threads (here one per connection) malloc
    arenas of their own, and memory freed in one serves no other, so a long run's resident
    memory creeps up although nothing is kept. Elsewhere than glibc, nothing to do."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, 2)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    _few_malloc_arenas()
    loaded = _load_rules(args.rules) if args.rules else 0
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    settings = _backend_settings(args)
    context, cert = _tls_context(args.cert_dir) if args.tls else (None, None)
    server = make_server(
        args.host, args.port, wsgi_app(), ssl_context=context, environ_hook=preserve_header_names
    )
    host, port = server.server_address[:2]
    url = f"{'https' if context else 'http'}://{host}:{port}"
    print(_banner(url, cert, settings), flush=True)
    if loaded:
        print(f"Loaded {loaded} rule(s) from {args.rules}", flush=True)

    def stop(signum: int, frame: Any) -> None:
        # shutdown() waits for serve_forever to return, so it must run off the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        print("moto-bedrock stopped", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
