#!/usr/bin/env python3
"""Checks the local Bedrock endpoint (`bedrock-latency-local`) with boto3.

Usage: boto3_check.py ENDPOINT_URL

Calls Converse and ConverseStream on Amazon Nova Pro through its `us.`
inference profile, from us-east-1, asking for latency-optimized inference, and
asserts what boto3 parsed: the served `performanceConfig`, the text (the same
in both calls), the usage, and the stream's final metadata event. Then checks
that an unsupported region gets the ValidationException Bedrock sends, that
InvokeModel reports the served latency in its header, RetrieveAndGenerate
(citations) and an inline agent, and that optimized is faster than standard
under the endpoint's default timing (latencyMs and wall time).

Needs the pip package boto3. Exits 0 on success, 1 on a failed check, 2 on
bad usage. Every call is bounded (connect 5 s, read 10 s, 2 attempts).
"""

import json
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

MODEL = "us.amazon.nova-pro-v1:0"
PROMPT = "What is the capital of France?"
SYSTEM = "You are a helpful chatbot."


def client(url, region, service="bedrock-runtime"):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        config=Config(
            retries={"max_attempts": 2, "mode": "standard"},
            connect_timeout=5,
            read_timeout=10,
        ),
    )


def request(latency="optimized"):
    return {
        "modelId": MODEL,
        "system": [{"text": SYSTEM}],
        "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
        "performanceConfig": {"latency": latency},
    }


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def run(url):
    bedrock = client(url, "us-east-1")

    out = bedrock.converse(**request())
    check(out.get("performanceConfig") == {"latency": "optimized"},
          f"converse served performanceConfig: {out.get('performanceConfig')!r}")
    check(out["stopReason"] == "end_turn", f"stopReason: {out['stopReason']!r}")
    text = "".join(block.get("text", "") for block in out["output"]["message"]["content"])
    check(text.startswith(f'Local answer to "{PROMPT}":'), f"converse text: {text!r}")
    usage = out["usage"]
    check(usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"], f"usage: {usage!r}")
    check(isinstance(out["metrics"]["latencyMs"], int), f"metrics: {out['metrics']!r}")
    request_id = out["ResponseMetadata"]["RequestId"]
    check(bool(request_id), "x-amzn-RequestId missing")

    streamed = ""
    metadata = None
    kinds = []
    for event in bedrock.converse_stream(**request())["stream"]:
        kind = next(iter(event))
        kinds.append(kind)
        if kind == "contentBlockDelta":
            streamed += event[kind]["delta"]["text"]
        elif kind == "metadata":
            metadata = event[kind]
    check(kinds[0] == "messageStart" and kinds[-1] == "metadata", f"event order: {kinds!r}")
    check(streamed == text, f"streamed text {streamed!r} != converse text {text!r}")
    check(metadata is not None, "no metadata event")
    check(metadata.get("performanceConfig") == {"latency": "optimized"},
          f"stream served performanceConfig: {metadata.get('performanceConfig')!r}")
    check(metadata["usage"] == usage, f"stream usage {metadata['usage']!r} != {usage!r}")

    try:
        client(url, "us-west-2").converse(**request())
    except ClientError as err:
        error = err.response["Error"]
        expected = f"Latency performance configuration is not supported for {MODEL} in us-west-2"
        check(error["Code"] == "ValidationException", f"error code: {error!r}")
        check(error["Message"] == expected, f"error message: {error!r}")
        check(err.response["ResponseMetadata"]["HTTPStatusCode"] == 400, "status of the error")
    else:
        raise AssertionError("us-west-2 optimized Nova Pro should be a ValidationException")

    error_class = bedrock.exceptions.ValidationException
    try:
        client(url, "eu-west-1").converse(**request())
    except error_class:
        pass
    else:
        raise AssertionError("eu-west-1 optimized Nova Pro should raise the modeled ValidationException")

    faster(bedrock)
    invoke_model(bedrock)
    agents = client(url, "us-east-1", "bedrock-agent-runtime")
    retrieve_and_generate(agents)
    inline_agent(agents)
    print(f"boto3 check OK: served optimized, {len(kinds)} stream events, text {text!r}")


def faster(bedrock):
    """Optimized is faster than standard under the default timing."""
    timed = {}
    for latency in ("standard", "optimized"):
        start = time.monotonic()
        out = bedrock.converse(**request(latency))
        wall = time.monotonic() - start
        check(out["performanceConfig"] == {"latency": latency}, f"served {out['performanceConfig']!r}")
        timed[latency] = (out["metrics"]["latencyMs"], wall)
    (std_ms, std_wall), (opt_ms, opt_wall) = timed["standard"], timed["optimized"]
    check(opt_ms < std_ms, f"optimized latencyMs {opt_ms} not below standard {std_ms}")
    check(opt_wall < std_wall, f"optimized wall {opt_wall:.3f}s not below standard {std_wall:.3f}s")
    print(f"latencyMs: optimized {opt_ms}, standard {std_ms}")


def invoke_model(bedrock):
    body = json.dumps({
        "schemaVersion": "messages-v1",
        "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
        "inferenceConfig": {"maxTokens": 64},
    })
    out = bedrock.invoke_model(modelId=MODEL, body=body, contentType="application/json",
                               performanceConfigLatency="optimized")
    check(out.get("performanceConfigLatency") == "optimized",
          f"InvokeModel latency header: {out.get('performanceConfigLatency')!r}")
    answer = json.loads(out["body"].read())
    check(answer["output"]["message"]["content"][0]["text"].startswith("Local answer to"),
          f"InvokeModel body {answer!r}")


def retrieve_and_generate(agents):
    out = agents.retrieve_and_generate(
        input={"text": PROMPT},
        retrieveAndGenerateConfiguration={
            "type": "KNOWLEDGE_BASE",
            "knowledgeBaseConfiguration": {
                "knowledgeBaseId": "KB12345678",
                "modelArn": MODEL,
                "generationConfiguration": {"performanceConfig": {"latency": "optimized"}},
            },
        },
    )
    check(out["output"]["text"].startswith("Local answer to"), f"RetrieveAndGenerate {out['output']!r}")
    reference = out["citations"][0]["retrievedReferences"][0]
    check(reference["content"]["text"] and reference["location"]["type"] == "S3", f"reference {reference!r}")


def inline_agent(agents):
    out = agents.invoke_inline_agent(
        sessionId="boto3-check-session",
        foundationModel=MODEL,
        instruction="You are a helpful assistant who answers questions about geography.",
        inputText=PROMPT,
        bedrockModelConfigurations={"performanceConfig": {"latency": "optimized"}},
    )
    text = "".join(e["chunk"]["bytes"].decode() for e in out["completion"] if "chunk" in e)
    check(text.startswith(f'Local answer to "{PROMPT}":'), f"inline agent text {text!r}")


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        run(argv[1])
    except AssertionError as err:
        print(f"boto3 check FAILED: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - any boto3/network failure is a failed check
        print(f"boto3 check FAILED: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
