"""The foundation-model catalog on the control plane: ListFoundationModels and its four filters,
GetFoundationModel, availability, Marketplace agreements and the use-case form, each answer's
raw JSON checked against botocore's output shape."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from moto_bedrock_runtime.catalog import models
from moto_bedrock_runtime.request_shapes import ShapeError

from .conftest import NO_RETRIES, CliServer, capture_bodies, check_output, client_for, error_parts

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET_37 = "anthropic.claude-3-7-sonnet-20250219-v1:0"
OPUS_41 = "anthropic.claude-opus-4-1-20250805-v1:0"  # profile-only, US geography only
TITAN_TEXT = "amazon.titan-text-express-v1"

# Values AWS really returns that botocore's model does not allow (botocore does not validate
# output, so SDKs accept them): long model names, VIDEO/SPEECH/AUDIO modalities, the
# INFERENCE_PROFILE inference type, dotted profile names ("US Anthropic Claude 3.5 Sonnet"),
# free-text profile descriptions and the Region-less model ARN of global profiles.
AWS_BEYOND_BOTOCORE = [
    re.compile(r"at '[\w.]*modelName' failed to satisfy constraint: Member must have length less"),
    re.compile(r"^Value '(VIDEO|SPEECH|AUDIO)' at '[\w.]*Modalities\.\d+\.member' .* enum value"),
    re.compile(r"^Value 'INFERENCE_PROFILE' at '[\w.]*inferenceTypesSupported\.\d+\.member' "),
    re.compile(r"^Value '[^']*\.[^']*' at '[\w.]*inferenceProfileName' .* regular expression"),
    re.compile(
        r"^Value at '[\w.]*description' failed to satisfy constraint: .* regular expression"
    ),
    re.compile(r"^Value 'arn:aws[a-z-]*:bedrock:::foundation-model/[^']+' at '[\w.]*\.modelArn' "),
]


def check_bedrock(operation: str, raw: bytes) -> dict[str, Any]:
    """The raw answer fits botocore's output shape, apart from AWS's known own values."""
    body = json.loads(raw)
    try:
        check_output(operation, body, service="bedrock")
    except ShapeError as error:
        unexpected = [
            m for m in error.messages if not any(p.search(m) for p in AWS_BEYOND_BOTOCORE)
        ]
        assert not unexpected, unexpected
    return body


@pytest.fixture
def bedrock() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("bedrock", region_name="us-east-1", config=NO_RETRIES)


def _listed(client: Any, **filters: str) -> list[dict[str, Any]]:
    bodies = capture_bodies(client)
    response = client.list_foundation_models(**filters)
    body = check_bedrock("ListFoundationModels", bodies[-1])
    assert "nextToken" not in body  # not paginated
    assert [s["modelId"] for s in body["modelSummaries"]] == [
        s["modelId"] for s in response["modelSummaries"]
    ]
    return body["modelSummaries"]


# ListFoundationModels


def test_lists_the_whole_catalog_with_regional_arns(bedrock: Any) -> None:
    summaries = _listed(bedrock)
    assert [s["modelId"] for s in summaries] == list(models())
    for summary in summaries:
        model = models()[summary["modelId"]]
        arn = f"arn:aws:bedrock:us-east-1::foundation-model/{model.model_id}"
        assert summary == {"modelArn": arn, **model.summary}


def test_streaming_flag_is_omitted_where_aws_omits_it(bedrock: Any) -> None:
    by_id = {s["modelId"]: s for s in _listed(bedrock)}
    for model_id in ("amazon.titan-embed-image-v1", "amazon.titan-embed-g1-text-02"):
        assert "responseStreamingSupported" not in by_id[model_id]
    assert "responseStreamingSupported" not in by_id["stability.stable-image-core-v1:0"]
    assert by_id["amazon.titan-embed-text-v1"]["responseStreamingSupported"] is False
    assert by_id[HAIKU]["responseStreamingSupported"] is True


@pytest.mark.parametrize("provider", ["anthropic", "ANTHROPIC", "Anthropic", "aNtHrOpIc"])
def test_by_provider_ignores_case(bedrock: Any, provider: str) -> None:
    summaries = _listed(bedrock, byProvider=provider)
    expected = [m.model_id for m in models().values() if m.provider == "Anthropic"]
    assert [s["modelId"] for s in summaries] == expected
    assert HAIKU in expected and SONNET_37 in expected


def test_by_provider_with_a_space_and_an_unknown_provider(bedrock: Any) -> None:
    mistral = _listed(bedrock, byProvider="mistral ai")
    assert mistral and {s["providerName"] for s in mistral} == {"Mistral AI"}
    assert _listed(bedrock, byProvider="Nobody") == []


@pytest.mark.parametrize("customization", ["FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"])
def test_by_customization_type(bedrock: Any, customization: str) -> None:
    summaries = _listed(bedrock, byCustomizationType=customization)
    expected = [
        m.model_id
        for m in models().values()
        if customization in m.summary.get("customizationsSupported", ())
    ]
    assert expected and [s["modelId"] for s in summaries] == expected


@pytest.mark.parametrize("modality", ["TEXT", "IMAGE", "EMBEDDING"])
def test_by_output_modality(bedrock: Any, modality: str) -> None:
    summaries = _listed(bedrock, byOutputModality=modality)
    assert summaries and all(modality in s["outputModalities"] for s in summaries)
    expected = [m.model_id for m in models().values() if modality in m.summary["outputModalities"]]
    assert [s["modelId"] for s in summaries] == expected


def test_on_demand_leaves_out_profile_only_models(bedrock: Any) -> None:
    """As on AWS, byInferenceType=ON_DEMAND hides models reachable only through profiles
    (open-webui/pipelines#490: Claude 3.7 Sonnet missing from such a listing)."""
    on_demand = {s["modelId"] for s in _listed(bedrock, byInferenceType="ON_DEMAND")}
    assert HAIKU in on_demand and TITAN_TEXT in on_demand
    assert SONNET_37 not in on_demand and "meta.llama3-2-1b-instruct-v1:0" not in on_demand
    assert on_demand == {m.model_id for m in models().values() if "ON_DEMAND" in m.inference_types}


def test_provisioned_lists_the_context_variants(bedrock: Any) -> None:
    provisioned = {s["modelId"] for s in _listed(bedrock, byInferenceType="PROVISIONED")}
    assert "anthropic.claude-3-haiku-20240307-v1:0:200k" in provisioned
    assert "amazon.titan-image-generator-v2:0" in provisioned  # both ON_DEMAND and PROVISIONED
    assert HAIKU not in provisioned and SONNET_37 not in provisioned


def test_filters_combine(bedrock: Any) -> None:
    summaries = _listed(
        bedrock, byProvider="amazon", byOutputModality="TEXT", byCustomizationType="FINE_TUNING"
    )
    assert {s["modelId"] for s in summaries} == {
        m.model_id
        for m in models().values()
        if m.provider == "Amazon"
        and "TEXT" in m.summary["outputModalities"]
        and "FINE_TUNING" in m.summary["customizationsSupported"]
    }
    assert summaries and all(s["inferenceTypesSupported"] == ["PROVISIONED"] for s in summaries)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (
            {"byInferenceType": "INFERENCE_PROFILE"},
            "1 validation error detected: Value 'INFERENCE_PROFILE' at 'byInferenceType' failed "
            "to satisfy constraint: Member must satisfy enum value set: [ON_DEMAND, PROVISIONED]",
        ),
        (
            {"byOutputModality": "VIDEO"},
            "1 validation error detected: Value 'VIDEO' at 'byOutputModality' failed to satisfy "
            "constraint: Member must satisfy enum value set: [TEXT, IMAGE, EMBEDDING]",
        ),
        (
            {"byProvider": "Anthropic!"},
            "1 validation error detected: Value 'Anthropic!' at 'byProvider' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [A-Za-z0-9- ]{1,63}",
        ),
    ],
)
def test_bad_filters_are_validation_errors(
    bedrock: Any, filters: dict[str, str], message: str
) -> None:
    with pytest.raises(ClientError) as info:
        bedrock.list_foundation_models(**filters)
    assert error_parts(info) == ("ValidationException", 400, message)


