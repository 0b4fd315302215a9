// Checks of the AWS SDK for JavaScript v3 against moto-bedrock, beyond quickstart.mjs: when
// stream events arrive, InvokeModelWithResponseStream, a modeled error, and many requests on
// one shared HTTP/2 session. Prints one JSON object for tests/test_clients_js.py to assert on.
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { NodeHttp2Handler } from "@smithy/node-http-handler";

const config = {
  endpoint: process.env.AWS_ENDPOINT_URL,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
};
const modelId = "anthropic.claude-3-haiku-20240307-v1:0";
const ask = (text) => [{ role: "user", content: [{ text }] }];
const runtime = new BedrockRuntimeClient(config); // the default handler: NodeHttp2Handler
const result = { handler: runtime.config.requestHandler.constructor.name };

const reply = await runtime.send(new ConverseCommand({ modelId, messages: ask("Stream me") }));
result.converseText = reply.output.message.content[0].text;

// ConverseStream: when did each delta reach this process, counted from the request?
const started = performance.now();
const { stream } = await runtime.send(
  new ConverseStreamCommand({ modelId, messages: ask("Stream me") }),
);
result.streamText = "";
result.deltaTimes = [];
result.eventTypes = [];
for await (const event of stream) {
  result.eventTypes.push(Object.keys(event)[0]);
  if (event.contentBlockDelta) {
    result.deltaTimes.push(performance.now() - started);
    result.streamText += event.contentBlockDelta.delta.text;
  }
  if (event.metadata) result.streamUsage = event.metadata.usage;
}

// InvokeModelWithResponseStream: Anthropic's native stream chunks
const invoked = await runtime.send(
  new InvokeModelWithResponseStreamCommand({
    modelId,
    contentType: "application/json",
    body: JSON.stringify({
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 200,
      messages: [{ role: "user", content: "Stream me" }],
    }),
  }),
);
result.invokeStreamText = "";
result.invokeStreamTypes = [];
for await (const event of invoked.body) {
  const chunk = JSON.parse(new TextDecoder().decode(event.chunk.bytes));
  result.invokeStreamTypes.push(chunk.type);
  if (chunk.type === "content_block_delta") result.invokeStreamText += chunk.delta.text;
}

// A modeled error, parsed from the JSON the server answers over HTTP/2
try {
  await runtime.send(new ConverseCommand({ modelId, messages: [] }));
  result.error = null;
} catch (error) {
  result.error = {
    name: error.name,
    status: error.$metadata.httpStatusCode,
    message: error.message,
  };
}

// Concurrent requests multiplexed on one shared session
const shared = new BedrockRuntimeClient({
  ...config,
  requestHandler: new NodeHttp2Handler({ disableConcurrentStreams: false }),
});
const topics = ["Topic 0", "Topic 1", "Topic 2", "Topic 3", "Topic 4", "Topic 5"];
const replies = await Promise.all(
  topics.map((topic) => shared.send(new ConverseCommand({ modelId, messages: ask(topic) }))),
);
result.sharedTexts = replies.map((answer) => answer.output.message.content[0].text);
const pools = shared.config.requestHandler.connectionManager.debug();
result.sharedSessions = Object.values(pools).flatMap((pool) => pool.sessions).length;
shared.destroy();

console.log(JSON.stringify(result));
