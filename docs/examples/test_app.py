"""Tests of app.py written with moto-bedrock's `mock_bedrock` fixture.

Installing moto-bedrock is all the setup: its pytest plugin provides the fixture, which runs
the test under moto's `mock_aws` and hands over the Bedrock test controls (declared answers,
faults, call history). Everything declared ends with the test.
"""

from __future__ import annotations

import boto3
from app import FILE_TICKET, MANUAL_REVIEW, MODEL_ID, QUEUES, Triage, triage
from botocore.config import Config

# botocore retries throttling and 5xx errors, and each retry is a new call to Bedrock: it
# would take another declared answer and add to the history. These tests count calls, so
# they turn retries off.
NO_RETRIES = Config(retries={"total_max_attempts": 1})


def bedrock():
    return boto3.client("bedrock-runtime", region_name="us-east-1", config=NO_RETRIES)


def test_files_a_billing_ticket_as_declared(mock_bedrock):
    mock_bedrock.answer(
        {"tool_use": [{"name": "file_ticket", "input": {"queue": "billing", "urgent": True}}]},
        prompt_contains="charged twice",
    )

    result = triage("I was charged twice for my subscription!", bedrock())

    assert result == Triage(queue="billing", urgent=True)
    [call] = mock_bedrock.invocations()
    assert call["operation"] == "Converse" and call["model_id"] == MODEL_ID
    assert call["request"]["toolConfig"]["tools"] == [FILE_TICKET]
    assert call["request"]["messages"][0]["content"][0]["text"].startswith("I was charged")


def test_tickets_are_answered_in_order(mock_bedrock):
    mock_bedrock.queue(
        {"tool_use": [{"name": "file_ticket", "input": {"queue": "technical", "urgent": True}}]},
        {"tool_use": [{"name": "file_ticket", "input": {"queue": "account", "urgent": False}}]},
    )
    client = bedrock()

    first = triage("The app crashes on start.", client)
    second = triage("How do I change my email address?", client)

    assert first == Triage(queue="technical", urgent=True)
    assert second == Triage(queue="account", urgent=False)
    assert mock_bedrock.rules() == []  # both queued answers were used


def test_an_answer_outside_the_tool_goes_to_manual_review(mock_bedrock):
    mock_bedrock.answer("I am not sure what to do with this ticket.")

    assert triage("???", bedrock()) == MANUAL_REVIEW


def test_throttling_sends_tickets_to_people(mock_bedrock):
    mock_bedrock.set_faults(throttle_every=2)  # every second call is throttled
    client = bedrock()

    results = [triage(f"Ticket {n}", client) for n in range(4)]

    assert [r.by_model for r in results] == [True, False, True, False]
    statuses = [call["status"] for call in mock_bedrock.invocations()]
    assert statuses == [200, 429, 200, 429]


def test_without_declared_answers_the_canned_model_files_a_valid_ticket(mock_bedrock):
    result = triage("My invoice is wrong.", bedrock())

    assert result.by_model and result.queue in QUEUES
