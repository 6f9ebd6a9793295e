#!/usr/bin/env python3
"""Regenerates the analyzer's test inputs from the real invocation log record.

    python3 tests/data/logs/generate.py

The real record (../shared/fixtures/invocation-log-sample.json) is used as it
is; the other records are variations of it made here. Every input holds the
same four records, so that a test can check that each format gives the same
records; `mixed.jsonl` and `cloudwatch-filter-log-events.json` add bad lines
at known line numbers.
"""
import copy
import gzip
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "..", "..", "..", "shared", "fixtures", "invocation-log-sample.json")

with open(FIXTURE, encoding="utf-8") as f:
    real = json.load(f)

# 1. The real record: InvokeModel, Claude 3.5 Haiku profile ARN, OPTIMIZED, us-east-2 -> us-east-2.
# 2. Converse to Nova Pro from us-east-1, asked standard, run in us-east-2, with metrics.latencyMs.
converse = copy.deepcopy(real)
converse.update({
    "timestamp": "2024-12-24T07:51:02Z",
    "region": "us-east-1",
    "requestId": "0b6e4d2a-51f3-4c55-9d0e-6f1c2b7a9e01",
    "operation": "Converse",
    "modelId": "us.amazon.nova-pro-v1:0",
    "performanceConfig": {"latency": "STANDARD"},
    "inferenceRegion": "us-east-2",
})
converse["input"] = {
    "inputContentType": "application/json",
    "inputBodyJson": {"messages": [{"role": "user", "content": [{"text": "Where was Momotaro born?"}]}]},
    "inputTokenCount": 12,
}
converse["output"] = {
    "outputContentType": "application/json",
    "outputBodyJson": {
        "output": {"message": {"role": "assistant", "content": [{"text": "In a peach."}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 12, "outputTokens": 40, "totalTokens": 52},
        "metrics": {"latencyMs": 812},
    },
    "outputTokenCount": 40,
}
# 3. InvokeModel to Llama 3.1 70B by base model ID, no performanceConfig (unspecified).
plain = copy.deepcopy(real)
del plain["performanceConfig"]
plain.update({
    "timestamp": "2024-12-24T07:52:30Z",
    "requestId": "7f3c9a10-2d4b-4e8f-8a61-3b5d0c9e7f22",
    "modelId": "meta.llama3-1-70b-instruct-v1:0",
    "inferenceRegion": "us-east-2",
})
plain["input"]["inputTokenCount"] = 1000
plain["output"]["outputTokenCount"] = 500
# 4. Converse to Claude 3.5 Haiku, lower-case "optimized", with metrics.latencyMs, run in us-west-2.
fast = copy.deepcopy(converse)
fast.update({
    "timestamp": "2024-12-24T07:53:45Z",
    "region": "us-east-2",
    "requestId": "c1d2e3f4-0000-4a4a-9b9b-123456789abc",
    "modelId": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "performanceConfig": {"latency": "optimized"},
    "inferenceRegion": "us-west-2",
})
fast["output"]["outputBodyJson"]["metrics"]["latencyMs"] = 402

records = [real, converse, plain, fast]
lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]


def write(name, data, mode="w"):
    with open(os.path.join(HERE, name), mode + ("b" if isinstance(data, bytes) else ""), **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as f:
        f.write(data)


def gz(text):
    # mtime=0: the same bytes on every run.
    return gzip.compress(text.encode("utf-8"), mtime=0)


write("clean.jsonl", "\n".join(lines) + "\n")

# JSON Lines with bad lines: 2 (cut short), 4 (empty, skipped silently), 5 (not JSON), 7 (JSON, not a record).
mixed = [lines[0], lines[1][:200], lines[1], "", "this is not JSON", lines[2], '{"hello": "world"}', lines[3]]
write("mixed.jsonl", "\n".join(mixed) + "\n")

# An S3 delivery file of model invocation logging: gzip JSON Lines. No .gz in the name: content decides.
write("s3-delivery-000", gz("\n".join(lines) + "\n"))

# `aws logs filter-log-events` output: each record as a string in events[].message, one event broken.
events = []
for i, line in enumerate(lines):
    events.append({
        "logStreamName": "aws/bedrock/modelinvocations",
        "timestamp": 1735026612000 + i * 1000,
        "message": line,
        "ingestionTime": 1735026613000 + i * 1000,
        "eventId": "3859" + str(i) * 20,
    })
events.insert(2, {"logStreamName": "aws/bedrock/modelinvocations", "timestamp": 1735026612500,
                  "message": lines[2][:120], "ingestionTime": 1735026613500, "eventId": "38590" + "9" * 19})
write("cloudwatch-filter-log-events.json",
      json.dumps({"events": events, "searchedLogStreams": []}, ensure_ascii=False, indent=4) + "\n")

# CloudWatch Logs export to S3: gzip text, `TIMESTAMP MESSAGE` per line.
stamps = ["2024-12-24T07:50:12.000Z", "2024-12-24T07:51:02.000Z", "2024-12-24T07:52:30.000Z", "2024-12-24T07:53:45.000Z"]
write("cloudwatch-s3-export-000000.gz", gz("\n".join(f"{t} {l}" for t, l in zip(stamps, lines)) + "\n"))

# A pretty-printed JSON array of the four records.
write("records.json", json.dumps(records, ensure_ascii=False, indent=2) + "\n")
