"""Guardrails in the control plane: create (every policy, defaults filled in), get, update,
versions, list (all, or one guardrail's versions, every page), delete (whole or one version),
tags, idempotency tokens, statuses, quotas and every error with its code and status; each raw
answer checked against botocore's shapes; nothing half-changed after an error; over HTTP on
both servers; concurrent writers."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from moto_bedrock_runtime.config import PROVISIONING_SECONDS
from moto_bedrock_runtime.control.owned_resources import TOO_MANY_TAGS

from .conftest import (
    CliServer,
    capture_bodies,
    check_output,
    client_of,
    collect_pages,
    error_of,
)

ACCOUNT = "123456789012"
GUARDRAIL_ARN = re.compile(rf"^arn:aws:bedrock:us-east-1:{ACCOUNT}:guardrail/([a-z0-9]{{12}})$")
MESSAGES = {"blockedInputMessaging": "Input blocked.", "blockedOutputsMessaging": "Output blocked."}
KMS_KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:automated-reasoning-policy/abcdefghijkl:1"
EVERY_POLICY: dict[str, Any] = {
    "description": "Every policy",
    "topicPolicyConfig": {
        "topicsConfig": [
            {
                "name": "Investment Advice",
                "definition": "Recommendations about buying stocks or funds.",
                "examples": ["Which stocks should I buy?"],
                "type": "DENY",
                "outputEnabled": False,
            }
        ],
        "tierConfig": {"tierName": "STANDARD"},
    },
    "contentPolicyConfig": {
        "filtersConfig": [
            {"type": "VIOLENCE", "inputStrength": "HIGH", "outputStrength": "MEDIUM"},
            {
                "type": "PROMPT_ATTACK",
                "inputStrength": "HIGH",
                "outputStrength": "NONE",
                "inputAction": "NONE",
            },
        ],
        "tierConfig": {"tierName": "STANDARD"},
    },
    "wordPolicyConfig": {
        "wordsConfig": [{"text": "CompetitorBank"}],
        "managedWordListsConfig": [{"type": "PROFANITY", "outputAction": "NONE"}],
    },
    "sensitiveInformationPolicyConfig": {
        "piiEntitiesConfig": [{"type": "EMAIL", "action": "ANONYMIZE", "outputAction": "BLOCK"}],
        "regexesConfig": [
            {
                "name": "claim",
                "description": "claim numbers",
                "pattern": "CLM-[0-9]{4}",
                "action": "BLOCK",
            }
        ],
    },
    "contextualGroundingPolicyConfig": {
        "filtersConfig": [
            {"type": "GROUNDING", "threshold": 0.7},
            {"type": "RELEVANCE", "threshold": 0.5},
        ]
    },
    "automatedReasoningPolicyConfig": {"policies": [POLICY_ARN], "confidenceThreshold": 0.8},
    "crossRegionConfig": {"guardrailProfileIdentifier": "us.guardrail.v1:0"},
    "kmsKeyId": KMS_KEY,
}
DIRECTED = {
    "inputAction": "BLOCK",
    "outputAction": "BLOCK",
    "inputEnabled": True,
    "outputEnabled": True,
}


class Rails:
    """bedrock and bedrock-runtime clients of one endpoint, with the bedrock raw bodies."""

    def __init__(self, url: str | None = None) -> None:
        self.bedrock = client_of(url, "bedrock")
        self.runtime = client_of(url)
        self.unchecked = client_of(url, "bedrock", unchecked=True)
        self.bodies = capture_bodies(self.bedrock)

    def checked(self, operation: str) -> dict[str, Any]:
        body = json.loads(self.bodies[-1])
        check_output(operation, body, service="bedrock")
        return body

    def create(self, name: str | None = None, **extra: Any) -> dict[str, Any]:
        name = name or f"gr-{uuid.uuid4().hex[:12]}"
        response = self.bedrock.create_guardrail(name=name, **MESSAGES, **extra)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
        body = self.checked("CreateGuardrail")
        assert GUARDRAIL_ARN.match(body["guardrailArn"]).group(1) == body["guardrailId"]
        assert body["version"] == "DRAFT"
        return body

    def get(self, identifier: str, version: str | None = None) -> dict[str, Any]:
        extra = {"guardrailVersion": version} if version else {}
        self.bedrock.get_guardrail(guardrailIdentifier=identifier, **extra)
        return self.checked("GetGuardrail")

    def page(self, **params: Any) -> dict[str, Any]:
        self.bedrock.list_guardrails(**params)
        return self.checked("ListGuardrails")

    def listed(self, **params: Any) -> list[dict[str, Any]]:
        return collect_pages(self.page, "guardrails", **params)

    def version(self, identifier: str, **extra: Any) -> str:
        response = self.bedrock.create_guardrail_version(guardrailIdentifier=identifier, **extra)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
        return self.checked("CreateGuardrailVersion")["version"]

    def apply(
        self, identifier: str, version: str, text: str, source: str = "INPUT"
    ) -> dict[str, Any]:
        return self.runtime.apply_guardrail(
            guardrailIdentifier=identifier,
            guardrailVersion=version,
            source=source,
            content=[{"text": {"text": text}}],
        )


@pytest.fixture
def aws() -> Iterator[Rails]:
    with mock_aws():
        yield Rails()


# -- create and get ---------------------------------------------------------------------------


def test_create_and_get_a_minimal_guardrail(aws: Rails) -> None:
    created = aws.create("minimal")
    got = aws.get(created["guardrailId"])
    assert got == {
        "name": "minimal",
        "guardrailId": created["guardrailId"],
        "guardrailArn": created["guardrailArn"],
        "version": "DRAFT",
        "status": "READY",
        "createdAt": created["createdAt"],
        "updatedAt": created["createdAt"],
        **MESSAGES,
    }
    assert aws.get(created["guardrailArn"], "DRAFT") == got


def test_every_policy_is_stored_with_aws_defaults(aws: Rails) -> None:
    created = aws.create("everything", **EVERY_POLICY)
    got = aws.get(created["guardrailId"])
    assert got["description"] == "Every policy"
    assert got["topicPolicy"] == {
        "topics": [
            {
                "name": "Investment Advice",
                "definition": "Recommendations about buying stocks or funds.",
                "examples": ["Which stocks should I buy?"],
                "type": "DENY",
                **DIRECTED,
                "outputEnabled": False,
            }
        ],
        "tier": {"tierName": "STANDARD"},
    }
    violence, attack = got["contentPolicy"]["filters"]
    assert violence == {
        "type": "VIOLENCE",
        "inputStrength": "HIGH",
        "outputStrength": "MEDIUM",
        "inputModalities": ["TEXT"],
        "outputModalities": ["TEXT"],
        **DIRECTED,
    }
    assert attack["inputAction"] == "NONE" and attack["outputStrength"] == "NONE"
    assert got["wordPolicy"] == {
        "words": [{"text": "CompetitorBank", **DIRECTED}],
        "managedWordLists": [{"type": "PROFANITY", **DIRECTED, "outputAction": "NONE"}],
    }
    assert got["sensitiveInformationPolicy"] == {
        "piiEntities": [
            {
                "type": "EMAIL",
                "action": "ANONYMIZE",
                "inputAction": "ANONYMIZE",
                "outputAction": "BLOCK",
                "inputEnabled": True,
                "outputEnabled": True,
            }
        ],
        "regexes": [
            {
                "name": "claim",
                "description": "claim numbers",
                "pattern": "CLM-[0-9]{4}",
                "action": "BLOCK",
                **DIRECTED,
            }
        ],
    }
    assert got["contextualGroundingPolicy"] == {
        "filters": [
            {"type": "GROUNDING", "threshold": 0.7, "action": "BLOCK", "enabled": True},
            {"type": "RELEVANCE", "threshold": 0.5, "action": "BLOCK", "enabled": True},
        ]
    }
    assert got["automatedReasoningPolicy"] == {"policies": [POLICY_ARN], "confidenceThreshold": 0.8}
    assert got["crossRegionDetails"] == {
        "guardrailProfileId": "us.guardrail.v1:0",
        "guardrailProfileArn": (
            f"arn:aws:bedrock:us-east-1:{ACCOUNT}:guardrail-profile/us.guardrail.v1:0"
        ),
    }
    assert got["kmsKeyArn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KMS_KEY}"
    summary = aws.listed()[0]
    assert summary["crossRegionDetails"] == got["crossRegionDetails"]
    assert summary["description"] == "Every policy"


@pytest.mark.parametrize(
    ("key", "reported"),
    [
        (
            f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KMS_KEY}",
            f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KMS_KEY}",
        ),
        (KMS_KEY, f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KMS_KEY}"),
        ("alias/guardrails", None),
    ],
)
def test_kms_keys_are_reported_as_key_arns(aws: Rails, key: str, reported: str | None) -> None:
    got = aws.get(aws.create(kmsKeyId=key)["guardrailId"])
    if reported:
        assert got["kmsKeyArn"] == reported
    else:
        assert re.match(rf"^arn:aws:kms:us-east-1:{ACCOUNT}:key/[0-9a-f-]{{36}}$", got["kmsKeyArn"])
        assert aws.get(aws.create(kmsKeyId=key)["guardrailId"])["kmsKeyArn"] == got["kmsKeyArn"]


# -- update and versions ----------------------------------------------------------------------


def test_update_replaces_the_draft_and_versions_are_snapshots(aws: Rails) -> None:
    words = {"wordsConfig": [{"text": "alpha"}]}
    gid = aws.create("versioned", wordPolicyConfig=words)["guardrailId"]
    assert aws.version(gid, description="first") == "1"
    aws.bedrock.update_guardrail(
        guardrailIdentifier=gid,
        name="versioned-2",
        blockedInputMessaging="New input message.",
        blockedOutputsMessaging="New output message.",
        topicPolicyConfig={
            "topicsConfig": [{"name": "Cooking", "definition": "Recipes.", "type": "DENY"}]
        },
    )
    updated = aws.checked("UpdateGuardrail")
    assert updated["version"] == "DRAFT" and updated["guardrailId"] == gid
    draft = aws.get(gid)
    assert (
        draft["name"] == "versioned-2" and "wordPolicy" not in draft and "description" not in draft
    )
    assert draft["topicPolicy"]["topics"][0]["name"] == "Cooking"
    assert draft["updatedAt"] >= draft["createdAt"]
    first = aws.get(gid, "1")
    assert (first["name"], first["version"], first["description"]) == ("versioned", "1", "first")
    assert first["wordPolicy"]["words"][0]["text"] == "alpha"
    assert aws.version(gid) == "2"
    assert aws.get(gid, "2")["name"] == "versioned-2"
    # The runtime applies each version's own configuration.
    assert aws.apply(gid, "1", "alpha")["action"] == "GUARDRAIL_INTERVENED"
    assert aws.apply(gid, "DRAFT", "alpha")["action"] == "NONE"
    assert aws.apply(gid, "2", "Share a cooking recipe")["outputs"] == [
        {"text": "New input message."}
    ]


def test_listing_versions_and_deleting_one(aws: Rails) -> None:
    gid = aws.create("with-versions", description="draft words")["guardrailId"]
    for expected in ("1", "2", "3"):
        assert aws.version(gid) == expected
    versions = aws.listed(guardrailIdentifier=gid)
    assert [v["version"] for v in versions] == ["DRAFT", "1", "2", "3"]
    assert {v["description"] for v in versions} == {"draft words"}
    assert [v["version"] for v in aws.listed(guardrailIdentifier=gid, maxResults=3)] == [
        "DRAFT",
        "1",
        "2",
        "3",
    ]
    response = aws.bedrock.delete_guardrail(guardrailIdentifier=gid, guardrailVersion="2")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert [v["version"] for v in aws.listed(guardrailIdentifier=gid)] == ["DRAFT", "1", "3"]
    assert aws.version(gid) == "4"  # numbers are never reused
    code, status, message = error_of(
        aws.bedrock.get_guardrail, guardrailIdentifier=gid, guardrailVersion="2"
    )
    assert (code, status, message) == (
        "ResourceNotFoundException",
        404,
        f"The guardrail {gid} has no version 2.",
    )
    code, _, message = error_of(
        aws.runtime.apply_guardrail,
        guardrailIdentifier=gid,
        guardrailVersion="2",
        source="INPUT",
        content=[{"text": {"text": "x"}}],
    )
    assert (code, message) == (
        "ResourceNotFoundException",
        "The guardrail identifier or version provided in the request does not exist.",
    )
    code, status, _ = error_of(
        aws.bedrock.delete_guardrail, guardrailIdentifier=gid, guardrailVersion="2"
    )
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_list_every_guardrail_newest_first_page_by_page(aws: Rails) -> None:
    names = [f"list-{i}" for i in range(5)]
    for name in names:
        aws.create(name)
    gid = aws.listed()[0]["id"]
    aws.version(gid)
    listed = aws.listed(maxResults=2)
    assert [g["name"] for g in listed] == names[::-1]
    assert {g["version"] for g in listed} == {"DRAFT"}
    assert set(listed[0]) == {"id", "arn", "status", "name", "version", "createdAt", "updatedAt"}
    paginator = aws.bedrock.get_paginator("list_guardrails")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page["guardrails"]) for page in pages] == [2, 2, 1]
    code, status, _ = error_of(aws.bedrock.list_guardrails, nextToken="not-a-token")
    assert (code, status) == ("ValidationException", 400)


def test_delete_a_whole_guardrail(aws: Rails) -> None:
    created = aws.create("doomed", tags=[{"key": "team", "value": "ai"}])
    gid, arn = created["guardrailId"], created["guardrailArn"]
    aws.version(gid)
    response = aws.bedrock.delete_guardrail(guardrailIdentifier=arn)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert aws.listed() == []
    for call, params in (
        (aws.bedrock.get_guardrail, {"guardrailIdentifier": gid}),
        (aws.bedrock.get_guardrail, {"guardrailIdentifier": gid, "guardrailVersion": "1"}),
        (aws.bedrock.list_guardrails, {"guardrailIdentifier": gid}),
        (aws.bedrock.delete_guardrail, {"guardrailIdentifier": gid}),
        (aws.bedrock.create_guardrail_version, {"guardrailIdentifier": gid}),
        (aws.bedrock.list_tags_for_resource, {"resourceARN": arn}),
    ):
        code, status, _ = error_of(call, **params)
        assert (code, status) == ("ResourceNotFoundException", 404)
    assert aws.create("doomed")["guardrailId"] != gid  # the name is free again


# -- tags, tokens, statuses ---------------------------------------------------------------------


def test_tags_on_a_guardrail(aws: Rails) -> None:
    arn = aws.create(tags=[{"key": "team", "value": "ai"}])["guardrailArn"]
    assert aws.bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [
        {"key": "team", "value": "ai"}
    ]
    aws.bedrock.tag_resource(resourceARN=arn, tags=[{"key": "env", "value": "test"}])
    aws.bedrock.untag_resource(resourceARN=arn, tagKeys=["team"])
    assert aws.bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [
        {"key": "env", "value": "test"}
    ]
    many = [{"key": f"k{i}", "value": "v"} for i in range(51)]
    assert error_of(aws.bedrock.create_guardrail, name="too-many-tags", tags=many, **MESSAGES) == (
        "TooManyTagsException",
        400,
        TOO_MANY_TAGS,
    )
    assert "too-many-tags" not in {g["name"] for g in aws.listed()}


def test_client_request_tokens(aws: Rails) -> None:
    first = aws.create("idempotent", clientRequestToken="token-1")
    again = aws.create("idempotent", clientRequestToken="token-1")
    assert again["guardrailId"] == first["guardrailId"]
    code, status, message = error_of(
        aws.bedrock.create_guardrail, name="other", clientRequestToken="token-1", **MESSAGES
    )
    assert (code, status) == ("ConflictException", 400)
    assert message == (
        "The client request token token-1 was already used for a request with different parameters."
    )
    gid = first["guardrailId"]
    assert aws.version(gid, clientRequestToken="v-token") == "1"
    assert aws.version(gid, clientRequestToken="v-token") == "1"
    assert aws.version(gid) == "2"
    # A deleted version takes its token along: the retry makes a new version, not a dead one.
    aws.bedrock.delete_guardrail(guardrailIdentifier=gid, guardrailVersion="1")
    assert aws.version(gid, clientRequestToken="v-token") == "3"


def test_statuses_wait_for_the_provisioning_delay(
    aws: Rails, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PROVISIONING_SECONDS, "600")
    gid = aws.create("slow")["guardrailId"]
    assert aws.get(gid)["status"] == "CREATING"
    assert aws.apply(gid, "DRAFT", "hello")["action"] == "NONE"  # applied whatever its status
    assert aws.version(gid) == "1"
    assert aws.get(gid, "1")["status"] == "VERSIONING"
    monkeypatch.setenv(PROVISIONING_SECONDS, "0")
    assert aws.get(gid)["status"] == "READY"
    assert [v["status"] for v in aws.listed(guardrailIdentifier=gid)] == ["READY", "READY"]
    monkeypatch.setenv(PROVISIONING_SECONDS, "600")
    aws.bedrock.update_guardrail(guardrailIdentifier=gid, name="slow", **MESSAGES)
    assert aws.get(gid)["status"] == "UPDATING"
    assert aws.get(gid, "1")["status"] == "READY"


# -- errors -------------------------------------------------------------------------------------


def test_create_errors_leave_nothing_behind(aws: Rails) -> None:
    aws.create("taken")
    create = aws.bedrock.create_guardrail
    code, status, message = error_of(create, name="taken", **MESSAGES)
    assert (code, status, message) == (
        "ConflictException",
        400,
        "A guardrail with the name 'taken' already exists.",
    )
    bad_filter = {
        "filtersConfig": [
            {"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "HIGH"}
        ]
    }
    code, status, message = error_of(create, name="x", contentPolicyConfig=bad_filter, **MESSAGES)
    assert (code, status, message) == (
        "ValidationException",
        400,
        "The outputStrength for PROMPT_ATTACK filter must be NONE.",
    )
    standard = {**EVERY_POLICY}
    del standard["crossRegionConfig"]
    _, _, message = error_of(create, name="x", **standard, **MESSAGES)
    assert (
        message
        == "The STANDARD tier requires cross-region inference to be configured for this guardrail."
    )
    for profile in (
        "eu.guardrail.v1:0",
        "xx.guardrail.v1:0",
        f"arn:aws:bedrock:us-west-2:{ACCOUNT}:guardrail-profile/us.guardrail.v1:0",
    ):
        code, status, message = error_of(
            create, name="x", crossRegionConfig={"guardrailProfileIdentifier": profile}, **MESSAGES
        )
        assert (code, status) == ("ResourceNotFoundException", 404)
        assert message == f"The guardrail profile {profile} was not found in this Region."
    code, status, message = error_of(aws.unchecked.create_guardrail, name="bad name!", **MESSAGES)
    assert (code, status, message) == (
        "ValidationException",
        400,
        "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [0-9a-zA-Z-_]+",
    )
    code, status, message = error_of(
        aws.unchecked.create_guardrail, name="x", blockedInputMessaging="no"
    )
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "1 validation error detected: Value at 'blockedOutputsMessaging' failed to satisfy "
        "constraint: Member must not be null"
    )
    _, _, message = error_of(
        aws.unchecked.create_guardrail,
        name="x",
        wordPolicyConfig={"wordsConfig": [{"text": 5}]},
        **MESSAGES,
    )
    assert message == (
        "1 validation error detected: Value '5' at 'wordPolicyConfig.wordsConfig.1.member.text' "
        "failed to satisfy constraint: Member must be a string"
    )
    assert [g["name"] for g in aws.listed()] == ["taken"]


def test_update_errors_leave_the_draft_unchanged(aws: Rails) -> None:
    gid = aws.create("original", wordPolicyConfig={"wordsConfig": [{"text": "alpha"}]})[
        "guardrailId"
    ]
    aws.create("other")
    before = aws.get(gid)
    update = aws.bedrock.update_guardrail
    code, _, _ = error_of(update, guardrailIdentifier=gid, name="other", **MESSAGES)
    assert code == "ConflictException"
    bad_regex = {"regexesConfig": [{"name": "r", "pattern": "(abc", "action": "BLOCK"}]}
    code, _, message = error_of(
        update,
        guardrailIdentifier=gid,
        name="original",
        sensitiveInformationPolicyConfig=bad_regex,
        **MESSAGES,
    )
    assert code == "ValidationException" and message.startswith(
        "The pattern of the regex r is not a valid"
    )
    code, status, _ = error_of(update, guardrailIdentifier="nosuchguardrail", name="x", **MESSAGES)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert aws.get(gid) == before


def test_identifier_and_version_errors(aws: Rails) -> None:
    created = aws.create("ids")
    gid = created["guardrailId"]
    elsewhere = created["guardrailArn"].replace("us-east-1", "us-west-2")
    for identifier in ("abcdef123456", elsewhere, f"{created['guardrailArn']}x"):
        code, status, message = error_of(aws.bedrock.get_guardrail, guardrailIdentifier=identifier)
        assert (code, status, message) == (
            "ResourceNotFoundException",
            404,
            f"The guardrail {identifier} was not found.",
        )
    code, status, message = error_of(aws.bedrock.get_guardrail, guardrailIdentifier="Not-An-Id")
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith(
        "1 validation error detected: Value 'Not-An-Id' at 'guardrailIdentifier'"
    )
    code, status, message = error_of(
        aws.bedrock.get_guardrail, guardrailIdentifier=gid, guardrailVersion="0"
    )
    assert (code, status) == ("ValidationException", 400)
    assert "at 'guardrailVersion' failed to satisfy constraint" in message
    code, status, message = error_of(
        aws.bedrock.delete_guardrail, guardrailIdentifier=gid, guardrailVersion="DRAFT"
    )
    assert (code, status) == ("ValidationException", 400)
    assert "Member must satisfy regular expression pattern: [1-9][0-9]{0,7}" in message
    code, status, _ = error_of(
        aws.bedrock.get_guardrail, guardrailIdentifier=gid, guardrailVersion="7"
    )
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_quotas(aws: Rails) -> None:
    gid = aws.create("quota")["guardrailId"]
    for _ in range(20):
        aws.version(gid)
    code, status, message = error_of(aws.bedrock.create_guardrail_version, guardrailIdentifier=gid)
    assert (code, status) == ("ServiceQuotaExceededException", 400)
    assert message.startswith(f"The guardrail {gid} already has 20 versions")
    aws.bedrock.delete_guardrail(guardrailIdentifier=gid, guardrailVersion="1")
    assert aws.version(gid) == "21"
    for index in range(99):
        aws.create(f"many-{index}")
    code, status, message = error_of(aws.bedrock.create_guardrail, name="one-too-many", **MESSAGES)
    assert (code, status) == ("ServiceQuotaExceededException", 400)
    assert message.startswith("This account already has 100 guardrails in this Region")


# -- over HTTP and concurrently -----------------------------------------------------------------


def round_trip(rails: Rails) -> None:
    created = rails.create(**{k: v for k, v in EVERY_POLICY.items() if k != "kmsKeyId"})
    gid, arn = created["guardrailId"], created["guardrailArn"]
    assert rails.get(arn)["contentPolicy"]["tier"] == {"tierName": "STANDARD"}
    assert rails.version(arn) == "1"
    assert [v["version"] for v in rails.listed(guardrailIdentifier=arn)] == ["DRAFT", "1"]
    assert gid in {g["id"] for g in rails.listed()}
    masked = rails.apply(arn, "1", "Mail a@example.com")
    assert masked["outputs"] == [{"text": "Mail {EMAIL}"}]
    code, status, _ = error_of(
        rails.bedrock.get_guardrail, guardrailIdentifier=gid, guardrailVersion="9"
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    rails.bedrock.delete_guardrail(guardrailIdentifier=gid)
    assert gid not in {g["id"] for g in rails.listed()}


def test_over_threaded_moto_server(threaded_server: str) -> None:
    round_trip(Rails(threaded_server))


def test_over_the_moto_bedrock_server(cli_server: CliServer) -> None:
    round_trip(Rails(cli_server.url))


def test_concurrent_creates_updates_and_applies(threaded_server: str) -> None:
    rails = Rails(threaded_server)
    gid = rails.create(wordPolicyConfig={"wordsConfig": [{"text": "alpha"}]})["guardrailId"]
    errors: list[BaseException] = []
    created: list[str] = []

    def work(index: int) -> None:
        try:
            mine = Rails(threaded_server)
            created.append(mine.create()["guardrailId"])
            mine.bedrock.update_guardrail(
                guardrailIdentifier=gid,
                name=f"shared-{index}",
                **MESSAGES,
                wordPolicyConfig={"wordsConfig": [{"text": "alpha"}]},
            )
            mine.version(gid)
            assert mine.apply(gid, "DRAFT", "alpha beta")["action"] == "GUARDRAIL_INTERVENED"
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(created)) == 8
    assert [v["version"] for v in rails.listed(guardrailIdentifier=gid)] == [
        "DRAFT",
        *map(str, range(1, 9)),
    ]
