#!/usr/bin/env python3
"""Checks the CloudFormation template `serverless package` produced against
deploy/expected-resources.tsv (the reference's queue, bucket, export, function, trigger and
environment tables as data). Run by scripts/check-deploy; standard library only.

    check_template.py TABLE PACKAGE_DIR STAGE WORKSPACE_ROOT [OWNERS]

Every row must be in the template with its settings, and the template must hold nothing of those
kinds the table does not list (a queue, bucket, export, function, event source mapping, schedule
or environment variable too many fails too). Rows with status=pending must be absent, and so must
their cargo binary: a function is declared exactly when its worker is built.

OWNERS (default `llm=backend,ocr=backend`) is who runs each AI stage in the packaged template
(serverless.yml's params llmOwner, ocrOwner; decision 21): rows with owner=<stage> are the
backend's function of that stage and its trigger, which must be absent when the engine owns it;
`<llm-owner>` and `<ocr-owner>` in a row stand for the owner.
"""

import glob
import json
import os
import sys
import tomllib

SERVICE = "innova-backend-serverless"
failures = []


def fail(msg):
    failures.append(msg)


def load_table(path, stage, owners):
    rows = []
    prefix = f"{SERVICE}-{stage}"
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 4:
                sys.exit(f"{path}:{n}: expected 4 tab-separated columns, got {len(cols)}")
            kind, key, name, settings = cols
            expand = lambda s: (s.replace("<p>", prefix).replace("<stage>", stage)
                                .replace("<llm-owner>", owners["llm"]).replace("<ocr-owner>", owners["ocr"]))
            opts = {}
            for item in settings.split():
                if item == "-":
                    continue
                k, _, v = item.partition("=")
                opts[k] = expand(v)
            rows.append({"kind": kind, "key": key, "name": expand(name), "opts": opts, "line": n})
    return rows


OWNERS = {}


def absent(row):
    """A pending function, or the backend's function (or trigger) of a stage the engine owns."""
    return row["opts"].get("status") == "pending" or OWNERS.get(row["opts"].get("owner")) == "engine"


def of_kind(rows, kind, pending=False):
    return [r for r in rows if r["kind"] == kind and absent(r) == pending]


def parse_owners(text):
    owners = {"llm": "backend", "ocr": "backend"}
    for item in filter(None, (text or "").split(",")):
        stage, _, owner = item.partition("=")
        if stage not in owners or owner not in ("backend", "engine"):
            sys.exit(f"OWNERS: {item!r} is not <llm|ocr>=<backend|engine>")
        owners[stage] = owner
    return owners


def getatt_arn(logical):
    return {"Fn::GetAtt": [logical, "Arn"]}


def mentions(node, text):
    return text in json.dumps(node)


def cargo_bins(root):
    """Binary names of the workspace: [[bin]] entries and src/main.rs packages."""
    bins = set()
    with open(os.path.join(root, "Cargo.toml"), "rb") as f:
        members = tomllib.load(f).get("workspace", {}).get("members", [])
    for pattern in members:
        for member in glob.glob(os.path.join(root, pattern)):
            manifest = os.path.join(member, "Cargo.toml")
            if not os.path.exists(manifest):
                continue
            with open(manifest, "rb") as f:
                data = tomllib.load(f)
            bins.update(b["name"] for b in data.get("bin", []))
            bins.update(os.path.splitext(os.path.basename(p))[0]
                        for p in glob.glob(os.path.join(member, "src/bin/*.rs")))
            if os.path.exists(os.path.join(member, "src/main.rs")):
                bins.add(data["package"]["name"])
    return bins


