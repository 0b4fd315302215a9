"""The `moto-bedrock` command: every moto service, with Bedrock from moto-bedrock, over HTTP.

It runs moto's own WSGI dispatcher on a small threaded server of ours that keeps connections
alive and writes stream frames as they are produced.
"""

from __future__ import annotations

import argparse
import json
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

from . import __version__
from .controls import RuleError, startup
from .http_server import generate_self_signed_cert, make_server
from .plugin import preserve_header_names, wsgi_app

log = logging.getLogger("moto_bedrock_runtime.server")
_TRUE = {"1", "true", "yes", "on"}

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
"""


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
    parser.add_argument("--version", action="version", version=f"moto-bedrock {__version__}")
    return parser


def _tls_context(cert_dir: str | None) -> tuple[ssl.SSLContext, Path]:
    directory = Path(cert_dir) if cert_dir else Path(tempfile.mkdtemp(prefix="moto-bedrock-"))
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = generate_self_signed_cert(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


def _banner(url: str, cert: Path | None) -> str:
    lines = [
        f"moto-bedrock {__version__} serving on {url} (engine: canned)",
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
        data = json.loads(Path(path).read_text())
        rules = data.get("rules") if isinstance(data, dict) else data
        if not isinstance(rules, list):
            raise RuleError('the file must hold a list of rules or {"rules": [...]}')
        return len(startup.add_rules(rules))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"moto-bedrock: cannot load rules from {path}: {exc}") from exc


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    loaded = _load_rules(args.rules) if args.rules else 0
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    context, cert = _tls_context(args.cert_dir) if args.tls else (None, None)
    server = make_server(
        args.host, args.port, wsgi_app(), ssl_context=context, environ_hook=preserve_header_names
    )
    host, port = server.server_address[:2]
    url = f"{'https' if context else 'http'}://{host}:{port}"
    print(_banner(url, cert), flush=True)
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
