#!/usr/bin/env python3
"""Checks of the Grafana dashboard and the Prometheus alert rules.

  obs_check.py static REPO
      The dashboard's structure, every PromQL expression (dashboard targets,
      variable queries, alert rules) parsed by promtool, every metric name
      exported by the code, every alert's labels, annotations and runbook
      anchor, and every alert covered firing and silent by alerts_test.yaml.

  obs_check.py live REPO PROMETHEUS_URL [--operator]
      Against a Prometheus that scrapes a running federation: every
      expression evaluates without error, every dashboard query on
      aggregator metrics or on metrics Prometheus has returns data (every
      query with --operator), and every loaded alert rule is healthy.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

import yaml

DASHBOARD = "helm/fedcrm/files/grafana-dashboard.json"
RULES = "helm/fedcrm/files/prometheus-rules.yaml"
ALERT_TESTS = "tests/observability/alerts_test.yaml"
RUNBOOK = "docs/operations.md"
AGGREGATOR_METRICS = "aggregator/aggregator_metrics.cc"
OPERATOR_METRICS = "operator/operator_metrics.cc"

# What Grafana substitutes before a query reaches Prometheus; "All" is ".*".
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "1h",
    "$namespace": ".*",
    "$silo": ".*",
}

# Metrics the dashboard must show, per the observability issue.
REQUIRED_ON_DASHBOARD = [
    "fedcrm_silo_epsilon_spent", "fedcrm_silo_epsilon_remaining", "fedcrm_privacy_epsilon_spent",
    "fedcrm_rounds_total", "fedcrm_round_phase_duration_seconds", "fedcrm_round_participants",
    "fedcrm_round_dropouts_total", "fedcrm_controller_runtime_reconcile_errors_total",
    "fedcrm_workqueue_depth", "fedcrm_aggregator_requests_total",
]

failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message)


def read(repo, path):
    with open(os.path.join(repo, path), encoding="utf-8") as f:
        return f.read()


def exported_metrics(repo, path):
    """Names registered with registry_.Add{Counter,Gauge,Histogram}("name", ...)."""
    names = set()
    for kind, name in re.findall(r'Add(Counter|Gauge|Histogram)\(\s*"([a-z0-9_]+)"', read(repo, path)):
        names.add(name)
        if kind == "Histogram":
            names.update({name + "_bucket", name + "_sum", name + "_count"})
    if not names:
        fail(f"{path}: found no registered metrics; has the registry API changed?")
    return names


def metric_names(expr):
    return set(re.findall(r"\b(fedcrm_[a-z0-9_]+|up)\b", expr))


def substitute(expr):
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    if "$" in expr.replace("$labels", "").replace("$value", ""):
        fail(f"unsubstituted variable in {expr!r}")
    return expr


def dashboard_queries(dashboard):
    """(where, PromQL) for every panel target and every variable query."""
    queries = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            queries.append((f'panel "{panel["title"]}" {target["refId"]}', target["expr"]))
    for var in dashboard["templating"]["list"]:
        if var["type"] != "query":
            continue
        query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
        m = re.fullmatch(r"query_result\((.*)\)", query, re.S)
        if m:
            queries.append((f"variable {var['name']}", m.group(1)))
            continue
        m = re.fullmatch(r"label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)", query, re.S)
        if not m:
            fail(f"variable {var['name']}: unsupported query {query!r}")
            continue
        queries.append((f"variable {var['name']}", m.group(1)))
    return [(where, substitute(expr)) for where, expr in queries]


def rule_queries(rules):
    return [(f"alert {r['alert']}", r["expr"]) for g in rules["groups"] for r in g["rules"]]


def check_dashboard(dashboard):
    if dashboard.get("schemaVersion", 0) < 39:
        fail(f"schemaVersion {dashboard.get('schemaVersion')} < 39")
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    ds = variables.get("datasource")
    if not ds or ds["type"] != "datasource" or ds.get("query") != "prometheus":
        fail("no Prometheus datasource variable named 'datasource'")
    for name in ("namespace", "silo"):
        var = variables.get(name)
        if not var or var["type"] != "query" or var.get("allValue") != ".*":
            fail(f"variable {name}: expected a query variable with allValue '.*'")
    ids = [p["id"] for p in dashboard["panels"]]
    if len(ids) != len(set(ids)):
        fail("panel ids are not unique")
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        if pos["x"] + pos["w"] > 24:
            fail(f'panel "{panel["title"]}" is wider than the grid')
        if panel["type"] == "row":
            continue
        targets = panel.get("targets", [])
        if not targets:
            fail(f'panel "{panel["title"]}" has no query')
        for owner in [panel] + targets:
            if owner.get("datasource", {}).get("uid") != "${datasource}":
                fail(f'panel "{panel["title"]}": datasource is not ${{datasource}}')
        if not panel.get("description"):
            fail(f'panel "{panel["title"]}" has no description')
    shown = set()
    for _, expr in dashboard_queries(dashboard):
        shown |= metric_names(expr)
    for metric in REQUIRED_ON_DASHBOARD:
        if not any(m == metric or m.startswith(metric + "_") for m in shown):
            fail(f"the dashboard shows no {metric}")


def heading_anchors(markdown):
    anchors = set()
    for line in markdown.splitlines():
        m = re.match(r"#{1,6}\s+(.*)", line)
        if m:
            text = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


def check_rules(rules, repo):
    anchors = heading_anchors(read(repo, RUNBOOK))
    for group in rules["groups"]:
        for rule in group["rules"]:
            name = rule.get("alert")
            if not name:
                fail(f"group {group['name']}: a rule that is not an alert")
                continue
            if rule.get("labels", {}).get("severity") not in ("warning", "critical"):
                fail(f"{name}: severity must be warning or critical")
            notes = rule.get("annotations", {})
            for key in ("summary", "description", "runbook_url"):
                if not notes.get(key):
                    fail(f"{name}: no {key} annotation")
            url = notes.get("runbook_url", "")
            m = re.fullmatch(r"(?:.*/)?docs/operations\.md#([a-z0-9-]+)", url)
            if not m or m.group(1) not in anchors:
                fail(f"{name}: runbook_url {url!r} names no section of {RUNBOOK}")


def check_alert_tests(rules, repo):
    tests = yaml.safe_load(read(repo, ALERT_TESTS))
    firing, silent = set(), set()
    for test in tests["tests"]:
        for case in test.get("alert_rule_test", []):
            (firing if case.get("exp_alerts") else silent).add(case["alertname"])
    for name in (r["alert"] for g in rules["groups"] for r in g["rules"]):
        if name not in firing:
            fail(f"{ALERT_TESTS}: no case where {name} fires")
        if name not in silent:
            fail(f"{ALERT_TESTS}: no case where {name} stays silent")


def check_parse(queries):
    """promtool parses every expression, as recording rules of a scratch file."""
    rules = [{"record": f"check:expr_{i}", "expr": expr} for i, (_, expr) in enumerate(queries)]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump({"groups": [{"name": "expressions", "rules": rules}]}, f)
    try:
        result = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    if result.returncode != 0:
        fail("promtool could not parse every expression:\n" + result.stdout + result.stderr)
        for i, (where, expr) in enumerate(queries):
            if f"expr_{i}" in result.stdout + result.stderr:
                print(f"  expr_{i} = {where}: {expr}")


def check_static(repo):
    dashboard = json.loads(read(repo, DASHBOARD))
    rules = yaml.safe_load(read(repo, RULES))
    exported = exported_metrics(repo, AGGREGATOR_METRICS) | exported_metrics(repo, OPERATOR_METRICS)
    exported.add("up")
    queries = dashboard_queries(dashboard) + rule_queries(rules)
    for where, expr in queries:
        for name in sorted(metric_names(expr) - exported):
            fail(f"{where}: {name} is exported by no code")
    check_dashboard(dashboard)
    check_rules(rules, repo)
    check_alert_tests(rules, repo)
    check_parse(queries)
    print(f"checked {len(queries)} expressions and "
          f"{sum(len(g['rules']) for g in rules['groups'])} alerts")


def prometheus_get(base, path, params=None):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as e:  # 400/422: the body says why
        return json.load(e)


def check_live(repo, base, operator):
    dashboard = json.loads(read(repo, DASHBOARD))
    rules = yaml.safe_load(read(repo, RULES))
    aggregator_side = exported_metrics(repo, AGGREGATOR_METRICS) | {"up"}
    # Operator series exist only once something happened (a reconcile, a
    # RegionSilo); queries on series Prometheus has must return data too.
    present = set(prometheus_get(base, "/api/v1/label/__name__/values")["data"])
    with_data = 0
    for where, expr in dashboard_queries(dashboard) + rule_queries(rules):
        answer = prometheus_get(base, "/api/v1/query", {"query": expr})
        if answer.get("status") != "success":
            fail(f"{where}: {answer.get('errorType')}: {answer.get('error')}\n  {expr}")
            continue
        if not where.startswith("panel"):
            continue
        used = metric_names(expr)
        needs_data = operator or used <= aggregator_side or used <= present
        if answer["data"]["result"]:
            with_data += 1
        elif needs_data:
            fail(f"{where} returned no data\n  {expr}")
        else:
            print(f"no data expected: {where} (Prometheus has no {', '.join(sorted(used - present))})")
    groups = prometheus_get(base, "/api/v1/rules")["data"]["groups"]
    loaded = [r for g in groups for r in g["rules"]]
    expected = sum(len(g["rules"]) for g in rules["groups"])
    if len(loaded) != expected:
        fail(f"Prometheus loaded {len(loaded)} rules, expected {expected}")
    for rule in loaded:
        if rule.get("health") != "ok":
            fail(f"rule {rule['name']}: health {rule.get('health')}: {rule.get('lastError')}")
    print(f"{with_data} dashboard queries returned data; {len(loaded)} rules healthy")


def main(argv):
    if len(argv) >= 3 and argv[1] == "static":
        check_static(argv[2])
    elif len(argv) >= 4 and argv[1] == "live":
        check_live(argv[2], argv[3].rstrip("/"), "--operator" in argv[4:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
