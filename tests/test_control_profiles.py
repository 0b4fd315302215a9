"""Inference profiles: system profiles per geography derived from the catalog, application
profiles (create, get, list, delete, tags), pagination, and runtime calls through both."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from moto_bedrock_runtime.catalog import ON_DEMAND_UNSUPPORTED, models
from moto_bedrock_runtime.control.inference_profiles import geographies
from moto_bedrock_runtime.control.owned_resources import TOO_MANY_TAGS

from .conftest import NO_RETRIES, CliServer, capture_bodies, client_for, collect_pages, error_parts
from .test_control_catalog import HAIKU, SONNET_37, check_bedrock

ACCOUNT = "123456789012"
SONNET_35_V2 = "anthropic.claude-3-5-sonnet-20241022-v2:0"
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
APP_ARN = re.compile(
    rf"^arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/[a-z0-9]{{12}}$"
)
INVALID_MODEL = "The provided model identifier is invalid."


def fm_arn(model_id: str, region: str = "us-east-1") -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def profile_arn(profile_id: str, region: str = "us-east-1") -> str:
    return f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{profile_id}"


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def claude_body(text: str) -> bytes:
    message = {"role": "user", "content": [{"type": "text", "text": text}]}
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": [message]}
    return json.dumps(body).encode()


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        yield (
            boto3.client("bedrock", region_name="us-east-1", config=NO_RETRIES),
            boto3.client("bedrock-runtime", region_name="us-east-1", config=NO_RETRIES),
        )


@pytest.fixture
def bedrock(clients: tuple[Any, Any]) -> Any:
    return clients[0]


def expected_ids(*geos: str) -> set[str]:
    return {f"{g}.{m.model_id}" for m in models().values() for g in m.profiles if g in geos}


def list_all(client: Any, **params: Any) -> list[dict[str, Any]]:
    """Every summary, page by page, each raw page checked against botocore's shape."""
    bodies = capture_bodies(client)

    def page(**page_params: Any) -> dict[str, Any]:
        client.list_inference_profiles(**page_params)
        return check_bedrock("ListInferenceProfiles", bodies[-1])

    return collect_pages(page, "inferenceProfileSummaries", **params)


