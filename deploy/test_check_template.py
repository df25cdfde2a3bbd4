#!/usr/bin/env python3
"""Self-test of check_template.py (run by scripts/check-deploy after the real check passes): each
mutation of the packaged template below must make the check fail, naming what differs.

    test_check_template.py TABLE PACKAGE_DIR STAGE WORKSPACE_ROOT
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

table, pkg, stage, root = sys.argv[1:5]
check = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_template.py")
with open(os.path.join(pkg, "cloudformation-template-update-stack.json"), encoding="utf-8") as f:
    template = json.load(f)


def res(t, kind):
    return next(v for v in t["Resources"].values() if v["Type"] == kind)


def props(t, logical):
    return t["Resources"][logical]["Properties"]


def drop_statement(t, action):
    doc = props(t, "IamRoleLambdaExecution")["Policies"][0]["PolicyDocument"]
    doc["Statement"] = [s for s in doc["Statement"] if action not in s["Action"]]


MUTATIONS = [
    ("queue renamed", "name", lambda t: props(t, "AdhocSolveQueue").update(QueueName="x")),
    ("queue missing", "GuideIngestDLQ", lambda t: t["Resources"].pop("GuideIngestDLQ")),
    ("visibility changed", "VisibilityTimeout", lambda t: props(t, "AttemptReprocessQueue").update(VisibilityTimeout=360)),
    ("redrive dropped", "redrive", lambda t: props(t, "SubmissionGradeQueue").pop("RedrivePolicy")),
    ("receive count changed", "redrive", lambda t: props(t, "AttemptReprocessQueue")["RedrivePolicy"].update(maxReceiveCount=3)),
    ("bucket lifecycle", "lifecycle", lambda t: props(t, "OcrUploadsBucket").pop("LifecycleConfiguration")),
    ("export renamed", "export", lambda t: t["Outputs"]["LlmClassifyQueueArn"]["Export"].update(Name="x")),
    ("export missing", "AdhocSolveQueueArn", lambda t: t["Outputs"].pop("AdhocSolveQueueArn")),
    ("x86 function", "Architectures", lambda t: res(t, "AWS::Lambda::Function")["Properties"].update(Architectures=["x86_64"])),
    ("memory changed", "MemorySize", lambda t: res(t, "AWS::Lambda::Function")["Properties"].update(MemorySize=1024)),
    ("no partial failures", "ReportBatchItemFailures", lambda t: res(t, "AWS::Lambda::EventSourceMapping")["Properties"].pop("FunctionResponseTypes")),
    ("batch changed", "batch", lambda t: res(t, "AWS::Lambda::EventSourceMapping")["Properties"].update(BatchSize=5)),
    ("proxy route missing", "{proxy+}", lambda t: t["Resources"].pop("ApiGatewayMethodProxyVarAny")),
    ("env var missing", "SQS_ADHOC_SOLVE_URL", lambda t: res(t, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"].pop("SQS_ADHOC_SOLVE_URL")),
    ("env var extra", "NODE_ENV", lambda t: res(t, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"].update(NODE_ENV="prod")),
    ("no SQS grant", "sqs:SendMessage", lambda t: drop_statement(t, "sqs:SendMessage")),
    ("no S3 grant", "s3:GetObject", lambda t: drop_statement(t, "s3:GetObject")),
    ("no SSM grant", "ssm:GetParameter", lambda t: drop_statement(t, "ssm:GetParameter")),
    ("schedule changed", "rate(1 hour)", lambda t: res(t, "AWS::Events::Rule")["Properties"].update(ScheduleExpression="rate(2 hours)")),
    ("no DLQ read grant", "sqs:GetQueueUrl", lambda t: drop_statement(t, "sqs:GetQueueUrl")),
    # --- OCR / archive
    ("s3 notification missing", "trigger s3", lambda t: t["Resources"].pop(
        next(k for k, v in t["Resources"].items() if v["Type"] == "Custom::S3"))),
    ("s3 event changed", "events", lambda t: res(t, "Custom::S3")["Properties"]["BucketConfigs"][0].update(
        Event="s3:ObjectRemoved:*")),
    ("s3 key filter dropped", "key prefix filter", lambda t: res(t, "Custom::S3")["Properties"]["BucketConfigs"][0].pop(
        "Rules")),
    ("relay schedule dropped", "outbox-relay", lambda t: t["Resources"].pop(
        next(k for k, v in t["Resources"].items() if v["Type"] == "AWS::Events::Rule"
             and "outbox-relay" in json.dumps(v)))),
    ("owner variable changed", "LLM_CLASSIFIER_OWNER", lambda t: res(t, "AWS::Lambda::Function")["Properties"][
        "Environment"]["Variables"].update(LLM_CLASSIFIER_OWNER="engine")),
]

bad = []
for label, expected, mutate in MUTATIONS:
    mutated = json.loads(json.dumps(template))
    mutate(mutated)
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(os.path.join(pkg, "serverless-state.json"), d)
        with open(os.path.join(d, "cloudformation-template-update-stack.json"), "w", encoding="utf-8") as f:
            json.dump(mutated, f)
        out = subprocess.run([sys.executable, check, table, d, stage, root], capture_output=True, text=True)
    if out.returncode == 0 or expected not in out.stdout:
        bad.append(f"{label}: exit {out.returncode}, output {out.stdout.strip()!r}")
# The backend's template checked as if the AI engine owned the stages: both would consume them.
for owners, expected in (("llm=engine", "llmClassifierWorker is declared but the AI engine owns"),
                         ("ocr=engine", "ocrWorker is declared but the AI engine owns")):
    out = subprocess.run([sys.executable, check, table, pkg, stage, root, owners], capture_output=True, text=True)
    if out.returncode == 0 or expected not in out.stdout:
        bad.append(f"two owners ({owners}): exit {out.returncode}, output {out.stdout.strip()!r}")
if bad:
    sys.exit("check_template.py missed mutations:\n  " + "\n  ".join(bad))
print(f"check_template.py caught all {len(MUTATIONS)} mutations and both double owners")
