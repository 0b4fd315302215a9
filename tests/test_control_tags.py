"""TagResource, UntagResource and ListTagsForResource on every kind of taggable resource the
control plane creates (moto's customization jobs and custom models, application inference
profiles, provisioned throughputs, prompt routers, evaluation jobs), each raw answer checked
against botocore's shapes; AWS's 50-tag limit; and the not-found and validation errors."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from .conftest import CliServer, capture_bodies, check_output, client_of, error_parts

ACCOUNT = "123456789012"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET_35 = "anthropic.claude-3-5-sonnet-20240620-v1:0"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Bedrock"
TOO_MANY = (
    "The request contains more tags than can be associated with a resource (50 tags per "
    "resource). The maximum number of tags includes both existing tags and those included in "
    "your current request."
)
NOT_FOUND = (
    "The specified resource Amazon Resource Name (ARN) was not found. Check the Amazon Resource "
    "Name (ARN) and try your request again."
)


def fm_arn(model_id: str) -> str:
    return f"arn:aws:bedrock:us-east-1::foundation-model/{model_id}"


class Clients:
    """A bedrock client of one mock with its raw bodies captured."""

    def __init__(self, endpoint_url: str | None = None) -> None:
        self.bedrock = client_of(endpoint_url, "bedrock")
        # For the server's own validation of what botocore would refuse before sending.
        self.unchecked = client_of(endpoint_url, "bedrock", unchecked=True)
        self.bodies = capture_bodies(self.bedrock)

    def tag(self, arn: str, **tags: str) -> None:
        self.bedrock.tag_resource(
            resourceARN=arn, tags=[{"key": k, "value": v} for k, v in tags.items()]
        )
        check_output("TagResource", json.loads(self.bodies[-1]), service="bedrock")

    def untag(self, arn: str, *keys: str) -> None:
        self.bedrock.untag_resource(resourceARN=arn, tagKeys=list(keys))
        check_output("UntagResource", json.loads(self.bodies[-1]), service="bedrock")

    def tags(self, arn: str) -> dict[str, str]:
        self.bedrock.list_tags_for_resource(resourceARN=arn)
        body = json.loads(self.bodies[-1])
        check_output("ListTagsForResource", body, service="bedrock")
        return {tag["key"]: tag["value"] for tag in body["tags"]}

    # one resource of each kind

    def customization_job(self) -> str:
        return self.bedrock.create_model_customization_job(
            jobName="tune",
            customModelName="tuned",
            roleArn=ROLE,
            baseModelIdentifier="amazon.titan-text-express-v1",
            trainingDataConfig={"s3Uri": "s3://training/data.jsonl"},
            outputDataConfig={"s3Uri": "s3://training/out/"},
            hyperParameters={"epochCount": "1"},
        )["jobArn"]

    def custom_model(self) -> str:
        self.customization_job()
        return self.bedrock.get_custom_model(modelIdentifier="tuned")["modelArn"]

    def application_profile(self) -> str:
        return self.bedrock.create_inference_profile(
            inferenceProfileName="app", modelSource={"copyFrom": fm_arn(HAIKU)}
        )["inferenceProfileArn"]

    def provisioned_throughput(self) -> str:
        return self.bedrock.create_provisioned_model_throughput(
            provisionedModelName="pt", modelId=f"{HAIKU}:200k", modelUnits=1
        )["provisionedModelArn"]

    def prompt_router(self) -> str:
        return self.bedrock.create_prompt_router(
            promptRouterName="router",
            models=[{"modelArn": fm_arn(HAIKU)}],
            fallbackModel={"modelArn": fm_arn(SONNET_35)},
            routingCriteria={"responseQualityDifference": 5},
        )["promptRouterArn"]

    def evaluation_job(self) -> str:
        return self.bedrock.create_evaluation_job(
            jobName="evaluation",
            roleArn=ROLE,
            evaluationConfig={
                "automated": {
                    "datasetMetricConfigs": [
                        {
                            "taskType": "Summarization",
                            "dataset": {"name": "Builtin.Gigaword"},
                            "metricNames": ["Builtin.Accuracy"],
                        }
                    ]
                }
            },
            inferenceConfig={"models": [{"bedrockModel": {"modelIdentifier": HAIKU}}]},
            outputDataConfig={"s3Uri": "s3://evaluation/out/"},
        )["jobArn"]


KINDS: list[Callable[[Clients], str]] = [
    Clients.customization_job,
    Clients.custom_model,
    Clients.application_profile,
    Clients.provisioned_throughput,
    Clients.prompt_router,
    Clients.evaluation_job,
]


@pytest.fixture
def clients() -> Iterator[Clients]:
    with mock_aws():
        yield Clients()


@pytest.mark.parametrize("create", KINDS, ids=lambda create: create.__name__)
def test_tag_untag_and_list_on_every_kind(
    clients: Clients, create: Callable[[Clients], str]
) -> None:
    arn = create(clients)
    assert clients.tags(arn) == {}
    clients.tag(arn, team="ml", stage="test")
    clients.tag(arn, stage="prod")  # a key given again replaces its value
    assert clients.tags(arn) == {"team": "ml", "stage": "prod"}
    clients.untag(arn, "team", "never-set")
    assert clients.tags(arn) == {"stage": "prod"}


def test_the_limit_counts_existing_and_new_keys(clients: Clients) -> None:
    arn = clients.prompt_router()
    clients.tag(arn, **{f"k{n}": "v" for n in range(49)})
    clients.tag(arn, k0="replaced", k48="replaced", k49="v")  # 50 keys: at the limit
    assert len(clients.tags(arn)) == 50
    with pytest.raises(ClientError) as excinfo:
        clients.tag(arn, k50="v")
    assert error_parts(excinfo) == ("TooManyTagsException", 400, TOO_MANY)
    assert excinfo.value.response["resourceName"] == arn
    assert clients.tags(arn)["k0"] == "replaced" and "k50" not in clients.tags(arn)


def test_unknown_and_untaggable_resources(clients: Clients) -> None:
    unknown = [
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:prompt-router/000000000000",
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:evaluation-job/000000000000",
        # System-defined profiles belong to AWS, not to the account.
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.{HAIKU}",
    ]
    for arn in unknown:
        with pytest.raises(ClientError) as excinfo:
            clients.bedrock.tag_resource(resourceARN=arn, tags=[{"key": "a", "value": "b"}])
        assert error_parts(excinfo) == ("ResourceNotFoundException", 404, NOT_FOUND)
        with pytest.raises(ClientError) as excinfo:
            clients.bedrock.untag_resource(resourceARN=arn, tagKeys=["a"])
        assert error_parts(excinfo) == ("ResourceNotFoundException", 404, NOT_FOUND)
        with pytest.raises(ClientError) as excinfo:
            clients.bedrock.list_tags_for_resource(resourceARN=arn)
        assert error_parts(excinfo) == ("ResourceNotFoundException", 404, NOT_FOUND)
    # AWS's default prompt routers are not taggable resources at all.
    default = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:default-prompt-router/anthropic.claude:1"
    with pytest.raises(ClientError) as excinfo:
        clients.bedrock.list_tags_for_resource(resourceARN=default)
    code, status, message = error_parts(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith(
        f"1 validation error detected: Value '{default}' at 'resourceARN' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
    )


def test_tags_go_with_their_resource(clients: Clients) -> None:
    router = clients.prompt_router()
    clients.tag(router, team="ml")
    clients.bedrock.delete_prompt_router(promptRouterArn=router)
    with pytest.raises(ClientError) as excinfo:
        clients.tags(router)
    assert error_parts(excinfo)[:2] == ("ResourceNotFoundException", 404)


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        (
            [{"key": "k" * 129, "value": "v"}],
            f"1 validation error detected: Value '{'k' * 129}' at 'tags.1.member.key' failed to "
            "satisfy constraint: Member must have length less than or equal to 128",
        ),
        (
            [{"key": "team", "value": "a{b}"}],
            "1 validation error detected: Value 'a{b}' at 'tags.1.member.value' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9\\s._:/=+@-]*",
        ),
        (
            [{"key": "team"}],
            "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy "
            "constraint: Member must not be null",
        ),
        (
            [{"key": f"k{n}", "value": "v"} for n in range(201)],
            "1 validation error detected: Value '["
            + ", ".join(f"{{key=k{n}, value=v}}" for n in range(201))
            + "]' at 'tags' failed to satisfy constraint: Member must have length less than or "
            "equal to 200",
        ),
    ],
)
def test_bad_tags_are_validation_errors(
    clients: Clients, tags: list[dict[str, str]], message: str
) -> None:
    arn = clients.evaluation_job()
    with pytest.raises(ClientError) as excinfo:
        clients.unchecked.tag_resource(resourceARN=arn, tags=tags)
    assert error_parts(excinfo) == ("ValidationException", 400, message)
    assert clients.tags(arn) == {}


def test_missing_members_are_validation_errors(clients: Clients) -> None:
    arn = clients.evaluation_job()
    with pytest.raises(ClientError) as excinfo:
        clients.unchecked.tag_resource(resourceARN=arn)
    assert error_parts(excinfo) == (
        "ValidationException",
        400,
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: "
        "Member must not be null",
    )
    with pytest.raises(ClientError) as excinfo:
        clients.unchecked.untag_resource(resourceARN=arn, tagKeys=[""])
    assert error_parts(excinfo)[:2] == ("ValidationException", 400)


def test_tags_over_the_server(cli_server: CliServer) -> None:
    clients = Clients(cli_server.url)
    arn = clients.bedrock.create_prompt_router(
        promptRouterName="tagged-on-server",
        models=[{"modelArn": fm_arn(HAIKU)}],
        fallbackModel={"modelArn": fm_arn(SONNET_35)},
        routingCriteria={"responseQualityDifference": 5},
    )["promptRouterArn"]
    clients.tag(arn, team="ml")
    assert clients.tags(arn) == {"team": "ml"}
    with pytest.raises(ClientError) as excinfo:
        clients.tag(arn, **{f"k{n}": "v" for n in range(50)})
    assert error_parts(excinfo)[:2] == ("TooManyTagsException", 400)
    assert excinfo.value.response["resourceName"] == arn
    clients.untag(arn, "team")
    assert clients.tags(arn) == {}
    clients.bedrock.delete_prompt_router(promptRouterArn=arn)