def create(client: Any, name: str, copy_from: str, **extra: Any) -> str:
    bodies = capture_bodies(client)
    response = client.create_inference_profile(
        inferenceProfileName=name, modelSource={"copyFrom": copy_from}, **extra
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    body = check_bedrock("CreateInferenceProfile", bodies[-1])
    assert body == {"inferenceProfileArn": response["inferenceProfileArn"], "status": "ACTIVE"}
    assert APP_ARN.match(body["inferenceProfileArn"])
    return body["inferenceProfileArn"]


def get(client: Any, identifier: str) -> dict[str, Any]:
    bodies = capture_bodies(client)
    client.get_inference_profile(inferenceProfileIdentifier=identifier)
    return check_bedrock("GetInferenceProfile", bodies[-1])


# System-defined profiles


def test_a_region_lists_its_geography_and_global_profiles(bedrock: Any) -> None:
    summaries = list_all(bedrock)
    assert {s["inferenceProfileId"] for s in summaries} == expected_ids("us", "global")
    assert {s["type"] for s in summaries} == {"SYSTEM_DEFINED"}
    assert len(summaries) == len({s["inferenceProfileId"] for s in summaries})


@pytest.mark.parametrize(
    ("region", "geos"),
    [
        ("eu-west-1", ("eu", "global")),
        ("ap-northeast-1", ("apac", "jp", "global")),
        ("ap-southeast-2", ("apac", "au", "global")),
        ("us-gov-west-1", ("us-gov", "global")),
    ],
)
def test_other_geographies(region: str, geos: tuple[str, ...]) -> None:
    with mock_aws():
        client = boto3.client("bedrock", region_name=region, config=NO_RETRIES)
        assert {s["inferenceProfileId"] for s in list_all(client)} == expected_ids(*geos)


def test_a_system_profile_as_aws_describes_it(bedrock: Any) -> None:
    profile_id = f"us.{SONNET_35_V2}"
    profile = get(bedrock, profile_id)
    assert profile == {
        "inferenceProfileName": "US Anthropic Claude 3.5 Sonnet v2",
        "description": (
            "Routes requests to Anthropic Claude 3.5 Sonnet v2 in us-east-1, us-east-2 and "
            "us-west-2."
        ),
        "createdAt": "2024-08-26T00:00:00.000Z",
        "updatedAt": "2024-08-26T00:00:00.000Z",
        "inferenceProfileArn": profile_arn(profile_id),
        "models": [
            {"modelArn": fm_arn(SONNET_35_V2, region)}
            for region in ("us-east-1", "us-east-2", "us-west-2")
        ],
        "inferenceProfileId": profile_id,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }
    assert get(bedrock, profile_arn(profile_id)) == profile
    listed = next(s for s in list_all(bedrock) if s["inferenceProfileId"] == profile_id)
    assert listed == profile


def test_every_geography_lists_its_regions_models(bedrock: Any) -> None:
    for code, geo in geographies().items():
        assert len(geo.regions) <= 5  # botocore's bound on a profile's models
        assert bool(geo.regions) == (code != "global")
    eu = boto3.client("bedrock", region_name="eu-central-1", config=NO_RETRIES)
    models_ = get(eu, f"eu.{SONNET_37}")["models"]
    assert [m["modelArn"] for m in models_] == [
        fm_arn(SONNET_37, r) for r in ("eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3")
    ]


def test_a_global_profile_routes_through_the_regionless_model_arn(bedrock: Any) -> None:
    profile = get(bedrock, f"global.{SONNET_45}")
    assert profile["inferenceProfileName"] == "Global Anthropic Claude Sonnet 4.5"
    assert [m["modelArn"] for m in profile["models"]] == [
        fm_arn(SONNET_45),
        f"arn:aws:bedrock:::foundation-model/{SONNET_45}",
    ]


@pytest.mark.parametrize(
    "identifier",
    [
        f"eu.{SONNET_37}",  # another geography's profile
        f"us.{HAIKU}x",
        "us.anthropic.claude-9-v1:0",
        profile_arn(f"us.{SONNET_37}", region="us-west-2"),  # another region's ARN
        f"arn:aws:bedrock:us-east-1:999999999999:inference-profile/us.{SONNET_37}",
        "abcdefghijkl",
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/abcdefghijkl",
    ],
)
def test_unknown_profiles_are_not_found(bedrock: Any, identifier: str) -> None:
    with pytest.raises(ClientError) as info:
        bedrock.get_inference_profile(inferenceProfileIdentifier=identifier)
    assert error_parts(info) == (
        "ResourceNotFoundException",
        404,
        f"The inference profile {identifier} was not found.",
    )


# Pagination and the type filter


def test_pages_cover_the_list_exactly_once(bedrock: Any) -> None:
    everything = list_all(bedrock)
    paged = list_all(bedrock, maxResults=7)
    assert [s["inferenceProfileId"] for s in paged] == [s["inferenceProfileId"] for s in everything]
    pages = bedrock.get_paginator("list_inference_profiles").paginate(
        typeEquals="SYSTEM_DEFINED", PaginationConfig={"PageSize": 10}
    )
    sizes = [len(page["inferenceProfileSummaries"]) for page in pages]
    assert sum(sizes) == len(everything) and max(sizes) == 10 and len(sizes) > 1


def test_the_last_page_has_no_token(bedrock: Any) -> None:
    total = len(list_all(bedrock))
    bodies = capture_bodies(bedrock)
    bedrock.list_inference_profiles(maxResults=total)
    assert "nextToken" not in check_bedrock("ListInferenceProfiles", bodies[-1])
    first = bedrock.list_inference_profiles(maxResults=total - 1)
    last = bedrock.list_inference_profiles(maxResults=total, nextToken=first["nextToken"])
    assert len(last["inferenceProfileSummaries"]) == 1 and "nextToken" not in last


def test_application_profiles_page_in_creation_order(bedrock: Any) -> None:
    assert list_all(bedrock, typeEquals="APPLICATION") == []
    arns = [create(bedrock, f"app-{i}", fm_arn(HAIKU)) for i in range(5)]
    listed = list_all(bedrock, typeEquals="APPLICATION", maxResults=2)
    assert [s["inferenceProfileArn"] for s in listed] == arns
    assert {s["type"] for s in listed} == {"APPLICATION"}
    # Without a type, AWS lists system profiles only (aws/aws-cli#9728).
    assert not {s["inferenceProfileArn"] for s in list_all(bedrock)} & set(arns)


def test_a_token_survives_a_deletion_between_pages(bedrock: Any) -> None:
    arns = [create(bedrock, f"keep-{i}", fm_arn(HAIKU)) for i in range(4)]
    first = bedrock.list_inference_profiles(typeEquals="APPLICATION", maxResults=2)
    bedrock.delete_inference_profile(inferenceProfileIdentifier=arns[1])
    rest = bedrock.list_inference_profiles(
        typeEquals="APPLICATION", maxResults=2, nextToken=first["nextToken"]
    )
    assert [s["inferenceProfileArn"] for s in rest["inferenceProfileSummaries"]] == arns[2:]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"maxResults": 1001},
            "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
            "constraint: Member must have value less than or equal to 1000",
        ),
        (
            {"typeEquals": "CUSTOM"},
            "1 validation error detected: Value 'CUSTOM' at 'typeEquals' failed to satisfy "
            "constraint: Member must satisfy enum value set: [SYSTEM_DEFINED, APPLICATION]",
        ),
        ({"nextToken": "not*a*token"}, "The provided nextToken is not valid."),
    ],
)
def test_bad_list_parameters(bedrock: Any, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientError) as info:
        bedrock.list_inference_profiles(**params)
    assert error_parts(info) == ("ValidationException", 400, message)


