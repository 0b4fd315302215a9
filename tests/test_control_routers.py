"""Prompt routers: AWS's default routers per region, custom routers created, read, listed (type
filter and every page) and deleted, each raw answer checked against botocore's shapes; the
errors with their codes and statuses; and runtime calls through a router ARN (Converse,
ConverseStream and InvokeModel) answered by the model the router picks, reported in
trace.promptRouter.invokedModelId."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from moto_bedrock_runtime import catalog, converse
from moto_bedrock_runtime.control.prompt_routers import quality_difference
from moto_bedrock_runtime.neutral import MessageStop, Reply, Usage
from moto_bedrock_runtime.request_shapes import parse_body
from moto_bedrock_runtime.testing import BedrockControls

from .conftest import CliServer, capture_bodies, check_output, client_for, client_of, error_parts

ACCOUNT = "123456789012"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
ANTHROPIC = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:default-prompt-router/anthropic.claude:1"
META = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:default-prompt-router/meta.llama:1"
NOVA = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:default-prompt-router/amazon.nova:1"
CUSTOM_ARN = re.compile(rf"^arn:aws:bedrock:us-east-1:{ACCOUNT}:prompt-router/[a-z0-9]{{12}}$")
SHORT = "Say hi."
LONG = " ".join(["word"] * 150)  # 15 points of predicted quality difference


def fm_arn(model_id: str, region: str = "us-east-1") -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def profile_arn(model_id: str, geo: str = "us", region: str = "us-east-1") -> str:
    return f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{geo}.{model_id}"


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


def claude_body(text: str) -> str:
    message = {"role": "user", "content": [{"type": "text", "text": text}]}
    return json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": [message]}
    )


def check_router_output(operation: str, body: dict[str, Any]) -> None:
    """check_output, except for one fault of botocore's model: its PromptRouterArn pattern
    admits only `default-prompt-router/…`, yet AWS names custom routers
    `…:prompt-router/<12 characters>`. Custom ARNs must have that form; the rest is strict."""
    text = json.dumps(body)
    for arn in re.findall(r"arn:aws:bedrock:[a-z0-9-]+:\d{12}:prompt-router/[^\"]+", text):
        assert CUSTOM_ARN.match(arn), arn
    check_output(
        operation,
        json.loads(text.replace(":prompt-router/", ":default-prompt-router/")),
        service="bedrock",
    )


class Clients:
    """bedrock and bedrock-runtime clients of one mock, with raw bodies captured."""

    def __init__(self, region: str = "us-east-1") -> None:
        self.bedrock = client_of(None, "bedrock", region=region)
        self.runtime = client_of(None, region=region)
        self.bodies = capture_bodies(self.bedrock)
        self.runtime_bodies = capture_bodies(self.runtime)
        self.unchecked = client_of(None, "bedrock", region=region, unchecked=True)

    def checked(self, operation: str) -> dict[str, Any]:
        body = json.loads(self.bodies[-1])
        check_router_output(operation, body)
        return body

    def create(self, name: str = "my-router", **extra: Any) -> str:
        request: dict[str, Any] = {
            "promptRouterName": name,
            "models": [{"modelArn": fm_arn(HAIKU)}, {"modelArn": fm_arn(SONNET)}],
            "fallbackModel": {"modelArn": fm_arn(SONNET)},
            "routingCriteria": {"responseQualityDifference": 5},
        }
        request.update(extra)
        response = self.bedrock.create_prompt_router(**request)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
        self.checked("CreatePromptRouter")
        assert CUSTOM_ARN.match(response["promptRouterArn"])
        return response["promptRouterArn"]

    def listed(self, **params: Any) -> dict[str, Any]:
        self.bedrock.list_prompt_routers(**params)
        return self.checked("ListPromptRouters")


@pytest.fixture
def clients() -> Iterator[Clients]:
    with mock_aws():
        yield Clients()


# default routers


def test_default_routers_are_listed_with_their_models(clients: Clients) -> None:
    summaries = clients.listed()["promptRouterSummaries"]
    by_arn = {summary["promptRouterArn"]: summary for summary in summaries}
    assert list(by_arn) == [ANTHROPIC, META, NOVA]
    anthropic = by_arn[ANTHROPIC]
    assert anthropic["promptRouterName"] == "Anthropic Prompt Router"
    assert anthropic["type"] == "default" and anthropic["status"] == "AVAILABLE"
    assert anthropic["models"] == [
        {"modelArn": profile_arn(HAIKU)},
        {"modelArn": profile_arn(SONNET)},
    ]
    assert anthropic["fallbackModel"] == {"modelArn": profile_arn(SONNET)}
    assert anthropic["routingCriteria"] == {"responseQualityDifference": 10.0}
    assert by_arn[META]["promptRouterName"] == "Meta Prompt Router"
    assert by_arn[META]["fallbackModel"] == {
        "modelArn": profile_arn("meta.llama3-1-70b-instruct-v1:0")
    }
    assert by_arn[NOVA]["promptRouterName"] == "Nova Prompt Router"
    assert by_arn[NOVA]["models"] == [
        {"modelArn": profile_arn("amazon.nova-lite-v1:0")},
        {"modelArn": profile_arn("amazon.nova-pro-v1:0")},
    ]


def test_default_routers_follow_the_regions_profiles() -> None:
    with mock_aws():
        clients = Clients("eu-west-1")
        summaries = clients.listed()["promptRouterSummaries"]
    # Llama 3.1 has no eu. profiles, so there is no Meta router in Europe.
    assert [s["promptRouterName"] for s in summaries] == [
        "Anthropic Prompt Router",
        "Nova Prompt Router",
    ]
    assert summaries[0]["promptRouterArn"] == (
        f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:default-prompt-router/anthropic.claude:1"
    )
    assert summaries[0]["models"][0] == {"modelArn": profile_arn(HAIKU, "eu", "eu-west-1")}


def test_get_default_router(clients: Clients) -> None:
    clients.bedrock.get_prompt_router(promptRouterArn=NOVA)
    body = clients.checked("GetPromptRouter")
    assert body["promptRouterName"] == "Nova Prompt Router"
    assert body["createdAt"] == "2024-12-04T00:00:00.000Z"
    assert body["fallbackModel"] == {"modelArn": profile_arn("amazon.nova-pro-v1:0")}


# custom routers


def test_create_get_and_delete_a_custom_router(clients: Clients) -> None:
    arn = clients.create(description="Claude by prompt size")
    clients.bedrock.get_prompt_router(promptRouterArn=arn)
    body = clients.checked("GetPromptRouter")
    assert body["promptRouterArn"] == arn
    assert body["promptRouterName"] == "my-router"
    assert body["description"] == "Claude by prompt size"
    assert body["type"] == "custom" and body["status"] == "AVAILABLE"
    assert body["models"] == [{"modelArn": fm_arn(HAIKU)}, {"modelArn": fm_arn(SONNET)}]
    assert body["fallbackModel"] == {"modelArn": fm_arn(SONNET)}
    assert body["routingCriteria"] == {"responseQualityDifference": 5.0}
    assert body["createdAt"] == body["updatedAt"]

    response = clients.bedrock.delete_prompt_router(promptRouterArn=arn)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    check_output("DeletePromptRouter", json.loads(clients.bodies[-1]), service="bedrock")
    with pytest.raises(ClientError) as excinfo:
        clients.bedrock.get_prompt_router(promptRouterArn=arn)
    assert error_parts(excinfo) == (
        "ResourceNotFoundException",
        404,
        f"The prompt router {arn} was not found.",
    )
    with pytest.raises(ClientError) as excinfo:
        clients.bedrock.delete_prompt_router(promptRouterArn=arn)
    assert error_parts(excinfo)[:2] == ("ResourceNotFoundException", 404)


def test_inference_profiles_as_targets(clients: Clients) -> None:
    nova_lite, nova_pro = profile_arn("amazon.nova-lite-v1:0"), profile_arn("amazon.nova-pro-v1:0")
    arn = clients.create(
        "nova-router",
        models=[{"modelArn": nova_lite}],
        fallbackModel={"modelArn": nova_pro},
    )
    clients.bedrock.get_prompt_router(promptRouterArn=arn)
    body = clients.checked("GetPromptRouter")
    assert body["models"] == [{"modelArn": nova_lite}]
    assert body["fallbackModel"] == {"modelArn": nova_pro}


def test_client_request_token_makes_create_idempotent(clients: Clients) -> None:
    first = clients.create(clientRequestToken="token-1")
    assert clients.create(clientRequestToken="token-1") == first
    assert len(clients.listed(type="custom")["promptRouterSummaries"]) == 1


def test_list_filters_by_type_and_pages(clients: Clients) -> None:
    created = [clients.create(f"router-{n}") for n in range(3)]
    custom = clients.listed(type="custom")["promptRouterSummaries"]
    assert [s["promptRouterArn"] for s in custom] == created[::-1]  # newest first
    assert {s["type"] for s in custom} == {"custom"}
    default = clients.listed(type="default")["promptRouterSummaries"]
    assert [s["promptRouterArn"] for s in default] == [ANTHROPIC, META, NOVA]

    seen, token = [], None
    while True:
        page = clients.listed(maxResults=2, **({"nextToken": token} if token else {}))
        assert len(page["promptRouterSummaries"]) <= 2
        seen += [s["promptRouterArn"] for s in page["promptRouterSummaries"]]
        token = page.get("nextToken")
        if token is None:
            break
    assert seen == [*created[::-1], ANTHROPIC, META, NOVA]

    paginator = clients.bedrock.get_paginator("list_prompt_routers")
    pages = list(paginator.paginate(type="custom", PaginationConfig={"PageSize": 1}))
    assert [p["promptRouterSummaries"][0]["promptRouterArn"] for p in pages] == created[::-1]


def test_tags_given_at_creation(clients: Clients) -> None:
    arn = clients.create(tags=[{"key": "team", "value": "ml"}])
    assert clients.bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [
        {"key": "team", "value": "ml"}
    ]


# errors


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            {"models": [{"modelArn": fm_arn("anthropic.claude-sonnet-4-20250514-v1:0")}]},
            "ValidationException",
            "Prompt routing is not supported for the specified model identifier",
        ),
        (
            {"models": [{"modelArn": fm_arn("meta.llama3-1-8b-instruct-v1:0")}]},
            "ValidationException",
            "The models of a prompt router must all come from the same model provider.",
        ),
        (
            {"fallbackModel": {"modelArn": fm_arn(SONNET, "us-west-2")}},
            "ValidationException",
            "The provided model identifier is invalid.",
        ),
        (
            {"models": [{"modelArn": profile_arn(HAIKU, "eu")}]},
            "ValidationException",
            "The provided model identifier is invalid.",
        ),
        (
            {"models": []},
            "ValidationException",
            "1 validation error detected: Value '[]' at 'models' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        ),
    ],
)
def test_create_refuses_models_it_cannot_route(
    clients: Clients, change: dict[str, Any], code: str, message: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        clients.create(**change)
    assert error_parts(excinfo) == (code, 400, message)


def test_create_conflicts_and_validation(clients: Clients) -> None:
    clients.create()
    with pytest.raises(ClientError) as excinfo:
        clients.create()
    assert error_parts(excinfo) == (
        "ConflictException",
        400,
        "A prompt router with the name my-router already exists.",
    )
    with pytest.raises(ClientError) as excinfo:
        clients.unchecked.create_prompt_router(
            promptRouterName="no-criteria",
            models=[{"modelArn": fm_arn(HAIKU)}],
            fallbackModel={"modelArn": fm_arn(SONNET)},
        )
    assert error_parts(excinfo) == (
        "ValidationException",
        400,
        "1 validation error detected: Value null at 'routingCriteria' failed to satisfy "
        "constraint: Member must not be null",
    )
    with pytest.raises(ClientError) as excinfo:
        clients.create("too-much-difference", routingCriteria={"responseQualityDifference": 101})
    assert error_parts(excinfo)[:2] == ("ValidationException", 400)


def test_create_with_too_many_tags(clients: Clients) -> None:
    tags = [{"key": f"k{n}", "value": "v"} for n in range(51)]
    with pytest.raises(ClientError) as excinfo:
        clients.create(tags=tags)
    code, status, _ = error_parts(excinfo)
    assert (code, status) == ("TooManyTagsException", 400)
    assert CUSTOM_ARN.match(excinfo.value.response["resourceName"])
    assert clients.listed(type="custom")["promptRouterSummaries"] == []


def test_list_and_delete_errors(clients: Clients) -> None:
    with pytest.raises(ClientError) as excinfo:
        clients.unchecked.list_prompt_routers(type="private")
    assert error_parts(excinfo) == (
        "ValidationException",
        400,
        "1 validation error detected: Value 'private' at 'type' failed to satisfy constraint: "
        "Member must satisfy enum value set: [custom, default]",
    )
    with pytest.raises(ClientError) as excinfo:
        clients.unchecked.list_prompt_routers(maxResults=0)
    assert error_parts(excinfo)[:2] == ("ValidationException", 400)
    with pytest.raises(ClientError) as excinfo:
        clients.bedrock.list_prompt_routers(nextToken="not-a-token")
    assert error_parts(excinfo) == (
        "ValidationException",
        400,
        "The provided pagination token is invalid.",
    )
    with pytest.raises(ClientError) as excinfo:
        clients.bedrock.delete_prompt_router(promptRouterArn=ANTHROPIC)
    assert error_parts(excinfo) == (
        "ValidationException",
        400,
        "Default prompt routers can't be deleted.",
    )
    unknown = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:default-prompt-router/mistral.mistral:1"
    with pytest.raises(ClientError) as excinfo:
        clients.bedrock.get_prompt_router(promptRouterArn=unknown)
    assert error_parts(excinfo)[:2] == ("ResourceNotFoundException", 404)


# the routing rule and the runtime


def test_the_rule_counts_ten_words_a_point() -> None:
    assert quality_difference("") == 0
    assert quality_difference(SHORT) == 0.2
    assert quality_difference(LONG) == 15
    assert quality_difference(" ".join(["w"] * 5000)) == 100


def test_a_routed_model_carries_the_choice_into_the_converse_wire_forms() -> None:
    routing = catalog.Routing(ANTHROPIC, SONNET, lambda prompt: (profile_arn(HAIKU), HAIKU))
    resolved = catalog.resolve(ANTHROPIC, "us-east-1", lambda arn: routing)
    assert resolved.model.model_id == SONNET and resolved.router == routing
    assert resolved.invoked_model_arn is None
    routed = resolved.routed(SHORT)
    assert routed.model.model_id == HAIKU and routed.requested == ANTHROPIC
    assert routed.routed(LONG) is routed  # a request is routed once
    trace = {"promptRouter": {"invokedModelId": profile_arn(HAIKU)}}

    reply = Reply(content=[{"text": "ok"}], stop_reason="end_turn", usage=Usage(3, 1))
    body = converse.response({}, reply, 5, routed)
    check_output("Converse", body)
    assert body["trace"] == trace
    assert "trace" not in converse.response({}, reply, 5, catalog.resolve(HAIKU, "us-east-1"))

    stop = MessageStop("end_turn", Usage(3, 1))
    events = dict(converse.stream_events({}, [stop], lambda: 5, routed))
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    parse_body(model.shape_for("ConverseStreamMetadataEvent"), events["metadata"])
    assert events["metadata"]["trace"] == trace


def converse_trace(clients: Clients, model_id: str, text: str) -> dict[str, Any]:
    clients.runtime.converse(modelId=model_id, messages=user(text))
    body = json.loads(clients.runtime_bodies[-1])
    check_output("Converse", body)
    return body["trace"]["promptRouter"]


def test_converse_through_a_default_router(clients: Clients) -> None:
    assert converse_trace(clients, ANTHROPIC, SHORT) == {"invokedModelId": profile_arn(HAIKU)}
    assert converse_trace(clients, ANTHROPIC, LONG) == {"invokedModelId": profile_arn(SONNET)}
    resolved = [call["resolved_model_id"] for call in BedrockControls().invocations()]
    assert resolved == [HAIKU, SONNET]


def test_converse_through_a_custom_router(clients: Clients) -> None:
    arn = clients.create(routingCriteria={"responseQualityDifference": 20})
    assert converse_trace(clients, arn, SHORT) == {"invokedModelId": fm_arn(HAIKU)}
    assert converse_trace(clients, arn, LONG) == {"invokedModelId": fm_arn(HAIKU)}
    strict = clients.create("strict", routingCriteria={"responseQualityDifference": 0})
    assert converse_trace(clients, strict, SHORT) == {"invokedModelId": fm_arn(SONNET)}


def test_converse_stream_reports_the_trace_in_metadata(clients: Clients) -> None:
    response = clients.runtime.converse_stream(modelId=NOVA, messages=user(SHORT))
    events = list(response["stream"])
    metadata = next(event["metadata"] for event in events if "metadata" in event)
    assert metadata["trace"] == {
        "promptRouter": {"invokedModelId": profile_arn("amazon.nova-lite-v1:0")}
    }


def test_invoke_model_through_routers_answers_in_the_familys_body(clients: Clients) -> None:
    for model_id in (ANTHROPIC, clients.create()):
        short = clients.runtime.invoke_model(modelId=model_id, body=claude_body(SHORT))
        answer = json.loads(short["body"].read())
        assert answer["type"] == "message" and answer["role"] == "assistant"
        assert answer["model"] == "claude-3-haiku-20240307"
        long = clients.runtime.invoke_model(modelId=model_id, body=claude_body(LONG))
        assert json.loads(long["body"].read())["model"] == "claude-3-5-sonnet-20240620"


def test_deleted_and_foreign_routers_are_invalid_model_ids(clients: Clients) -> None:
    arn = clients.create()
    clients.bedrock.delete_prompt_router(promptRouterArn=arn)
    for model_id in (arn, ANTHROPIC.replace("us-east-1", "us-west-2")):
        with pytest.raises(ClientError) as excinfo:
            clients.runtime.converse(modelId=model_id, messages=user(SHORT))
        assert error_parts(excinfo) == (
            "ValidationException",
            400,
            "The provided model identifier is invalid.",
        )


# the real server


def test_routers_over_the_server(cli_server: CliServer) -> None:
    bedrock = client_for(cli_server.url, "bedrock")
    runtime = client_for(cli_server.url)
    bodies = capture_bodies(bedrock)
    arn = bedrock.create_prompt_router(
        promptRouterName="server-router",
        models=[{"modelArn": fm_arn(HAIKU)}],
        fallbackModel={"modelArn": fm_arn(SONNET)},
        routingCriteria={"responseQualityDifference": 5},
    )["promptRouterArn"]
    assert CUSTOM_ARN.match(arn)
    bedrock.get_prompt_router(promptRouterArn=arn)
    check_router_output("GetPromptRouter", json.loads(bodies[-1]))
    bedrock.list_prompt_routers(type="custom")
    listed = json.loads(bodies[-1])
    check_router_output("ListPromptRouters", listed)
    assert arn in [s["promptRouterArn"] for s in listed["promptRouterSummaries"]]

    response = runtime.converse(modelId=arn, messages=user(SHORT))
    assert response["trace"]["promptRouter"]["invokedModelId"] == fm_arn(HAIKU)
    response = runtime.converse(modelId=ANTHROPIC, messages=user(LONG))
    assert response["trace"]["promptRouter"]["invokedModelId"] == profile_arn(SONNET)

    bedrock.delete_prompt_router(promptRouterArn=arn)
    with pytest.raises(ClientError) as excinfo:
        bedrock.get_prompt_router(promptRouterArn=arn)
    assert error_parts(excinfo)[:2] == ("ResourceNotFoundException", 404)