def main():
    table, pkg, stage, root = sys.argv[1:5]
    OWNERS.update(parse_owners(sys.argv[5] if len(sys.argv) > 5 else ""))
    rows = load_table(table, stage, OWNERS)
    with open(os.path.join(pkg, "cloudformation-template-update-stack.json"), encoding="utf-8") as f:
        tpl = json.load(f)
    with open(os.path.join(pkg, "serverless-state.json"), encoding="utf-8") as f:
        state = json.load(f)
    res = tpl["Resources"]
    by_type = lambda t: {k: v for k, v in res.items() if v["Type"] == t}
    counts = {}

    # Queues: names, settings, redrive; no queue the table does not list.
    queues = by_type("AWS::SQS::Queue")
    want = of_kind(rows, "queue")
    counts["queues"] = len(want)
    for r in want:
        q = queues.get(r["key"])
        if q is None:
            fail(f"queue {r['key']} ({r['name']}) missing")
            continue
        p, o = q.get("Properties", {}), r["opts"]
        if p.get("QueueName") != r["name"]:
            fail(f"queue {r['key']}: name {p.get('QueueName')!r}, expected {r['name']!r}")
        for prop, opt in (("VisibilityTimeout", "vis"), ("MessageRetentionPeriod", "retention")):
            expected = int(o[opt]) if opt in o else None
            if p.get(prop) != expected:
                fail(f"queue {r['key']}: {prop} {p.get(prop)!r}, expected {expected!r}")
        for prop, opt in (("FifoQueue", "fifo"), ("ContentBasedDeduplication", "dedup")):
            if bool(p.get(prop, False)) != (o.get(opt) == "true"):
                fail(f"queue {r['key']}: {prop} {p.get(prop)!r}")
        redrive = p.get("RedrivePolicy")
        if "dlq" in o:
            if not redrive or redrive.get("deadLetterTargetArn") != getatt_arn(o["dlq"]) \
                    or redrive.get("maxReceiveCount") != int(o["max"]):
                fail(f"queue {r['key']}: redrive {redrive!r}, expected {o['dlq']} after {o['max']}")
            if o["dlq"] not in queues:
                fail(f"queue {r['key']}: DLQ {o['dlq']} not declared")
        elif redrive:
            fail(f"queue {r['key']}: unexpected redrive {redrive!r}")
    for extra in sorted(set(queues) - {r["key"] for r in want}):
        fail(f"queue {extra} is in the template but not in the table")

    # Buckets (the framework's deployment bucket aside).
    buckets = {k: v for k, v in by_type("AWS::S3::Bucket").items() if k != "ServerlessDeploymentBucket"}
    want = of_kind(rows, "bucket")
    counts["buckets"] = len(want)
    for r in want:
        b = buckets.get(r["key"])
        if b is None:
            fail(f"bucket {r['key']} ({r['name']}) missing")
            continue
        p, o = b.get("Properties", {}), r["opts"]
        if p.get("BucketName") != r["name"]:
            fail(f"bucket {r['key']}: name {p.get('BucketName')!r}, expected {r['name']!r}")
        cors = p.get("CorsConfiguration", {}).get("CorsRules", [])
        if o.get("cors") == "true":
            ok = len(cors) == 1 and sorted(cors[0].get("AllowedMethods", [])) == ["GET", "PUT"] \
                and cors[0].get("AllowedOrigins") == ["*"] and cors[0].get("AllowedHeaders") == ["*"]
            if not ok:
                fail(f"bucket {r['key']}: CORS {cors!r}")
        elif cors:
            fail(f"bucket {r['key']}: unexpected CORS {cors!r}")
        rid, days, *prefix = o["rule"].split(":", 2)
        rules = p.get("LifecycleConfiguration", {}).get("Rules", [])
        match = [x for x in rules if x.get("Id") == rid and x.get("Status") == "Enabled"
                 and x.get("ExpirationInDays") == int(days) and x.get("Prefix") == (prefix[0] if prefix else None)]
        if len(rules) != 1 or not match:
            fail(f"bucket {r['key']}: lifecycle {rules!r}, expected {o['rule']}")
    for extra in sorted(set(buckets) - {r["key"] for r in want}):
        fail(f"bucket {extra} is in the template but not in the table")

    # Exports (the framework's own `sls-…` exports aside).
    outputs = {k: v for k, v in tpl.get("Outputs", {}).items()
               if "Export" in v and not str(v["Export"].get("Name", "")).startswith("sls-")}
    want = of_kind(rows, "export")
    counts["exports"] = len(want)
    for r in want:
        out = outputs.get(r["key"])
        if out is None:
            fail(f"export {r['key']} missing")
            continue
        if out["Export"].get("Name") != r["name"]:
            fail(f"export {r['key']}: name {out['Export'].get('Name')!r}, expected {r['name']!r}")
        if out.get("Value") != getatt_arn(r["opts"]["queue"]):
            fail(f"export {r['key']}: value {out.get('Value')!r}, expected the ARN of {r['opts']['queue']}")
    for extra in sorted(set(outputs) - {r["key"] for r in want}):
        fail(f"export {extra} is in the template but not in the table")

    # Functions: declared exactly when built; settings; one shared role; artifact = its binary.
    functions = by_type("AWS::Lambda::Function")
    by_name = {v["Properties"].get("FunctionName"): k for k, v in functions.items()}
    bins = cargo_bins(root)
    logical = {}
    want = of_kind(rows, "function")
    counts["functions"] = len(want)
    roles = by_type("AWS::IAM::Role")
    # --- OCR / archive: an `existing: true` S3 event adds the framework's custom-resource
    # function (it attaches the notification at deploy time) with a role of its own.
    framework = {k for k, v in functions.items() if k.startswith("CustomDashresource")}
    if framework:
        roles = {k: v for k, v in roles.items() if k != "IamRoleCustomResourcesLambdaExecution"}
    if list(roles) != ["IamRoleLambdaExecution"]:
        fail(f"expected one IAM role, IamRoleLambdaExecution; got {sorted(roles)}")
    for r in want:
        o = r["opts"]
        if o["bin"] not in bins:
            fail(f"function {r['key']}: cargo binary {o['bin']!r} does not exist")
        lid = by_name.get(r["name"])
        if lid is None:
            fail(f"function {r['key']} ({r['name']}) missing")
            continue
        logical[r["key"]] = lid
        p = functions[lid]["Properties"]
        for prop, expected in (("Runtime", "provided.al2023"), ("Architectures", ["arm64"]),
                               ("MemorySize", int(o["mem"])), ("Timeout", int(o["timeout"])),
                               ("Role", getatt_arn("IamRoleLambdaExecution"))):
            if p.get(prop) != expected:
                fail(f"function {r['key']}: {prop} {p.get(prop)!r}, expected {expected!r}")
        artifact = state["service"]["functions"].get(r["key"], {}).get("package", {}).get("artifact", "")
        if not artifact.endswith(f"/{o['bin']}/bootstrap.zip"):
            fail(f"function {r['key']}: artifact {artifact!r} is not cargo-lambda's zip of {o['bin']}")
    for r in of_kind(rows, "function", pending=True):
        owned_by_engine = r["opts"].get("status") != "pending"
        if r["name"] in by_name:
            fail(f"function {r['key']} is declared but the AI engine owns its stage" if owned_by_engine
                 else f"function {r['key']} is declared but its row says pending (flip the row)")
        if r["opts"]["bin"] in bins and not owned_by_engine:
            fail(f"function {r['key']}: binary {r['opts']['bin']!r} exists; declare it and flip its row")
    declared = {r["name"] for r in want}
    framework_names = {functions[k]["Properties"].get("FunctionName") for k in framework}
    for extra in sorted(set(by_name) - declared - framework_names
                        - {r["name"] for r in of_kind(rows, "function", pending=True)}):
        fail(f"function {extra} is in the template but not in the table")

    # Triggers of the declared functions.
    methods = by_type("AWS::ApiGateway::Method")
    api_resources = by_type("AWS::ApiGateway::Resource")
    mappings = by_type("AWS::Lambda::EventSourceMapping")
    seen_mappings = set()
    customs = by_type("Custom::S3")  # --- OCR / archive
    seen_customs = set()
    rules = by_type("AWS::Events::Rule")
    seen_rules = set()
    want = of_kind(rows, "trigger")
    counts["triggers"] = len(want)
    for r in want:
        fn, o = logical.get(r["key"]), r["opts"]
        if fn is None:
            fail(f"trigger {r['name']} of {r['key']}: function missing")
            continue
        if r["name"] == "http":
            # Walk the path from the API's root resource, one PathPart per segment.
            rid = {"Fn::GetAtt": ["ApiGatewayRestApi", "RootResourceId"]}
            for part in [x for x in o["path"].split("/") if x]:
                found = [k for k, v in api_resources.items()
                         if v["Properties"].get("PathPart") == part and v["Properties"].get("ParentId") == rid]
                rid = {"Ref": found[0]} if found else None
                if rid is None:
                    break
            if rid is None:
                fail(f"trigger http {o['path']} of {r['key']}: no API Gateway resource")
                continue
            match = [k for k, v in methods.items()
                     if v["Properties"].get("ResourceId") == rid and v["Properties"].get("HttpMethod") == o["method"]
                     and v["Properties"].get("Integration", {}).get("Type") == "AWS_PROXY"
                     and mentions(v["Properties"].get("Integration", {}).get("Uri"), fn)]
            if len(match) != 1:
                fail(f"trigger http {o['method']} {o['path']} of {r['key']}: no proxy integration to {fn}")
        elif r["name"] == "sqs":
            match = [k for k, v in mappings.items()
                     if v["Properties"].get("EventSourceArn") == getatt_arn(o["queue"])
                     and v["Properties"].get("FunctionName") == getatt_arn(fn)]
            if len(match) != 1:
                fail(f"trigger sqs {o['queue']} of {r['key']}: no event source mapping")
                continue
            seen_mappings.add(match[0])
            p = mappings[match[0]]["Properties"]
            if p.get("BatchSize") != int(o["batch"]):
                fail(f"trigger sqs {o['queue']}: batch {p.get('BatchSize')!r}, expected {o['batch']}")
            window = int(o["window"]) if "window" in o else None
            if p.get("MaximumBatchingWindowInSeconds") != window:
                fail(f"trigger sqs {o['queue']}: window {p.get('MaximumBatchingWindowInSeconds')!r}, expected {window!r}")
            if "ReportBatchItemFailures" not in p.get("FunctionResponseTypes", []):
                fail(f"trigger sqs {o['queue']}: ReportBatchItemFailures not set")
            vis = queues.get(o["queue"], {}).get("Properties", {}).get("VisibilityTimeout", 30)
            timeout = functions[fn]["Properties"].get("Timeout", 6)
            if vis < timeout:
                fail(f"trigger sqs {o['queue']}: visibility {vis} s < {r['key']}'s timeout {timeout} s (AWS refuses it)")
        elif r["name"] == "schedule":
            # The table writes the expression with `_` for spaces (its settings are space-separated);
            # input=<key>:<value> is the event's constant input ({"<key>": "<value>"}).
            expression = o["expression"].replace("_", " ")
            wanted_input = None
            if "input" in o:
                k, _, v = o["input"].partition(":")
                wanted_input = {k: v}

            def input_of(target):
                raw = target.get("Input")
                return json.loads(raw) if isinstance(raw, str) else raw

            match = [k for k, v in rules.items()
                     if v["Properties"].get("ScheduleExpression") == expression
                     and v["Properties"].get("State", "ENABLED") == "ENABLED"
                     and any(mentions(t.get("Arn"), fn) and input_of(t) == wanted_input
                             for t in v["Properties"].get("Targets", []))]
            if len(match) != 1:
                fail(f"trigger schedule {expression} (input {wanted_input!r}) of {r['key']}: no enabled rule targeting {fn}")
                continue
            seen_rules.add(match[0])
        # --- OCR / archive
        elif r["name"] == "s3":
            # `existing: true`: a Custom::S3 resource naming the bucket, the function and the event.
            bucket = buckets.get(o["bucket"], {}).get("Properties", {}).get("BucketName")
            fname = functions[fn]["Properties"].get("FunctionName")
            match = [k for k, v in customs.items()
                     if v["Properties"].get("BucketName") == bucket and v["Properties"].get("FunctionName") == fname]
            if len(match) != 1:
                fail(f"trigger s3 {o['bucket']} of {r['key']}: no notification of {bucket} to {fname}")
                continue
            seen_customs.add(match[0])
            configs = customs[match[0]]["Properties"].get("BucketConfigs", [])
            events = [c.get("Event") for c in configs]
            if events != [o["event"]]:
                fail(f"trigger s3 {o['bucket']} of {r['key']}: events {events!r}, expected [{o['event']!r}]")
            prefixes = [rule.get("Prefix") for c in configs for rule in c.get("Rules", []) if "Prefix" in rule]
            wanted = [o["prefix"]] if "prefix" in o else []
            if prefixes != wanted:
                fail(f"trigger s3 {o['bucket']} of {r['key']}: key prefix filter {prefixes!r}, expected {wanted!r}")
        else:
            fail(f"trigger {r['name']} of {r['key']}: the check does not know this kind yet; extend it")
    for extra in sorted(set(mappings) - seen_mappings):
        fail(f"event source mapping {extra} is in the template but not in the table")
    for extra in sorted(set(customs) - seen_customs):
        fail(f"S3 notification {extra} is in the template but not in the table")
    for extra in sorted(set(rules) - seen_rules):
        fail(f"schedule {extra} is in the template but not in the table")

    # Environment: exactly the table's names, on every function.
    want = of_kind(rows, "env")
    counts["environment variables"] = len(want)
    for key, lid in logical.items():
        env = functions[lid]["Properties"].get("Environment", {}).get("Variables", {})
        for r in want:
            name, o = r["key"], r["opts"]
            if name not in env:
                fail(f"function {key}: environment variable {name} missing")
            elif "ref" in o and env[name] != {"Ref": o["ref"]}:
                fail(f"function {key}: {name} = {env[name]!r}, expected the URL of {o['ref']}")
            elif "value" in o and env[name] != o["value"]:
                fail(f"function {key}: {name} = {env[name]!r}, expected {o['value']!r}")
        for extra in sorted(set(env) - {r["key"] for r in want}):
            fail(f"function {key}: environment variable {extra} is not in the table")

    # IAM: SQS on every work queue, S3 objects of every bucket, SSM get/put under /innova/*.
    statements = [s for pol in res.get("IamRoleLambdaExecution", {}).get("Properties", {}).get("Policies", [])
                  for s in pol["PolicyDocument"]["Statement"] if s.get("Effect") == "Allow"]

    def allowed(action, resource):
        for s in statements:
            acts = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            rs = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
            if action in acts and (resource in rs or any(callable(resource) and resource(x) for x in rs)):
                return True
        return False

    dlqs = {r["opts"]["dlq"] for r in of_kind(rows, "queue") if "dlq" in r["opts"]}
    for r in of_kind(rows, "queue"):
        if r["key"] in dlqs:
            continue
        for action in ("sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
            if not allowed(action, getatt_arn(r["key"])):
                fail(f"IAM: {action} not allowed on {r['key']}")
    # Dead-letter queues the admin status reads (read=true): their depth, found by name.
    for r in of_kind(rows, "queue"):
        if r["opts"].get("read") == "true":
            for action in ("sqs:GetQueueAttributes", "sqs:GetQueueUrl"):
                if not allowed(action, getatt_arn(r["key"])):
                    fail(f"IAM: {action} not allowed on {r['key']}")
    for r in of_kind(rows, "bucket"):
        for action in ("s3:GetObject", "s3:PutObject"):
            if not allowed(action, f"arn:aws:s3:::{r['name']}/*"):
                fail(f"IAM: {action} not allowed on {r['name']}/*")
    ssm = lambda x: mentions(x, ":parameter/innova/*") and mentions(x, "AWS::AccountId")
    for action in ("ssm:GetParameter", "ssm:PutParameter"):
        if not allowed(action, ssm):
            fail(f"IAM: {action} not allowed under /innova/*")

    if failures:
        for msg in failures:
            print(f"FAIL {msg}")
        sys.exit(f"{len(failures)} difference(s) between the template and {os.path.relpath(table, root)}")
    owners = ", ".join(f"{k}: {v}" for k, v in OWNERS.items())
    print("template matches the table: " + ", ".join(f"{n} {k}" for k, n in counts.items())
          + f"; {len(res)} resources in the template (AI stages: {owners})")


if __name__ == "__main__":
    main()