# Application profiles


def test_create_from_a_foundation_model(bedrock: Any) -> None:
    arn = create(bedrock, "haiku-costs", fm_arn(HAIKU), description="Team A usage")
    profile_id = arn.rsplit("/", 1)[1]
    profile = get(bedrock, arn)
    assert profile["inferenceProfileName"] == "haiku-costs"
    assert profile["description"] == "Team A usage"
    assert profile["models"] == [{"modelArn": fm_arn(HAIKU)}]
    assert (profile["inferenceProfileId"], profile["status"], profile["type"]) == (
        profile_id,
        "ACTIVE",
        "APPLICATION",
    )
    assert profile["createdAt"] == profile["updatedAt"]
    assert get(bedrock, profile_id) == profile


def test_create_from_a_system_profile_copies_its_models(bedrock: Any) -> None:
    system = profile_arn(f"us.{SONNET_37}")
    arn = create(bedrock, "sonnet-37-app", system)
    assert get(bedrock, arn)["models"] == get(bedrock, system)["models"]
    assert "description" not in get(bedrock, arn)


def test_tags_at_creation_and_after(bedrock: Any) -> None:
    arn = create(bedrock, "tagged", fm_arn(HAIKU), tags=[{"key": "team", "value": "a"}])
    assert bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [
        {"key": "team", "value": "a"}
    ]
    bedrock.tag_resource(resourceARN=arn, tags=[{"key": "cost-center", "value": "42"}])
    bedrock.untag_resource(resourceARN=arn, tagKeys=["team"])
    assert bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [
        {"key": "cost-center", "value": "42"}
    ]
    bedrock.delete_inference_profile(inferenceProfileIdentifier=arn)
    with pytest.raises(ClientError) as info:
        bedrock.list_tags_for_resource(resourceARN=arn)
    assert error_parts(info)[:2] == ("ResourceNotFoundException", 404)


def test_too_many_tags(bedrock: Any) -> None:
    tags = [{"key": f"k{i}", "value": "v"} for i in range(51)]
    with pytest.raises(ClientError) as info:
        bedrock.create_inference_profile(
            inferenceProfileName="many-tags", modelSource={"copyFrom": fm_arn(HAIKU)}, tags=tags
        )
    assert error_parts(info) == (
        "TooManyTagsException",
        400,
        TOO_MANY_TAGS,
    )
    assert list_all(bedrock, typeEquals="APPLICATION") == []


def test_a_token_reused_for_another_request_is_a_conflict(bedrock: Any) -> None:
    from moto_bedrock_runtime.control.owned_resources import TOKEN_REUSED

    create(bedrock, "first", fm_arn(HAIKU), clientRequestToken="token-2")
    with pytest.raises(ClientError) as info:
        create(bedrock, "second", fm_arn(HAIKU), clientRequestToken="token-2")
    assert error_parts(info) == ("ConflictException", 400, TOKEN_REUSED.format(token="token-2"))


