// Checks bedrock-latency-local with the official AWS SDK for JavaScript v3.
//
// Usage: node check.mjs ENDPOINT_URL
//
// The Bedrock runtime and agent runtime clients are used with their default
// request handler, NodeHttp2Handler (HTTP/2 with prior knowledge on an
// http:// endpoint; see dist-cjs/index.js of @aws-sdk/client-bedrock-runtime),
// and the check asserts that the endpoint saw HTTP/2. Covers Converse,
// ConverseStream, InvokeModel with the latency header, an optimized refusal
// (ValidationException), RetrieveAndGenerate and an inline agent; asserts the
// served latency and that optimized is faster than standard under the
// endpoint's default timing. Exits 0 on success, 1 on a failed check, 2 on
// bad usage. Every call is bounded (20 s).

import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import {
  BedrockAgentRuntimeClient,
  InvokeInlineAgentCommand,
  RetrieveAndGenerateCommand,
} from "@aws-sdk/client-bedrock-agent-runtime";

const MODEL = "us.amazon.nova-pro-v1:0";
const PROMPT = "What is the capital of France?";

const url = process.argv[2];
if (!url || !url.startsWith("http://")) {
  console.error("usage: node check.mjs ENDPOINT_URL");
  process.exit(2);
}

const config = (region) => ({
  region,
  endpoint: url,
  credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
  maxAttempts: 2,
});

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

