"""The live invocation page (/moto-api/static/bedrock/): served as self-contained HTML under a
strict Content-Security-Policy, its feed (only what is new, resets, filters), the token counts
and answers it shows for every vendor family, and, in headless Chromium against the
`moto-bedrock` command, calls appearing as they are made, without a reload."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from moto_bedrock_runtime.live_page import answer_text, token_counts

from .browser.cdp import CHROMIUM, Browser
from .browser.png import decode
from .conftest import HAIKU, NO_RETRIES, CliServer, client_for

MOTO_API = "http://motoapi.amazonaws.com/moto-api/static/bedrock"
PROMPT = "Which colour is the sky?"
MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def converse(client: Any, text: str, model: str = HAIKU) -> dict[str, Any]:
    return client.converse(modelId=model, messages=[{"role": "user", "content": [{"text": text}]}])


def recent(**params: str) -> dict[str, Any]:
    response = requests.get(f"{MOTO_API}/recent", params=params)
    assert response.status_code == 200, response.text
    return response.json()


# The page


@pytest.mark.parametrize("path", ["/", "/live"])
def test_the_page_is_html_that_needs_nothing_from_outside(runtime: Any, path: str) -> None:
    response = requests.get(MOTO_API + path)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    html = response.text
    assert "<title>moto-bedrock · live invocations</title>" in html
    assert not re.search(r"https?://", html)
    assert re.findall(r"\b(?:src|href)\s*=\s*\"([^\"]*)\"", html) == ["data:,"]
    assert "@import" not in html and "url(" not in html
    # Only the page's own inline script and style may run, and it may fetch its own origin only.
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    [script] = re.findall(r"<script>(.*?)</script>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}';" in policy
    assert "unsafe-inline" not in policy


def test_the_page_leaves_the_other_controls_alone(runtime: Any) -> None:
    """In-process, moto matches control paths as prefixes: the page's root is anchored."""
    converse(runtime, PROMPT)

    assert requests.get(f"{MOTO_API}/invocations").json()["invocations"][0]["request"]
    assert requests.get(f"{MOTO_API}/rules").json() == {"rules": []}
    assert requests.get(f"{MOTO_API}/health").json()["status"] == "ok"


def test_markup_in_a_prompt_reaches_the_page_as_json_text_only(runtime: Any) -> None:
    converse(runtime, MARKUP)

    assert MARKUP not in requests.get(f"{MOTO_API}/").text  # the page never embeds data
    response = requests.get(f"{MOTO_API}/recent")
    assert response.headers["Content-Type"] == "application/json"
    [item] = response.json()["items"]
    assert item["entry"]["request"]["messages"][0]["content"][0]["text"] == MARKUP
    # ...and its script writes data as text: no HTML-parsing sink anywhere in it.
    script = re.search(r"<script>(.*?)</script>", requests.get(f"{MOTO_API}/").text, re.S)
    assert script
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script.group(1)


# The feed


def test_the_feed_sends_what_is_new_since_the_cursor(runtime: Any) -> None:
    first = converse(runtime, "one")["ResponseMetadata"]["RequestId"]
    second = converse(runtime, "two")["ResponseMetadata"]["RequestId"]

    start = recent()
    assert [item["entry"]["request_id"] for item in start["items"]] == [first, second]
    assert start["reset"] is False
    assert start["cursor"] == f"123456789012/us-east-1/{second}"
    assert start["scopes"] == [{"account_id": "123456789012", "region": "us-east-1", "count": 2}]

    assert recent(cursor=start["cursor"])["items"] == []
    third = converse(runtime, "three")["ResponseMetadata"]["RequestId"]
    later = recent(cursor=start["cursor"])
    assert [item["entry"]["request_id"] for item in later["items"]] == [third]
    assert later["reset"] is False


def test_the_feed_says_reset_when_the_history_it_knew_is_gone(runtime: Any) -> None:
    converse(runtime, "one")
    cursor = recent()["cursor"]
    requests.delete(f"{MOTO_API}/invocations")

    assert recent(cursor=cursor) == {"items": [], "cursor": "", "reset": True, "scopes": []}
    fresh = converse(runtime, "after the clear")["ResponseMetadata"]["RequestId"]
    again = recent(cursor=cursor)
    assert again["reset"] is True
    assert [item["entry"]["request_id"] for item in again["items"]] == [fresh]


def test_the_feed_filters_by_account_and_region_and_lists_them_all(runtime: Any) -> None:
    converse(runtime, "in us-east-1")
    paris = boto3.client("bedrock-runtime", region_name="eu-west-3", config=NO_RETRIES)
    converse(paris, "in Paris")
    converse(paris, "in Paris again")

    everything = recent(account_id="*", region="*")
    assert [item["entry"]["region"] for item in everything["items"]] == [
        "us-east-1",
        "eu-west-3",
        "eu-west-3",
    ]
    assert sorted(everything["scopes"], key=lambda scope: scope["region"]) == [
        {"account_id": "123456789012", "region": "eu-west-3", "count": 2},
        {"account_id": "123456789012", "region": "us-east-1", "count": 1},
    ]
    only_paris = recent(region="eu-west-3")
    assert {item["entry"]["region"] for item in only_paris["items"]} == {"eu-west-3"}
    assert len(only_paris["scopes"]) == 2  # the pickers still offer every region
    assert recent(account_id="111122223333")["items"] == []