def test_names_are_unique_and_tokens_idempotent(bedrock: Any) -> None:
    arn = create(bedrock, "shared-name", fm_arn(HAIKU), clientRequestToken="token-1")
    assert create(bedrock, "shared-name", fm_arn(HAIKU), clientRequestToken="token-1") == arn
    with pytest.raises(ClientError) as info:
        bedrock.create_inference_profile(
            inferenceProfileName="shared-name", modelSource={"copyFrom": fm_arn(SONNET_37)}
        )
    assert error_parts(info) == (
        "ConflictException",
        400,
        "An inference profile with the name shared-name already exists.",
    )
    bedrock.delete_inference_profile(inferenceProfileIdentifier=arn)
    assert create(bedrock, "shared-name", fm_arn(HAIKU)) != arn  # the name is free again


@pytest.mark.parametrize(
    "source",
    [
        fm_arn("anthropic.claude-9-v1:0"),
        fm_arn(HAIKU, region="us-west-2"),
        profile_arn(f"eu.{SONNET_37}"),
        profile_arn(f"us.{SONNET_37}", region="us-west-2"),
    ],
)
def test_create_from_an_unknown_source_is_not_found(bedrock: Any, source: str) -> None:
    with pytest.raises(ClientError) as info:
        bedrock.create_inference_profile(
            inferenceProfileName="nowhere", modelSource={"copyFrom": source}
        )
    code, status, message = error_parts(info)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.startswith(f"The model source {source} was not found.")


def test_create_validates_its_body(bedrock: Any) -> None:
    with pytest.raises(ClientError) as info:
        bedrock.create_inference_profile(
            inferenceProfileName="bad name!", modelSource={"copyFrom": fm_arn(HAIKU)}
        )
    assert error_parts(info) == (
        "ValidationException",
        400,
        "1 validation error detected: Value 'bad name!' at 'inferenceProfileName' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
        "([0-9a-zA-Z][ _-]?)+",
    )


def test_delete(bedrock: Any) -> None:
    arn = create(bedrock, "short-lived", fm_arn(HAIKU))
    bodies = capture_bodies(bedrock)
    bedrock.delete_inference_profile(inferenceProfileIdentifier=arn.rsplit("/", 1)[1])
    assert check_bedrock("DeleteInferenceProfile", bodies[-1]) == {}
    with pytest.raises(ClientError) as info:
        bedrock.delete_inference_profile(inferenceProfileIdentifier=arn)
    assert error_parts(info) == (
        "ResourceNotFoundException",
        404,
        f"The inference profile {arn} was not found.",
    )
    with pytest.raises(ClientError) as info:
        bedrock.delete_inference_profile(inferenceProfileIdentifier=f"us.{SONNET_37}")
    assert error_parts(info)[:2] == ("ValidationException", 400)


def test_profiles_belong_to_their_region() -> None:
    with mock_aws():
        east = boto3.client("bedrock", region_name="us-east-1", config=NO_RETRIES)
        west = boto3.client("bedrock", region_name="us-west-2", config=NO_RETRIES)
        arn = create(east, "east-only", fm_arn(HAIKU))
        assert list_all(west, typeEquals="APPLICATION") == []
        with pytest.raises(ClientError) as info:
            west.get_inference_profile(inferenceProfileIdentifier=arn)
        assert error_parts(info)[:2] == ("ResourceNotFoundException", 404)


# The runtime


def test_runtime_calls_through_application_profiles(clients: tuple[Any, Any]) -> None:
    bedrock, runtime = clients
    for name, source in (
        ("from-model", fm_arn(HAIKU)),
        ("from-profile", profile_arn(f"us.{SONNET_37}")),
    ):
        arn = create(bedrock, name, source)
        reply = runtime.converse(modelId=arn, messages=[user("through my profile")])
        assert "through my profile" in reply["output"]["message"]["content"][0]["text"]
        response = runtime.invoke_model(modelId=arn, body=claude_body("native through profile"))
        native = json.loads(response["body"].read())
        assert native["type"] == "message" and native["role"] == "assistant"
        assert "native through profile" in native["content"][0]["text"]