function bounded(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within 20 s`)), 20_000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const converseInput = (latency) => ({
  modelId: MODEL,
  system: [{ text: "You are a helpful chatbot." }],
  messages: [{ role: "user", content: [{ text: PROMPT }] }],
  ...(latency ? { performanceConfig: { latency } } : {}),
});

async function converse(runtime) {
  const standardStart = performance.now();
  const standard = await bounded(runtime.send(new ConverseCommand(converseInput("standard"))), "Converse standard");
  const standardWall = performance.now() - standardStart;
  const optimizedStart = performance.now();
  const optimized = await bounded(runtime.send(new ConverseCommand(converseInput("optimized"))), "Converse optimized");
  const optimizedWall = performance.now() - optimizedStart;
  check(optimized.performanceConfig?.latency === "optimized", `served latency ${JSON.stringify(optimized.performanceConfig)}`);
  check(standard.performanceConfig?.latency === "standard", `served latency ${JSON.stringify(standard.performanceConfig)}`);
  const text = optimized.output.message.content.map((b) => b.text ?? "").join("");
  check(text.startsWith(`Local answer to "${PROMPT}":`), `Converse text ${JSON.stringify(text)}`);
  check(optimized.usage.totalTokens === optimized.usage.inputTokens + optimized.usage.outputTokens, "usage");
  const [s, o] = [standard.metrics.latencyMs, optimized.metrics.latencyMs];
  check(o < s, `optimized latencyMs ${o} not below standard ${s}`);
  check(optimizedWall < standardWall, `optimized took ${optimizedWall} ms, standard ${standardWall} ms`);
  check(Boolean(optimized.$metadata.requestId), "request id");
  console.log(`Converse: optimized ${o} ms (wall ${optimizedWall.toFixed(0)}), standard ${s} ms (wall ${standardWall.toFixed(0)})`);
  return text;
}

async function converseStream(runtime, expected) {
  const out = await bounded(runtime.send(new ConverseStreamCommand(converseInput("optimized"))), "ConverseStream");
  let text = "";
  let metadata;
  const kinds = [];
  for await (const event of out.stream) {
    const kind = Object.keys(event).find((k) => event[k] !== undefined);
    kinds.push(kind);
    if (event.contentBlockDelta) text += event.contentBlockDelta.delta.text;
    if (event.metadata) metadata = event.metadata;
  }
  check(kinds[0] === "messageStart" && kinds.at(-1) === "metadata", `stream events ${kinds}`);
  check(text === expected, `streamed text ${JSON.stringify(text)}`);
  check(metadata.performanceConfig?.latency === "optimized", `stream metadata ${JSON.stringify(metadata)}`);
  console.log(`ConverseStream: ${kinds.length} events, served ${metadata.performanceConfig.latency}`);
}

async function invokeModel(runtime) {
  const body = JSON.stringify({
    schemaVersion: "messages-v1",
    messages: [{ role: "user", content: [{ text: PROMPT }] }],
    inferenceConfig: { maxTokens: 64 },
  });
  const out = await bounded(
    runtime.send(new InvokeModelCommand({ modelId: MODEL, body, contentType: "application/json", performanceConfigLatency: "optimized" })),
    "InvokeModel",
  );
  check(out.performanceConfigLatency === "optimized", `InvokeModel latency header ${out.performanceConfigLatency}`);
  const answer = JSON.parse(new TextDecoder().decode(out.body));
  check(answer.output.message.content[0].text.startsWith("Local answer to"), "InvokeModel body");
  console.log(`InvokeModel: served ${out.performanceConfigLatency}`);
}

async function refusal(url) {
  const eu = new BedrockRuntimeClient(config("eu-west-1"));
  try {
    await bounded(eu.send(new ConverseCommand(converseInput("optimized"))), "refused Converse");
  } catch (e) {
    check(e instanceof ValidationException, `refusal is ${e?.name}, not ValidationException`);
    check(/Latency performance configuration is not supported/.test(e.message), `refusal message ${e.message}`);
    check(e.$metadata.httpStatusCode === 400, "refusal status");
    console.log(`refusal: ${e.name}: ${e.message}`);
    return;
  } finally {
    eu.destroy();
  }
  throw new Error("check failed: optimized from eu-west-1 was not refused");
}

async function retrieveAndGenerate(agents) {
  const out = await bounded(
    agents.send(
      new RetrieveAndGenerateCommand({
        input: { text: PROMPT },
        retrieveAndGenerateConfiguration: {
          type: "KNOWLEDGE_BASE",
          knowledgeBaseConfiguration: {
            knowledgeBaseId: "KB12345678",
            modelArn: MODEL,
            generationConfiguration: { performanceConfig: { latency: "optimized" } },
          },
        },
      }),
    ),
    "RetrieveAndGenerate",
  );
  check(out.output.text.startsWith("Local answer to"), "RetrieveAndGenerate text");
  const ref = out.citations?.[0]?.retrievedReferences?.[0];
  check(ref?.content?.text && ref?.location?.s3Location?.uri, `retrieved reference ${JSON.stringify(ref)}`);
  console.log(`RetrieveAndGenerate: ${out.citations.length} citation(s), session ${out.sessionId}`);
}

async function inlineAgent(agents) {
  const out = await bounded(
    agents.send(
      new InvokeInlineAgentCommand({
        sessionId: "js-check-session",
        foundationModel: MODEL,
        instruction: "You are a helpful assistant who answers questions about geography.",
        inputText: PROMPT,
        bedrockModelConfigurations: { performanceConfig: { latency: "optimized" } },
      }),
    ),
    "InvokeInlineAgent",
  );
  let text = "";
  for await (const event of out.completion) {
    if (event.chunk?.bytes) text += new TextDecoder().decode(event.chunk.bytes);
  }
  check(text.startsWith(`Local answer to "${PROMPT}":`), `inline agent text ${JSON.stringify(text)}`);
  check(out.sessionId === "js-check-session", `inline agent session ${out.sessionId}`);
  console.log(`InvokeInlineAgent: ${text.length} characters`);
}

async function endpointSaw() {
  const res = await bounded(fetch(`${url}/_bedrock_latency/requests?limit=1000`), "control");
  const records = (await res.json()).requests;
  const versions = new Set(records.map((r) => r.httpVersion));
  check(versions.has("HTTP/2.0"), `the SDK did not use HTTP/2: ${[...versions]}`);
  const served = records.filter((r) => r.operation === "InvokeInlineAgent").map((r) => r.servedLatency);
  check(served.includes("optimized"), `inline agent served ${served}`);
  console.log(`endpoint saw ${records.length} requests over ${[...versions].join(", ")}`);
}

async function main() {
  const runtime = new BedrockRuntimeClient(config("us-east-1"));
  const agents = new BedrockAgentRuntimeClient(config("us-east-1"));
  const handler = runtime.config.requestHandler?.constructor?.name;
  check(handler === "NodeHttp2Handler", `default request handler is ${handler}`);
  try {
    const text = await converse(runtime);
    await converseStream(runtime, text);
    await invokeModel(runtime);
    await refusal(url);
    await retrieveAndGenerate(agents);
    await inlineAgent(agents);
    await endpointSaw();
  } finally {
    runtime.destroy();
    agents.destroy();
  }
  console.log("JavaScript SDK check passed");
}

main().catch((e) => {
  console.error(e?.stack ?? String(e));
  process.exit(1);
});