def test_the_feed_keeps_the_newest_within_its_limit_and_rejects_bad_queries(
    runtime: Any,
) -> None:
    converse(runtime, "old")
    newest = converse(runtime, "new")["ResponseMetadata"]["RequestId"]

    [item] = recent(limit="1")["items"]
    assert item["entry"]["request_id"] == newest
    for query in ({"limit": "0"}, {"limit": "many"}, {"cursor": "not-a-cursor"}):
        response = requests.get(f"{MOTO_API}/recent", params=query)
        assert response.status_code == 400
        assert response.json()["message"]


# What the page shows of each call

CLAUDE_MESSAGES = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 300,
    "messages": [{"role": "user", "content": PROMPT}],
}
CLAUDE_TEXT = {"prompt": f"\n\nHuman: {PROMPT}\n\nAssistant:", "max_tokens_to_sample": 300}
CHAT = {"messages": [{"role": "user", "content": PROMPT}]}
# (model, native body, whether its InvokeModel answer body carries token counts: the others
# report them in response headers only, which the history does not keep)
NATIVE_BODIES = [
    (HAIKU, CLAUDE_MESSAGES, True),
    ("anthropic.claude-v2:1", CLAUDE_TEXT, False),
    ("amazon.titan-text-express-v1", {"inputText": PROMPT}, True),
    (
        "amazon.nova-lite-v1:0",
        {"messages": [{"role": "user", "content": [{"text": PROMPT}]}]},
        True,
    ),
    ("meta.llama3-1-8b-instruct-v1:0", {"prompt": PROMPT}, True),
    ("mistral.mistral-7b-instruct-v0:2", {"prompt": f"<s>[INST] {PROMPT} [/INST]"}, False),
    ("mistral.mistral-large-2407-v1:0", CHAT, False),
    ("cohere.command-text-v14", {"prompt": PROMPT}, False),
    ("cohere.command-r-v1:0", {"message": PROMPT}, True),
    ("ai21.jamba-1-5-mini-v1:0", CHAT, True),
    ("us.deepseek.r1-v1:0", {"prompt": PROMPT}, False),
    ("openai.gpt-oss-20b-1:0", CHAT, True),
]


@pytest.mark.parametrize(
    ("model", "body", "counted"), NATIVE_BODIES, ids=[case[0] for case in NATIVE_BODIES]
)
def test_tokens_and_streamed_answer_of_every_vendor(
    runtime: Any, model: str, body: dict[str, Any], counted: bool
) -> None:
    answer = runtime.invoke_model(modelId=model, body=json.dumps(body))
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    stream = runtime.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in stream["body"]]
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]

    whole, streamed = recent()["items"]
    if counted:
        assert whole["tokens"] == {
            "input": int(headers["x-amzn-bedrock-input-token-count"]),
            "output": int(headers["x-amzn-bedrock-output-token-count"]),
        }
    else:
        assert whole["tokens"] == {"input": None, "output": None}
    assert streamed["tokens"] == {
        "input": metrics["inputTokenCount"],
        "output": metrics["outputTokenCount"],
    }
    assert PROMPT in streamed["answer"]  # the canned answer quotes the question


def test_converse_answers_and_their_streams_read_the_same(runtime: Any) -> None:
    reply = converse(runtime, PROMPT)
    stream = runtime.converse_stream(
        modelId=HAIKU, messages=[{"role": "user", "content": [{"text": PROMPT}]}]
    )
    list(stream["stream"])

    whole, streamed = recent()["items"]
    text = reply["output"]["message"]["content"][0]["text"]
    assert whole["answer"] == streamed["answer"] == text
    usage = reply["usage"]
    expected = {"input": usage["inputTokens"], "output": usage["outputTokens"]}
    assert whole["tokens"] == streamed["tokens"] == expected


@pytest.mark.parametrize(
    "response",
    [None, "text", [], {"events": "x"}, {"events": [1, None, {"chunk": []}]}, {"output": 3}],
)
def test_any_declared_shape_reads_as_no_tokens_and_no_answer(response: Any) -> None:
    """Declared native bodies and chunks can have any shape: the page shows dashes, no error."""
    assert token_counts(response) == (None, None)
    assert answer_text(response) is None


# In a real browser


@pytest.fixture
def chromium() -> None:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run tests/browser/install-chromium.sh as root"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def server() -> Iterator[CliServer]:
    process = CliServer(env={"MOTO_BEDROCK_STREAM_DELAY_MS": "0"})
    yield process
    process.stop()


