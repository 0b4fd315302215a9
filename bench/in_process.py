"""In-process scenarios: boto3 under @mock_aws, moto-bedrock against stock moto's stub."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from . import common


def _stock() -> Callable[[int], dict[str, float]]:
    """Stock moto's InvokeModel stub per call (moto-bedrock deactivated meanwhile)."""

    def run(n: int) -> dict[str, float]:
        from moto import mock_aws

        import moto_bedrock_runtime

        moto_bedrock_runtime.deactivate()
        try:
            with mock_aws():
                runtime = common.client()
                common.invoke_stub(runtime)
                return common.timed(lambda: common.invoke_stub(runtime), n)
        finally:
            moto_bedrock_runtime.activate()

    return run


def _ours(call: Callable[[Any], Any]) -> Callable[[int], dict[str, float]]:
    def run(n: int) -> dict[str, float]:
        from moto import mock_aws

        with mock_aws():
            runtime = common.client()
            call(runtime)
            return common.timed(lambda: call(runtime), n)

    return run


def in_process(n: int, rounds: int) -> dict[str, dict[str, float]]:
    """Per-call cost under @mock_aws: our Converse vs stock moto's InvokeModel stub."""
    import moto_bedrock_runtime

    moto_bedrock_runtime.activate()
    scenarios = {
        "stock moto InvokeModel stub": _stock(),
        "moto-bedrock Converse": _ours(common.converse),
        "moto-bedrock ConverseStream": _ours(common.converse_stream),
    }
    return common.alternate({name: lambda r=run: r(n) for name, run in scenarios.items()}, rounds)


def _samples() -> dict[str, dict[str, Any]]:
    """One realistic body per model family: the ones the test suite sends."""
    sys.path.insert(0, str(common.ROOT))
    from tests.test_invoke_server import SAMPLES

    return SAMPLES


def families(n: int, rounds: int) -> dict[str, dict[str, float]]:
    """Per family: the codec's own cost (schema validation + native→neutral + neutral→native,
    the engine excluded) and a whole in-process boto3 InvokeModel, against stock moto's stub."""
    import moto_bedrock_runtime
    from moto_bedrock_runtime import catalog, vendors
    from moto_bedrock_runtime.engines import engine_for
    from moto_bedrock_runtime.vendors.validation import validate_body

    moto_bedrock_runtime.activate()
    samples = _samples()

    def codec_cost(model_id: str, body: dict[str, Any]) -> float:
        resolved = catalog.resolve(model_id, "us-east-1")
        codec = vendors.codec_for(resolved.model)
        request = codec.request(body, resolved)
        engine = engine_for(request)
        answer = {"chat": engine.reply, "embed": engine.embed, "image": engine.generate_image}
        reply = answer[codec.kind](request)
        started = time.perf_counter()
        for _ in range(n):
            validate_body(codec.schema, body)
            codec.response(reply, codec.request(body, resolved), body)
        return (time.perf_counter() - started) * 1e6 / n

    def invoke(model_id: str, body: bytes) -> Callable[[Any], Any]:
        return lambda runtime: runtime.invoke_model(modelId=model_id, body=body)["body"].read()

    stock = _stock()
    pairs: dict[str, Callable[[], dict[str, float]]] = {
        "stock moto InvokeModel stub": lambda: stock(n)
    }
    for model_id, body in samples.items():
        run = _ours(invoke(model_id, json.dumps(body).encode()))
        pairs[model_id] = lambda r=run: r(n)
    results = common.alternate(pairs, rounds)
    for model_id, body in samples.items():
        results[model_id]["codec_us"] = codec_cost(model_id, body)
    return results
