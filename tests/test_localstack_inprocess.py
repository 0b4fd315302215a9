"""moto-bedrock through LocalStack's real request handlers, in one process, no server.

Each request is built by LocalStack's botocore-based request factory, parsed by LocalStack's
parser, answered through the extension's handlers or the provider's skeleton, and, when
LocalStack cannot parse it, first serialized as LocalStack's own error. These tests need
localstack-core, so they are collected only in LocalStack's virtualenv: test_localstack.py
runs this file there (the project's own virtualenv collects nothing from it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from importlib.util import find_spec
from typing import Any

import pytest

if find_spec("localstack") is not None:
    from botocore.compat import HTTPHeaders
    from botocore.eventstream import EventStreamBuffer
    from botocore.parsers import create_parser
    from localstack.aws import handlers
    from localstack.aws.api import RequestContext
    from localstack.aws.chain import HandlerChain
    from localstack.aws.forwarder import create_aws_request_context
    from localstack.aws.handlers.service import SkeletonHandler
    from localstack.aws.skeleton import Skeleton
    from localstack.aws.spec import load_service
    from localstack.http import Request, Response

    from localstack_ext.extension import answer_unparsed_bedrock, serve_bedrock
    from localstack_ext.providers import MotoBedrockProvider
    from moto_bedrock_runtime.testing import BedrockControls

    ACCOUNT = "000000000000"
    HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
    MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]
    MODES = ("extension", "provider")

    def _serving_handler(mode: str, service: str) -> Any:
        if mode == "extension":
            return serve_bedrock
        provider = MotoBedrockProvider(service)
        return SkeletonHandler(Skeleton(load_service(service), provider.dispatch_table()))

    def handle(mode: str, context: RequestContext) -> Response:
        """LocalStack's gateway chain for an AWS request, from parsing on: the real parser,
        error serializer and response parser, with the extension's or the provider's serving."""
        context.account_id = ACCOUNT
        context.operation = context.service_request = None  # parsed again, by LocalStack
        chain = HandlerChain(
            request_handlers=[
                handlers.parse_service_request,
                _serving_handler(mode, context.service.service_name),
            ],
            response_handlers=[handlers.parse_service_response, answer_unparsed_bedrock],
            exception_handlers=[handlers.handle_service_exception],
        )
        response = Response()
        chain.handle(context, response)
        return response

    def call(mode: str, service: str, operation: str, **params: Any) -> Response:
        return handle(mode, create_aws_request_context(service, operation, parameters=params))

    def parsed(service: str, operation: str, response: Response) -> dict[str, Any]:
        """What botocore makes of the response (case-insensitive headers, as from a socket)."""
        headers = HTTPHeaders()
        for name, value in response.headers.items():
            headers[name] = value
        model = load_service(service).operation_model(operation)
        raw = {"status_code": response.status_code, "headers": headers, "body": response.data}
        return create_parser("rest-json").parse(raw, model.output_shape)

    def frames(chunks: Iterable[bytes]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        buffer = EventStreamBuffer()
        for chunk in chunks:
            buffer.add_data(chunk)
        return [(message.headers, json.loads(message.payload)) for message in buffer]

    @pytest.fixture(autouse=True)
    def _fresh_controls() -> Any:
        controls = BedrockControls(account_id=ACCOUNT, region="us-east-1")
        yield controls
        controls.reset()

    @pytest.mark.parametrize("mode", MODES)
    def test_converse_through_localstack(mode: str) -> None:
        response = call(mode, "bedrock-runtime", "Converse", modelId=HAIKU, messages=MESSAGES)
        assert response.status_code == 200
        result = parsed("bedrock-runtime", "Converse", response)
        assert result["output"]["message"]["content"][0]["text"]
        assert isinstance(result["usage"]["inputTokens"], int)
        assert result["stopReason"] == "end_turn"

    @pytest.mark.parametrize("mode", MODES)
    def test_stream_leaves_as_bedrock_frames_one_at_a_time(mode: str) -> None:
        response = call(mode, "bedrock-runtime", "ConverseStream", modelId=HAIKU, messages=MESSAGES)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/vnd.amazon.eventstream"
        assert "Content-Length" not in response.headers  # chunked: not buffered
        assert isinstance(response.response, Iterator)
        chunks = iter(response.response)
        first = frames([next(chunks)])  # what the server writes first: one whole frame
        assert [headers[":event-type"] for headers, _ in first] == ["messageStart"]
        events = first + frames(chunks)
        names = [headers[":event-type"] for headers, _ in events]
        assert names[0] == "messageStart" and names[-1] == "metadata"
        assert "initial-response" not in names  # LocalStack's serializer would add it
        for headers, _ in events:
            assert headers[":content-type"] == "application/json"
            assert headers[":message-type"] == "event"

    @pytest.mark.parametrize("mode", MODES)
    def test_error_in_a_stream_is_an_exception_event(
        mode: str, _fresh_controls: BedrockControls
    ) -> None:
        failure = {"code": "ThrottlingException", "after": 2}
        _fresh_controls.answer({"text": "one two three", "stream_error": failure})
        response = call(mode, "bedrock-runtime", "ConverseStream", modelId=HAIKU, messages=MESSAGES)
        assert response.status_code == 200
        headers, payload = frames(response.response)[-1]
        assert headers[":message-type"] == "exception"
        assert headers[":exception-type"] == "throttlingException"
        assert payload["message"]

    @pytest.mark.parametrize("mode", MODES)
    def test_invoke_model_body_read_from_localstacks_stream(mode: str) -> None:
        body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 20, "messages": []}
        body["messages"] = [{"role": "user", "content": "hello"}]
        response = call(
            mode, "bedrock-runtime", "InvokeModel", modelId=HAIKU, body=json.dumps(body)
        )
        assert response.status_code == 200
        answer = json.loads(response.data)
        assert answer["type"] == "message" and answer["id"].startswith("msg_bdrk_")
        assert int(response.headers["X-Amzn-Bedrock-Input-Token-Count"]) > 0

    @pytest.mark.parametrize("mode", MODES)
    def test_modeled_error_through_localstack(mode: str) -> None:
        response = call(mode, "bedrock-runtime", "Converse", modelId="no.such-model", messages=[])
        error = parsed("bedrock-runtime", "Converse", response)["Error"]
        assert response.status_code == 400
        assert error["Code"] == "ValidationException"
        assert error["Message"] == "The provided model identifier is invalid."

    @pytest.mark.parametrize("mode", MODES)
    def test_control_plane_ours_and_motos(mode: str) -> None:
        models = parsed(
            "bedrock", "ListFoundationModels", call(mode, "bedrock", "ListFoundationModels")
        )
        assert HAIKU in {summary["modelId"] for summary in models["modelSummaries"]}
        config = {"textDataDeliveryEnabled": True, "s3Config": {"bucketName": "logs"}}
        put = call(mode, "bedrock", "PutModelInvocationLoggingConfiguration", loggingConfig=config)
        assert put.status_code == 200
        got = call(mode, "bedrock", "GetModelInvocationLoggingConfiguration")
        logging = parsed("bedrock", "GetModelInvocationLoggingConfiguration", got)
        assert logging["loggingConfig"] == config

    def test_what_localstack_cannot_parse_gets_bedrocks_error() -> None:
        """LocalStack's parser rejects a body that is not JSON with its own 500 InternalError;
        the extension answers it as Bedrock does."""
        model = "anthropic.claude-3-haiku-20240307-v1%3A0"
        context = create_aws_request_context(
            "bedrock-runtime", "Converse", parameters={"modelId": HAIKU, "messages": MESSAGES}
        )
        request = context.request
        context.request = Request(
            "POST",
            f"/model/{model}/converse",
            headers={"Content-Type": "application/json"},
            body=b"{not json",
            raw_path=f"/model/{model}/converse",
            server=(request.host, None),
        )
        response = handle("extension", context)
        assert context.operation is None  # LocalStack's parser did reject it
        assert response.status_code == 400
        assert response.headers["x-amzn-ErrorType"].startswith("ValidationException:")
        assert json.loads(response.data)["message"].startswith("The request body is not valid")

    def test_control_plane_resources_on_localstacks_moto() -> None:
        """The control plane is written against moto 5.2; LocalStack runs it on moto-ext. A
        round trip through URI labels, JSON bodies and tags of our own resources."""

        def control(operation: str, **params: Any) -> dict[str, Any]:
            response = call("extension", "bedrock", operation, **params)
            assert response.status_code < 300, response.data
            return parsed("bedrock", operation, response)

        model = control("GetFoundationModel", modelIdentifier=HAIKU)["modelDetails"]
        assert model["modelId"] == HAIKU
        profile_arn = control(
            "CreateInferenceProfile",
            inferenceProfileName="team-haiku",
            modelSource={"copyFrom": model["modelArn"]},
            tags=[{"key": "team", "value": "search"}],
        )["inferenceProfileArn"]
        assert f":{ACCOUNT}:application-inference-profile/" in profile_arn
        profile = control("GetInferenceProfile", inferenceProfileIdentifier=profile_arn)
        assert profile["inferenceProfileName"] == "team-haiku"
        tags = control("ListTagsForResource", resourceARN=profile_arn)["tags"]
        assert tags == [{"key": "team", "value": "search"}]
        guardrail = control(
            "CreateGuardrail",
            name="no-secrets",
            blockedInputMessaging="blocked",
            blockedOutputsMessaging="blocked",
            wordPolicyConfig={"wordsConfig": [{"text": "secret"}]},
        )
        got = control("GetGuardrail", guardrailIdentifier=guardrail["guardrailId"])
        assert got["name"] == "no-secrets"
        control("DeleteInferenceProfile", inferenceProfileIdentifier=profile_arn)
        control("DeleteGuardrail", guardrailIdentifier=guardrail["guardrailId"])
