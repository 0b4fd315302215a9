"""The stock `moto_server` serves moto-bedrock once MOTO_BEDROCK_AUTOLOAD=1 is set.

The activation rides on moto_bedrock_autoload.pth, which only a built wheel carries (editable
installs do not), so this builds the wheel, installs it into a throwaway virtualenv that reuses
this environment's dependencies, and runs moto's server entry point there (what the
`moto_server` script runs).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
import requests

from .conftest import HAIKU, _free_port, client_for

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = work.glob("moto_bedrock-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # Dependencies come from this environment; the package itself only from the wheel.
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return venv


def _start(venv: Path, port: int, autoload: str | None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "MOTO_BEDROCK_AUTOLOAD"}
    if autoload is not None:
        env["MOTO_BEDROCK_AUTOLOAD"] = autoload
    # The wheel's files, not this checkout's, must be what runs.
    env.pop("PYTHONPATH", None)
    script = [str(venv / "bin" / "python"), "-m", "moto.server", "-p", str(port)]
    process = subprocess.Popen(
        script, env=env, cwd=venv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/moto-api/data.json", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("moto_server did not start")


@pytest.mark.parametrize("autoload", ["1", None], ids=["autoload", "stock"])
def test_stock_moto_server(wheel_env: Path, autoload: str | None) -> None:
    port = _free_port()
    process = _start(wheel_env, port, autoload)
    try:
        client = client_for(f"http://127.0.0.1:{port}")
        messages = [{"role": "user", "content": [{"text": "hi"}]}]
        if autoload:
            assert client.converse(modelId=HAIKU, messages=messages)["stopReason"] == "end_turn"
        else:
            assert client.invoke_model(modelId=HAIKU, body=b"{}")["body"].read() == b"{}"
    finally:
        process.terminate()
        process.wait(timeout=20)