COUNT_CALLS = "document.querySelectorAll('#list details.call').length"
ALERT_TRAP = "window.__alerts = []; window.alert = (m) => { window.__alerts.push(String(m)); };"


def _open(browser: Browser, index: int) -> str:
    """Opens the index-th call on the page (0: the newest) and returns its detail's text."""
    browser.evaluate(f"document.querySelectorAll('#list details.call')[{index}].open = true")
    return browser.wait_for(
        f"document.querySelectorAll('#list details.call')[{index}].querySelector('.detail')"
        "?.innerText"
    )


@pytest.mark.server
@pytest.mark.usefixtures("chromium")
def test_the_page_shows_calls_as_they_happen(server: CliServer, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    with Browser(profile) as browser:
        browser.call("Page.addScriptToEvaluateOnNewDocument", {"source": ALERT_TRAP})
        browser.open(f"{server.url}/moto-api/static/bedrock/")
        browser.wait_for("document.getElementById('state').textContent === 'live'")
        assert browser.evaluate(COUNT_CALLS) == 0
        browser.evaluate("window.__sameDocument = true")  # a reload would lose it

        client = client_for(server.url)
        reply = converse(client, MARKUP)
        browser.wait_for(f"{COUNT_CALLS} === 1")
        browser.evaluate("window.__first = document.querySelector('#list details.call')")
        stream = client.converse_stream(
            modelId=f"us.{HAIKU}", messages=[{"role": "user", "content": [{"text": PROMPT}]}]
        )
        events = list(stream["stream"])
        deltas = [
            e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
        ]
        with pytest.raises(ClientError):
            converse(client, PROMPT, model="nope.no-such-model-v1:0")

        browser.wait_for(f"{COUNT_CALLS} === 3")
        rows = browser.evaluate("document.getElementById('list').innerText")
        # Updated in place: the same document, and the first call's row is the same node.
        assert browser.evaluate("window.__sameDocument") is True
        assert browser.evaluate("document.querySelectorAll('#list details.call')[2] === __first")
        assert browser.evaluate("document.getElementById('count').textContent") == "3 calls"
        # Newest first: the failure, the stream, then the Converse call.
        cells = "Array.from(document.querySelectorAll('#list .{0}'), e => e.firstChild.data)"
        assert browser.evaluate(cells.format("op")) == ["Converse", "ConverseStream", "Converse"]
        models = ["nope.no-such-model-v1:0", f"us.{HAIKU}", HAIKU]
        assert browser.evaluate(cells.format("model")) == models
        assert "ValidationException" in rows
        assert "The provided model identifier is invalid." in rows
        assert f"us.{HAIKU}" in rows and f"→ {HAIKU}" in rows
        usage = reply["usage"]
        assert f"{usage['inputTokens']} → {usage['outputTokens']}" in rows
        [metadata] = [e["metadata"]["usage"] for e in events if "metadata" in e]
        assert f"{metadata['inputTokens']} → {metadata['outputTokens']}" in rows

        assert "".join(deltas) in _open(browser, 1)
        assert f"Stream events ({len(events)})" in _open(browser, 1)
        assert MARKUP in _open(browser, 2)  # shown as text...
        assert browser.evaluate("window.__alerts") == []  # ...never run
        assert browser.evaluate("document.querySelectorAll('#list script, #list img').length") == 0

        # Nothing but the emulator was asked for anything, and nothing went wrong on the page.
        urls = [e["request"]["url"] for e in browser.page_events("Network.requestWillBeSent")]
        assert urls and all(url.startswith(server.url + "/") for url in urls)
        assert browser.page_events("Runtime.exceptionThrown") == []
        errors = [
            e for e in browser.page_events("Log.entryAdded") if e["entry"]["level"] == "error"
        ]
        assert errors == []

        browser.evaluate("document.querySelectorAll('#list details.call')[2].open = false")
        browser.wait_for("document.getAnimations().length === 0")
        box = browser.evaluate(
            "(() => { const r = document.body.getBoundingClientRect();"
            " return {x: 0, y: 0, width: r.width, height: Math.min(r.height, 1600)}; })()"
        )
        png = browser.screenshot(box)

    shot = tmp_path / "live-page.png"
    shot.write_bytes(png)
    print(f"screenshot: {shot}")
    image = decode(png)
    colours = image.colours()
    background = colours.most_common(1)[0][1]
    assert image.width >= 1000 and image.height >= 400
    assert len(colours) > 200  # text, badges, borders: not a blank or single-colour page
    assert background < 0.9 * image.width * image.height
    reds = sum(n for c, n in colours.items() if c[0] > 150 and c[1] < 90 and c[2] < 90)
    greens = sum(n for c, n in colours.items() if c[1] > 100 and c[0] < 90 and c[2] < 120)
    assert reds > 100, "the failed call's code is highlighted in red"
    assert greens > 50, "the answered calls' status is shown in green"