def test_a_deleted_or_foreign_profile_is_an_invalid_model(clients: tuple[Any, Any]) -> None:
    bedrock, runtime = clients
    arn = create(bedrock, "gone-soon", fm_arn(HAIKU))
    other_account = arn.replace(ACCOUNT, "999999999999")
    bedrock.delete_inference_profile(inferenceProfileIdentifier=arn)
    for model_id in (arn, other_account):
        with pytest.raises(ClientError) as info:
            runtime.converse(modelId=model_id, messages=[user("hello")])
        assert error_parts(info) == ("ValidationException", 400, INVALID_MODEL)


def test_a_profile_only_model_by_bare_id_gets_the_on_demand_error(
    clients: tuple[Any, Any],
) -> None:
    _, runtime = clients
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=SONNET_37, messages=[user("hello")])
    message = (
        f"Invocation of model ID {SONNET_37} with on-demand throughput isn’t supported. Retry "
        "your request with the ID or ARN of an inference profile that contains this model."
    )
    assert message == ON_DEMAND_UNSUPPORTED.format(model_id=SONNET_37)
    assert error_parts(info) == ("ValidationException", 400, message)
    with pytest.raises(ClientError) as info:
        runtime.invoke_model(modelId=SONNET_37, body=claude_body("hello"))
    assert error_parts(info) == ("ValidationException", 400, message)
    assert runtime.converse(modelId=f"us.{SONNET_37}", messages=[user("hello")])["output"]


def test_listed_system_profiles_are_exactly_the_callable_ones() -> None:
    with mock_aws():
        bedrock = boto3.client("bedrock", region_name="eu-west-1", config=NO_RETRIES)
        runtime = boto3.client("bedrock-runtime", region_name="eu-west-1", config=NO_RETRIES)
        listed = {s["inferenceProfileId"] for s in list_all(bedrock)}
        assert f"eu.{SONNET_37}" in listed and f"us.{SONNET_37}" not in listed
        assert runtime.converse(modelId=f"eu.{SONNET_37}", messages=[user("hi")])["output"]
        with pytest.raises(ClientError) as info:
            runtime.converse(modelId=f"us.{SONNET_37}", messages=[user("hi")])
        assert error_parts(info) == ("ValidationException", 400, INVALID_MODEL)


# Over HTTP


@pytest.mark.server
def test_application_profile_over_the_server(cli_server: CliServer) -> None:
    bedrock = client_for(cli_server.url, "bedrock")
    runtime = client_for(cli_server.url)
    name = f"server-{uuid.uuid4().hex[:12]}"
    arn = create(bedrock, name, profile_arn(f"us.{SONNET_37}"), tags=[{"key": "k", "value": "v"}])
    assert get(bedrock, arn)["inferenceProfileName"] == name  # ':' and '/' in the URI label
    assert get(bedrock, f"us.{SONNET_37}")["type"] == "SYSTEM_DEFINED"
    assert arn in {s["inferenceProfileArn"] for s in list_all(bedrock, typeEquals="APPLICATION")}
    assert len(list_all(bedrock, maxResults=5)) == len(expected_ids("us", "global"))

    reply = runtime.converse(modelId=arn, messages=[user("over the wire")])
    assert "over the wire" in reply["output"]["message"]["content"][0]["text"]
    native = json.loads(runtime.invoke_model(modelId=arn, body=claude_body("raw"))["body"].read())
    assert native["type"] == "message"
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=SONNET_37, messages=[user("hello")])
    assert error_parts(info) == (
        "ValidationException",
        400,
        ON_DEMAND_UNSUPPORTED.format(model_id=SONNET_37),
    )
    bedrock.delete_inference_profile(inferenceProfileIdentifier=arn)
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=arn, messages=[user("hello")])
    assert error_parts(info) == ("ValidationException", 400, INVALID_MODEL)


def test_concurrent_creates_with_one_name_make_one_profile(bedrock: Any) -> None:
    def attempt(_: int) -> str:
        try:
            bedrock.create_inference_profile(
                inferenceProfileName="race", modelSource={"copyFrom": fm_arn(HAIKU)}
            )
        except ClientError as error:
            return error.response["Error"]["Code"]
        return "created"

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(attempt, range(16)))
    assert outcomes == ["ConflictException"] * 15 + ["created"]
    assert len(list_all(bedrock, typeEquals="APPLICATION")) == 1
