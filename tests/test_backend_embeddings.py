"""Embeddings through a real embedding model: all-MiniLM-L6-v2 (384 dimensions) behind the
OpenAI embeddings API (tests/embedding_server/serve.py, run in .venv-embed, which `make test`
builds with the CPU build of torch). Titan v2 and Cohere v3 answer at their Bedrock widths,
and what the model finds similar stays similar after the projection.

Skipped when .venv-embed is missing, except in CI (CI=true), where it must run.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import urllib3
from moto import mock_aws

from moto_bedrock_runtime import backend_settings

from .backend_servers import free_port
from .conftest import NO_RETRIES

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv-embed" / "bin" / "python"
MODEL_NAME = "all-minilm-l6-v2"
CAT = "The cat sat on the mat."
KITTEN = "A kitten was sitting on the rug."
REVENUE = "Quarterly revenue grew by eight percent."

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def embedding_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not PYTHON.exists():
        if os.environ.get("CI"):
            pytest.fail(".venv-embed is missing: `make test` builds it (make embed-venv)")
        pytest.skip(".venv-embed is missing (make embed-venv builds it)")
    port = free_port()
    process = subprocess.Popen(
        [str(PYTHON), str(ROOT / "tests/embedding_server/serve.py"), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )
    assert process.stdout is not None
    output = []
    for line in process.stdout:
        output.append(line)
        if line.strip() == "ready":
            break
    else:
        raise AssertionError("the embedding server did not start:\n" + "".join(output))
    yield f"http://127.0.0.1:{port}/v1"
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def runtime(
    embedding_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Any]:
    model_map = tmp_path / "models.toml"
    model_map.write_text(
        f'[embed]\n"amazon.titan-embed-text-v2:0" = "{MODEL_NAME}"\n"cohere.*" = "{MODEL_NAME}"\n'
    )
    backend_settings.set_command_line({})
    monkeypatch.setenv("MOTO_BEDROCK_BACKEND", embedding_server)
    monkeypatch.setenv("MOTO_BEDROCK_MODEL_MAP", str(model_map))
    with mock_aws():
        yield boto3.client("bedrock-runtime", region_name="us-east-1", config=NO_RETRIES)


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def _direct(url: str, texts: list[str]) -> list[list[float]]:
    """The model's own vectors, straight from the embedding server."""
    response = urllib3.request(
        "POST",
        f"{url}/embeddings",
        body=json.dumps({"model": MODEL_NAME, "input": texts}),
        headers={"Content-Type": "application/json"},
    )
    return [item["embedding"] for item in response.json()["data"]]


def _titan(runtime: Any, text: str, **options: Any) -> dict[str, Any]:
    body = json.dumps({"inputText": text, **options})
    response = runtime.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=body)
    return json.loads(response["body"].read())


def test_titan_v2_at_its_dimensions_keeps_the_models_similarities(
    runtime: Any, embedding_server: str
) -> None:
    direct = _direct(embedding_server, [CAT, KITTEN, REVENUE])
    assert len(direct[0]) == 384
    answers = [_titan(runtime, text) for text in (CAT, KITTEN, REVENUE)]
    vectors = [answer["embedding"] for answer in answers]
    assert [len(v) for v in vectors] == [1024, 1024, 1024]
    assert abs(math.fsum(x * x for x in vectors[0]) - 1) < 1e-6  # Titan normalizes by default
    assert answers[0]["inputTextTokenCount"] == 9  # the model's tokenizer, with [CLS]/[SEP]
    # Widening is orthogonal: the cosines are the model's own.
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assert abs(_cosine(vectors[i], vectors[j]) - _cosine(direct[i], direct[j])) < 1e-6
    assert _cosine(vectors[0], vectors[1]) > _cosine(vectors[0], vectors[2]) + 0.3


def test_titan_v2_narrower_than_the_model_stays_close(runtime: Any) -> None:
    vectors = [
        _titan(runtime, text, dimensions=256)["embedding"] for text in (CAT, KITTEN, REVENUE)
    ]
    assert [len(v) for v in vectors] == [256, 256, 256]
    assert _cosine(vectors[0], vectors[1]) > _cosine(vectors[0], vectors[2]) + 0.3
    raw = _titan(runtime, CAT, dimensions=512, normalize=False)["embedding"]
    assert len(raw) == 512 and abs(math.fsum(x * x for x in raw) - 1) > 1e-3


def test_cohere_v3_at_its_dimensions(runtime: Any) -> None:
    body = json.dumps(
        {
            "texts": [CAT, KITTEN, REVENUE],
            "input_type": "search_document",
            "embedding_types": ["float", "int8"],
        }
    )
    answer = json.loads(
        runtime.invoke_model(modelId="cohere.embed-english-v3", body=body)["body"].read()
    )
    floats = answer["embeddings"]["float"]
    assert [len(v) for v in floats] == [1024, 1024, 1024]
    assert [len(v) for v in answer["embeddings"]["int8"]] == [1024, 1024, 1024]
    assert _cosine(floats[0], floats[1]) > _cosine(floats[0], floats[2]) + 0.3
    assert answer["texts"] == [CAT, KITTEN, REVENUE]


def test_a_name_the_backend_does_not_serve_is_a_validation_error(
    runtime: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model_map = tmp_path / "other.toml"
    model_map.write_text('[embed]\n"amazon.titan-embed-text-v2:0" = "nomic-embed-text"\n')
    monkeypatch.setenv("MOTO_BEDROCK_MODEL_MAP", str(model_map))
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        _titan(runtime, CAT)
    assert "model 'nomic-embed-text' not found" in str(caught.value)