# GetFoundationModel


def test_get_by_id_and_by_arn(bedrock: Any) -> None:
    bodies = capture_bodies(bedrock)
    listed = {s["modelId"]: s for s in bedrock.list_foundation_models()["modelSummaries"]}
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET_37}"
    for identifier in (SONNET_37, arn):
        bedrock.get_foundation_model(modelIdentifier=identifier)
        body = check_bedrock("GetFoundationModel", bodies[-1])
        assert body["modelDetails"]["modelArn"] == arn
        assert body["modelDetails"]["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]
    raw_list = json.loads(bodies[0])["modelSummaries"]
    assert body["modelDetails"] == next(s for s in raw_list if s["modelId"] == SONNET_37)
    assert listed[SONNET_37]["modelName"] == "Claude 3.7 Sonnet"


def test_get_in_another_region_answers_with_that_regions_arn() -> None:
    with mock_aws():
        bedrock = boto3.client("bedrock", region_name="eu-west-1", config=NO_RETRIES)
        details = bedrock.get_foundation_model(modelIdentifier=HAIKU)["modelDetails"]
        assert details["modelArn"] == f"arn:aws:bedrock:eu-west-1::foundation-model/{HAIKU}"


@pytest.mark.parametrize(
    "identifier",
    [
        "anthropic.claude-9-v1:0",
        "us.anthropic.claude-3-haiku-20240307-v1:0",  # a profile is not a foundation model
        f"arn:aws:bedrock:us-west-2::foundation-model/{HAIKU}",  # another region's ARN
    ],
)
def test_get_unknown_model_is_not_found(bedrock: Any, identifier: str) -> None:
    bodies = capture_bodies(bedrock)
    with pytest.raises(ClientError) as info:
        bedrock.get_foundation_model(modelIdentifier=identifier)
    message = f"The model {identifier} was not found."
    assert error_parts(info) == ("ResourceNotFoundException", 404, message)
    assert json.loads(bodies[-1]) == {"message": message}


def test_get_with_a_malformed_identifier_is_a_validation_error(bedrock: Any) -> None:
    with pytest.raises(ClientError) as info:
        bedrock.get_foundation_model(modelIdentifier="Claude")
    code, status, message = error_parts(info)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith(
        "1 validation error detected: Value 'Claude' at 'modelIdentifier' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
    )


# Availability and agreements


def _availability(client: Any, model_id: str) -> dict[str, Any]:
    bodies = capture_bodies(client)
    client.get_foundation_model_availability(modelId=model_id)
    return check_bedrock("GetFoundationModelAvailability", bodies[-1])


def test_agreements_drive_availability(bedrock: Any) -> None:
    assert _availability(bedrock, HAIKU) == {
        "modelId": HAIKU,
        "agreementAvailability": {"status": "NOT_AVAILABLE"},
        "authorizationStatus": "AUTHORIZED",
        "entitlementAvailability": "NOT_AVAILABLE",
        "regionAvailability": "AVAILABLE",
    }
    bodies = capture_bodies(bedrock)
    offers = bedrock.list_foundation_model_agreement_offers(modelId=HAIKU)
    assert check_bedrock("ListFoundationModelAgreementOffers", bodies[-1])["modelId"] == HAIKU
    [offer] = offers["offers"]
    assert offer["offerId"].startswith("offer-") and offer["termDetails"]["legalTerm"]["url"]

    created = bedrock.create_foundation_model_agreement(
        modelId=HAIKU, offerToken=offer["offerToken"]
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert check_bedrock("CreateFoundationModelAgreement", bodies[-1]) == {"modelId": HAIKU}
    available = _availability(bedrock, HAIKU)
    assert available["agreementAvailability"] == {"status": "AVAILABLE"}
    assert available["entitlementAvailability"] == "AVAILABLE"

    deleted = bedrock.delete_foundation_model_agreement(modelId=HAIKU)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert check_bedrock("DeleteFoundationModelAgreement", bodies[-1]) == {}
    assert _availability(bedrock, HAIKU)["agreementAvailability"] == {"status": "NOT_AVAILABLE"}


def test_agreements_are_per_region() -> None:
    with mock_aws():
        east = boto3.client("bedrock", region_name="us-east-1", config=NO_RETRIES)
        west = boto3.client("bedrock", region_name="us-west-2", config=NO_RETRIES)
        [offer] = east.list_foundation_model_agreement_offers(modelId=HAIKU)["offers"]
        east.create_foundation_model_agreement(modelId=HAIKU, offerToken=offer["offerToken"])
        assert _availability(east, HAIKU)["entitlementAvailability"] == "AVAILABLE"
        assert _availability(west, HAIKU)["entitlementAvailability"] == "NOT_AVAILABLE"


def test_amazon_models_need_no_agreement(bedrock: Any) -> None:
    assert _availability(bedrock, TITAN_TEXT)["agreementAvailability"] == {"status": "AVAILABLE"}
    for offer_type in ("ALL", "PUBLIC"):
        bodies = capture_bodies(bedrock)
        bedrock.list_foundation_model_agreement_offers(modelId=TITAN_TEXT, offerType=offer_type)
        assert check_bedrock("ListFoundationModelAgreementOffers", bodies[-1]) == {
            "modelId": TITAN_TEXT,
            "offers": [],
        }
    with pytest.raises(ClientError) as info:
        bedrock.create_foundation_model_agreement(modelId=TITAN_TEXT, offerToken="anything")
    assert error_parts(info)[:2] == ("ValidationException", 400)


def test_region_availability_follows_the_profiles_a_region_can_call() -> None:
    with mock_aws():
        us = boto3.client("bedrock", region_name="us-east-1", config=NO_RETRIES)
        eu = boto3.client("bedrock", region_name="eu-west-1", config=NO_RETRIES)
        assert _availability(us, OPUS_41)["regionAvailability"] == "AVAILABLE"
        assert _availability(eu, OPUS_41)["regionAvailability"] == "NOT_AVAILABLE"
        assert _availability(eu, SONNET_37)["regionAvailability"] == "AVAILABLE"  # eu. profile


def test_agreement_errors(bedrock: Any) -> None:
    with pytest.raises(ClientError) as info:
        bedrock.create_foundation_model_agreement(modelId=HAIKU, offerToken="not-the-token")
    assert error_parts(info) == (
        "ValidationException",
        400,
        f"The offer token is not valid for model {HAIKU}.",
    )
    [offer] = bedrock.list_foundation_model_agreement_offers(modelId=HAIKU)["offers"]
    bedrock.create_foundation_model_agreement(modelId=HAIKU, offerToken=offer["offerToken"])
    with pytest.raises(ClientError) as info:
        bedrock.create_foundation_model_agreement(modelId=HAIKU, offerToken=offer["offerToken"])
    assert error_parts(info) == (
        "ConflictException",
        400,
        f"An agreement for model {HAIKU} already exists.",
    )
    bedrock.delete_foundation_model_agreement(modelId=HAIKU)
    with pytest.raises(ClientError) as info:
        bedrock.delete_foundation_model_agreement(modelId=HAIKU)
    assert error_parts(info) == (
        "ResourceNotFoundException",
        404,
        f"No agreement exists for model {HAIKU}.",
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_foundation_model_availability(modelId="anthropic.claude-9-v1:0"),
        lambda c: c.list_foundation_model_agreement_offers(modelId="anthropic.claude-9-v1:0"),
        lambda c: c.create_foundation_model_agreement(
            modelId="anthropic.claude-9-v1:0", offerToken="t"
        ),
        lambda c: c.delete_foundation_model_agreement(modelId="anthropic.claude-9-v1:0"),
    ],
)
def test_unknown_models_are_not_found_everywhere(bedrock: Any, call: Any) -> None:
    with pytest.raises(ClientError) as info:
        call(bedrock)
    assert error_parts(info) == (
        "ResourceNotFoundException",
        404,
        "The model anthropic.claude-9-v1:0 was not found.",
    )


# Use case for model access


def test_use_case_form_is_stored(bedrock: Any) -> None:
    with pytest.raises(ClientError) as info:
        bedrock.get_use_case_for_model_access()
    assert error_parts(info) == (
        "ResourceNotFoundException",
        404,
        "No use case has been submitted for model access.",
    )
    form = json.dumps({"companyName": "Example Corp", "intendedUsers": "0"}).encode()
    bodies = capture_bodies(bedrock)
    put = bedrock.put_use_case_for_model_access(formData=form)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert check_bedrock("PutUseCaseForModelAccess", bodies[-1]) == {}
    assert bedrock.get_use_case_for_model_access()["formData"] == form
    check_bedrock("GetUseCaseForModelAccess", bodies[-1])
    bedrock.put_use_case_for_model_access(formData=b"replaced form")
    assert bedrock.get_use_case_for_model_access()["formData"] == b"replaced form"


def test_use_case_form_too_short_is_a_validation_error(bedrock: Any) -> None:
    with pytest.raises(ClientError) as info:
        bedrock.put_use_case_for_model_access(formData=b"short")
    assert error_parts(info) == (
        "ValidationException",
        400,
        "1 validation error detected: Value 'c2hvcnQ=' at 'formData' failed to satisfy "
        "constraint: Member must have length greater than or equal to 10",
    )


# Over HTTP


@pytest.mark.server
def test_catalog_over_the_server(cli_server: CliServer) -> None:
    bedrock = client_for(cli_server.url, "bedrock")
    bodies = capture_bodies(bedrock)
    bedrock.list_foundation_models(byProvider="META", byInferenceType="ON_DEMAND")
    summaries = check_bedrock("ListFoundationModels", bodies[-1])["modelSummaries"]
    assert {s["modelId"] for s in summaries} == {
        m.model_id
        for m in models().values()
        if m.provider == "Meta" and "ON_DEMAND" in m.inference_types
    }
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET_37}"  # ':' and '/' in the path
    details = bedrock.get_foundation_model(modelIdentifier=arn)["modelDetails"]
    assert details["modelId"] == SONNET_37
    check_bedrock("GetFoundationModel", bodies[-1])
    with pytest.raises(ClientError) as info:
        bedrock.get_foundation_model(modelIdentifier="anthropic.claude-9-v1:0")
    assert error_parts(info)[:2] == ("ResourceNotFoundException", 404)
    available = bedrock.get_foundation_model_availability(modelId=TITAN_TEXT)
    assert available["regionAvailability"] == "AVAILABLE"
    check_bedrock("GetFoundationModelAvailability", bodies[-1])
