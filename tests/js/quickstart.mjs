// The AWS SDK for JavaScript v3 against moto-bedrock (docs/clients.md shows this file).
// Start the emulator (`moto-bedrock`), then: AWS_ENDPOINT_URL=http://127.0.0.1:5000 node quickstart.mjs
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { BedrockClient, ListFoundationModelsCommand } from "@aws-sdk/client-bedrock";

// Any non-empty credentials do: moto-bedrock accepts every signature.
const config = {
  endpoint: process.env.AWS_ENDPOINT_URL ?? "http://127.0.0.1:5000",
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
};
const runtime = new BedrockRuntimeClient(config); // HTTP/2, the SDK's default for this client
const modelId = "anthropic.claude-3-haiku-20240307-v1:0";
const messages = [{ role: "user", content: [{ text: "Name three rivers in Europe." }] }];

// Converse
const reply = await runtime.send(new ConverseCommand({ modelId, messages }));
console.log("converse:", reply.output.message.content[0].text);

// ConverseStream: print each text delta as it arrives
const { stream } = await runtime.send(new ConverseStreamCommand({ modelId, messages }));
process.stdout.write("converse-stream: ");
for await (const event of stream) {
  if (event.contentBlockDelta) process.stdout.write(event.contentBlockDelta.delta.text);
  if (event.messageStop) process.stdout.write(` [${event.messageStop.stopReason}]\n`);
}

// InvokeModel with Anthropic's native Messages body
const invoked = await runtime.send(
  new InvokeModelCommand({
    modelId,
    contentType: "application/json",
    body: JSON.stringify({
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 200,
      messages: [{ role: "user", content: "Name three rivers in Europe." }],
    }),
  }),
);
const claude = JSON.parse(new TextDecoder().decode(invoked.body));
console.log("invoke-model:", claude.content[0].text);

// The control plane (bedrock) speaks HTTP/1.1 from the SDK; the same port serves it
const control = new BedrockClient(config);
const { modelSummaries } = await control.send(
  new ListFoundationModelsCommand({ byProvider: "Anthropic" }),
);
console.log("models:", modelSummaries.map((model) => model.modelId).join(" "));
