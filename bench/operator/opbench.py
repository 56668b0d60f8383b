"""The operator benchmark's driver (bench/operator/run.sh starts the clusters
and calls this). Standard library and PyYAML only.

  python3 opbench.py --kube_dir DIR --operator BIN [--peer BIN] --out OUT_JSON
      [--silos 100] [--rounds 1000] [--skipped TEXT ...]

On the hub of a started tests/kube set it installs crds/, creates namespace
fedcrm, one Node per region, the RegionSilos and the FederatedRounds (from
examples/kubernetes/), then measures, one process at a time:

  fedcrm-operator, first start: reconciles every round (they fail admission:
      minParticipants is one more than there are silos); resident memory once
      its queues are empty, reconcile latency from its /metrics histogram, and
      the hub's apiserver_request_total before and after;
  fedcrm-operator, restarted on the reconciled objects (the steady cache);
  the controller-runtime peer, on the same reconciled objects, with and
      without its managedFields-stripping cache transform.

Writes OUT_JSON and, beside it, the Markdown table (same name, .md). Numbers
only; nothing is asserted."""

import argparse
import concurrent.futures
import copy
import datetime
import http.client
import json
import os
import platform
import re
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NAMESPACE = "fedcrm"
GROUP_PATH = "/apis/fedcrm.io/v1alpha1/namespaces/" + NAMESPACE
# (region, jurisdiction): silos are dealt round-robin over these.
REGIONS = [("eu-west-1", "GDPR"), ("eu-central-1", "GDPR"), ("us-east-1", "CCPA"),
           ("us-west-2", "CCPA"), ("ap-southeast-1", "PDPA")]
REGION_LABEL = "topology.kubernetes.io/region"
MIB = 2**20


def log(message):
    print(f"opbench: {message}", flush=True)


# ------------------------------------------------------------------ the hub

class Hub:
    """A minimal client of the hub's API server with the admin certificate;
    one keep-alive connection per thread. Counts its own requests, so that the
    request tally can leave them out."""

    def __init__(self, kube_dir):
        env = {}
        with open(os.path.join(kube_dir, "clusters.env"), encoding="utf-8") as f:
            for line in f:
                match = re.match(r"^(\w+)='(.*)'$", line.strip())
                if match:
                    env[match.group(1)] = match.group(2)
        self.kubeconfig = env["FEDCRM_KUBE_HUB_KUBECONFIG"]
        self.ca = env["FEDCRM_KUBE_CA"]
        url = urllib.parse.urlparse(env["FEDCRM_KUBE_HUB_URL"])
        self.host, self.port = url.hostname, url.port
        self.context = ssl.create_default_context(cafile=self.ca)
        self.context.load_cert_chain(env["FEDCRM_KUBE_ADMIN_CERT"], env["FEDCRM_KUBE_ADMIN_KEY"])
        self.local = threading.local()
        self.lock = threading.Lock()
        self.requests = 0

    def request(self, method, path, body=None, ok=(200, 201)):
        with self.lock:
            self.requests += 1
        for attempt in range(3):
            connection = getattr(self.local, "connection", None)
            if connection is None:
                connection = http.client.HTTPSConnection(self.host, self.port, context=self.context,
                                                         timeout=120)
                self.local.connection = connection
            try:
                headers = {"Accept": "application/json"}
                data = None
                if body is not None:
                    data = json.dumps(body).encode()
                    headers["Content-Type"] = "application/json"
                connection.request(method, path, body=data, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, OSError):
                connection.close()
                self.local.connection = None
                if attempt == 2:
                    raise
        if response.status not in ok:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}: {payload[:300]!r}")
        content_type = response.getheader("Content-Type", "")
        return payload if "json" not in content_type else json.loads(payload)

    def request_totals(self):
        """apiserver_request_total of resource requests, by (verb, resource).
        Non-resource requests (this very /metrics scrape, /readyz, discovery)
        have resource "" and are left out."""
        text = self.request("GET", "/metrics").decode()
        totals = {}
        for name, labels, value in parse_prometheus(text):
            if name == "apiserver_request_total" and labels.get("resource"):
                key = (labels.get("verb", ""), labels["resource"])
                totals[key] = totals.get(key, 0) + value
        return totals


def parse_prometheus(text):
    """(name, labels, value) for every sample of a Prometheus text exposition."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)", line)
        if not match:
            continue
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        try:
            samples.append((match.group(1), labels, float(match.group(3))))
        except ValueError:
            pass
    return samples


# ---------------------------------------------------------------- the objects

def load_example(name):
    with open(os.path.join(REPO, "examples", "kubernetes", name), encoding="utf-8") as f:
        return yaml.safe_load(f)


def silo_object(index):
    """examples/kubernetes/regionsilo-eu-west.yaml (a silo on the hub), renamed
    and spread over REGIONS, with a node selector on its region so that only
    that region's Node is eligible."""
    silo = load_example("regionsilo-eu-west.yaml")
    region, jurisdiction = REGIONS[index % len(REGIONS)]
    name = f"silo-{index:03d}"
    silo["metadata"]["name"] = name
    silo["spec"]["region"] = region
    silo["spec"]["jurisdiction"] = jurisdiction
    silo["spec"]["data"]["persistentVolumeClaim"]["claimName"] = f"crm-{name}"
    silo["spec"]["worker"]["nodeSelector"] = {REGION_LABEL: region}
    return silo


def round_object(index, min_participants):
    """examples/kubernetes/federatedround-churn.yaml, renamed, asking for more
    participants than there are silos: admission fails it at once
    (InsufficientParticipants) and the aggregator is never called."""
    federated_round = load_example("federatedround-churn.yaml")
    federated_round["metadata"]["name"] = f"churn-adhoc-{index:04d}"
    federated_round["spec"]["minParticipants"] = min_participants
    return federated_round


def install_crds(hub):
    crd_path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    names = []
    for file_name in sorted(os.listdir(os.path.join(REPO, "crds"))):
        with open(os.path.join(REPO, "crds", file_name), encoding="utf-8") as f:
            crd = yaml.safe_load(f)
        hub.request("POST", crd_path, crd, ok=(201, 409))
        names.append(crd["metadata"]["name"])
    deadline = time.monotonic() + 60
    for name in names:
        while True:
            # A CRD just created may have "status": {"conditions": null}.
            status = hub.request("GET", f"{crd_path}/{name}").get("status") or {}
            conditions = status.get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"CRD {name} not Established after 60 s")
            time.sleep(0.2)


def create_all(hub, path, objects, threads=8):
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda o: hub.request("POST", path, o), objects))


def setup_cluster(hub):
    """CRDs, the namespace and one Node per region (nothing runs on them)."""
    install_crds(hub)
    hub.request("POST", "/api/v1/namespaces", {"metadata": {"name": NAMESPACE}}, ok=(201, 409))
    for region, _ in REGIONS:
        hub.request("POST", "/api/v1/nodes", {
            "metadata": {"name": f"node-{region}", "labels": {REGION_LABEL: region}}},
            ok=(201, 409))


def create_silos(hub, silos):
    create_all(hub, GROUP_PATH + "/regionsilos", [silo_object(i) for i in range(silos)])


def create_rounds(hub, silos, rounds):
    start = time.monotonic()
    create_all(hub, GROUP_PATH + "/federatedrounds",
               [round_object(i, silos + 1) for i in range(rounds)])
    log(f"created {rounds} FederatedRounds in {time.monotonic() - start:.1f} s")


def json_bytes(items, strip_managed_fields):
    total = 0
    for item in items:
        if strip_managed_fields:
            item = copy.deepcopy(item)
            item["metadata"].pop("managedFields", None)
        total += len(json.dumps(item, separators=(",", ":")))
    return total


def ready_silos(hub):
    return sum(1 for item in hub.request("GET", f"{GROUP_PATH}/regionsilos")["items"] if any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in item.get("status", {}).get("conditions", [])))


def object_census(hub, dump_dir):
    """What the caches hold: counts, round phases and the objects' compact
    JSON size with and without metadata.managedFields. Also writes each list
    to dump_dir (for footprint experiments)."""
    census = {}
    for resource in ("regionsilos", "federatedrounds", "federatedmodels"):
        items = hub.request("GET", f"{GROUP_PATH}/{resource}")["items"]
        with open(os.path.join(dump_dir, f"{resource}.json"), "w", encoding="utf-8") as f:
            json.dump({"items": items}, f, separators=(",", ":"))
        census[resource] = {"count": len(items),
                            "json_bytes": json_bytes(items, False),
                            "json_bytes_without_managed_fields": json_bytes(items, True)}
        if resource == "federatedrounds":
            outcomes = {}
            for item in items:
                status = item.get("status", {})
                reasons = [c.get("reason") for c in status.get("conditions", [])
                           if c.get("type") == "Failed" and c.get("status") == "True"]
                key = f"{status.get('phase', '(no status)')}/{reasons[0] if reasons else '-'}"
                outcomes[key] = outcomes.get(key, 0) + 1
            census[resource]["outcomes"] = outcomes
        if resource == "regionsilos":
            ready = sum(1 for item in items if any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in item.get("status", {}).get("conditions", [])))
            census[resource]["ready"] = ready
    return census


# ---------------------------------------------------------------- processes

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                fields[key] = int(value.split()[0])  # kB, or a count for Threads
    return fields


def scrape(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/metrics")
        return parse_prometheus(connection.getresponse().read().decode())
    finally:
        connection.close()


def histogram_quantiles(samples, name, controller, quantiles=(0.5, 0.99)):
    """histogram_quantile() as Prometheus computes it: linear within the
    bucket that holds the rank."""
    buckets, count, total = [], 0.0, 0.0
    for sample_name, labels, value in samples:
        if labels.get("controller") != controller:
            continue
        if sample_name == name + "_bucket":
            le = labels["le"]
            buckets.append((float("inf") if le == "+Inf" else float(le), value))
        elif sample_name == name + "_count":
            count = value
        elif sample_name == name + "_sum":
            total = value
    buckets.sort()
    out = {"count": int(count), "mean_s": total / count if count else None}
    for q in quantiles:
        rank, lower, below, value = q * count, 0.0, 0.0, None
        for upper, cumulative in buckets:
            if count and cumulative >= rank:
                if upper == float("inf"):
                    value = lower  # Prometheus answers the highest finite bound
                else:
                    value = lower + (upper - lower) * (rank - below) / max(cumulative - below, 1e-12)
                break
            lower, below = upper, cumulative
        out[f"p{round(q * 100)}_s"] = value
        out[f"p{round(q * 100)}_bucket_s"] = next(
            (upper for upper, cumulative in buckets if count and cumulative >= rank), None)
    return out


def metric_sum(samples, name, **match):
    return sum(v for n, labels, v in samples
               if n == name and all(labels.get(k) == want for k, want in match.items()))


class Side:
    """How to read one operator's /metrics: metric names differ by prefix."""

    def __init__(self, prefix):
        self.reconcile_total = prefix + "controller_runtime_reconcile_total"
        self.reconcile_time = prefix + "controller_runtime_reconcile_time_seconds"
        self.queue_depth = prefix + "workqueue_depth"


FEDCRM = Side("fedcrm_")
PEER = Side("")


def run_process(argv, log_path, env=None):
    log_file = open(log_path, "w", encoding="utf-8")
    process = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    process.log_file = log_file
    return process


def stop_process(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    process.log_file.close()


def wait_until_idle(process, port, side, count, timeout_s, log_path, controller="federatedround"):
    """Until `controller` has reconciled at least `count` times and every
    work queue has been empty for three polls in a row. The operator's own
    /metrics only: polling the API server would add to the tally."""
    start, quiet = time.monotonic(), 0
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}; "
                               f"see {log_path}")
        if time.monotonic() - start > timeout_s:
            raise RuntimeError(f"not idle after {timeout_s} s; see {log_path}")
        try:
            samples = scrape(port)
        except OSError:
            time.sleep(0.25)
            continue
        done = metric_sum(samples, side.reconcile_total, controller=controller) >= count
        depth = metric_sum(samples, side.queue_depth)
        quiet = quiet + 1 if done and depth == 0 else 0
        if quiet >= 3:
            return time.monotonic() - start, samples
        time.sleep(0.25)


def sample_memory(pid, seconds=10, every=1.0):
    """Resident memory once steady: one sample a second for `seconds`."""
    samples = []
    for _ in range(int(seconds / every)):
        samples.append(proc_status(pid))
        time.sleep(every)
    last = proc_status(pid)
    return {"vm_rss_mib": statistics.median(s["VmRSS"] for s in samples) / 1024,
            "vm_rss_min_mib": min(s["VmRSS"] for s in samples) / 1024,
            "vm_rss_max_mib": max(s["VmRSS"] for s in samples) / 1024,
            "rss_anon_mib": last["RssAnon"] / 1024, "rss_file_mib": last["RssFile"] / 1024,
            "vm_hwm_mib": last["VmHWM"] / 1024, "threads": last["Threads"]}


def latency(samples, side):
    return {c: histogram_quantiles(samples, side.reconcile_time, c)
            for c in ("federatedround", "regionsilo")}


def idle_rss(argv, port, log_path, env=None, settle_s=5):
    """Resident memory of a process started on an empty namespace."""
    process = run_process(argv, log_path, env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                scrape(port)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{argv[0]} did not serve /metrics; see {log_path}")
                time.sleep(0.2)
        time.sleep(settle_s)
        return proc_status(process.pid)["VmRSS"] / 1024
    finally:
        stop_process(process)


# ---------------------------------------------------------------- the run

def operator_argv(binary, hub, pki_dir, metrics_port, aggregator_port):
    return [binary, "--kubeconfig", hub.kubeconfig, "--namespace", NAMESPACE,
            "--aggregator-url", f"https://127.0.0.1:{aggregator_port}",
            "--aggregator-ca", os.path.join(pki_dir, "ca.pem"),
            "--coordinator-cert", os.path.join(pki_dir, "operator.pem"),
            "--coordinator-key", os.path.join(pki_dir, "operator-key.pem"),
            "--metrics-listen", f"127.0.0.1:{metrics_port}", "--log-level", "warn"]


def peer_argv(binary, hub, metrics_port, strip):
    argv = [binary, "-kubeconfig", hub.kubeconfig, "-namespace", NAMESPACE,
            "-metrics-bind-address", f"127.0.0.1:{metrics_port}"]
    return argv + (["-strip-managed-fields"] if strip else [])


def dummy_pki(directory):
    """A CA and the operator's client certificate, for flags that require
    them. Rounds that fail admission never reach the aggregator."""
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    ca_key, ca = os.path.join(directory, "ca-key.pem"), os.path.join(directory, "ca.pem")
    key, cert = os.path.join(directory, "operator-key.pem"), os.path.join(directory, "operator.pem")
    csr = os.path.join(directory, "operator.csr")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=opbench-ca")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", "/CN=fedcrm-operator")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
            "-days", "2", "-out", cert)


def measure_fedcrm(args, hub, pki_dir, log_dir, results):
    aggregator_port = free_port()  # bound by nobody
    metrics_port = free_port()
    argv = operator_argv(args.operator, hub, pki_dir, metrics_port, aggregator_port)
    setup_cluster(hub)
    results["fedcrm_idle_rss_mib"] = idle_rss(argv, metrics_port,
                                              os.path.join(log_dir, "operator-idle.log"))
    # The silos first, until the operator has made every one Ready, so that
    # every round meets Ready silos: a round admitted before its silos are
    # Ready lists each as NotReady in three condition messages and its status
    # is about three times as large, which would make the result depend on
    # timing.
    create_silos(hub, args.silos)
    process = run_process(argv, os.path.join(log_dir, "operator-silos.log"))
    try:
        wait_until_idle(process, metrics_port, FEDCRM, args.silos, args.timeout,
                        os.path.join(log_dir, "operator-silos.log"), controller="regionsilo")
        deadline = time.monotonic() + 120
        while ready_silos(hub) < args.silos and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        stop_process(process)
    create_rounds(hub, args.silos, args.rounds)
    # Background: the API server's own requests (leases, its controllers)
    # over a quiet window, subtracted from the operator's.
    quiet_s = 10.0
    hub_before = hub.request_totals()
    time.sleep(quiet_s)
    before, ours_before = hub.request_totals(), hub.requests
    background_rate = (sum(before.values()) - sum(hub_before.values())) / quiet_s

    log_path = os.path.join(log_dir, "operator.log")
    started = time.monotonic()
    process = run_process(argv, log_path)
    try:
        elapsed, samples = wait_until_idle(process, metrics_port, FEDCRM, args.rounds,
                                           args.timeout, log_path)
        memory = sample_memory(process.pid)
        window_s = time.monotonic() - started
        after, ours = hub.request_totals(), hub.requests - ours_before
        samples = scrape(metrics_port)
    finally:
        stop_process(process)
    census = object_census(hub, log_dir)
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
    delta = {f"{verb} {resource}": int(v) for (verb, resource), v in sorted(delta.items()) if v}
    # `ours` are the two /metrics scrapes, which are non-resource requests
    # and not in the totals; nothing of this script's is left in `delta`.
    total = sum(delta.values())
    background = background_rate * window_s
    results["fedcrm"] = {
        "time_to_idle_s": elapsed, "memory": memory, "latency": latency(samples, FEDCRM),
        "reconciles": {c: int(metric_sum(samples, FEDCRM.reconcile_total, controller=c))
                       for c in ("federatedround", "regionsilo", "federatedmodel")},
        "requests": {"window_s": window_s, "total": total, "background_estimate": background,
                     "background_rate_per_s": background_rate,
                     "per_round": (total - background) / args.rounds, "by_verb_resource": delta,
                     "script_requests_in_window": ours}}
    results["objects"] = census
    log(f"fedcrm-operator: idle in {elapsed:.1f} s, VmRSS {memory['vm_rss_mib']:.1f} MiB, "
        f"{(total - background) / args.rounds:.1f} requests per round")

    # Restarted on the reconciled objects: the steady cache, as the peer sees it.
    process = run_process(argv, os.path.join(log_dir, "operator-restart.log"))
    try:
        elapsed, samples = wait_until_idle(process, metrics_port, FEDCRM, args.rounds,
                                           args.timeout, log_path)
        results["fedcrm_restart"] = {"time_to_idle_s": elapsed,
                                     "memory": sample_memory(process.pid),
                                     "latency": latency(samples, FEDCRM)}
    finally:
        stop_process(process)


def measure_peer(args, hub, log_dir, results):
    for strip in (False, True):
        key = "peer_strip_managed_fields" if strip else "peer"
        metrics_port = free_port()
        log_path = os.path.join(log_dir, f"{key}.log")
        process = run_process(peer_argv(args.peer, hub, metrics_port, strip), log_path)
        try:
            elapsed, samples = wait_until_idle(process, metrics_port, PEER, args.rounds,
                                               args.timeout, log_path)
            memory = sample_memory(process.pid)
            samples = scrape(metrics_port)
        finally:
            stop_process(process)
        memory["go_heap_inuse_mib"] = metric_sum(samples, "go_memstats_heap_inuse_bytes") / MIB
        results[key] = {"time_to_idle_s": elapsed, "memory": memory,
                        "latency": latency(samples, PEER)}
        log(f"{key}: VmRSS {memory['vm_rss_mib']:.1f} MiB")


def machine():
    cpu_model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        models = re.findall(r"^model name\s*:\s*(.+)$", f.read(), re.MULTILINE)
    cpu_model = models[0].strip() if models else cpu_model
    with open("/proc/meminfo", encoding="utf-8") as f:
        kib = int(re.search(r"^MemTotal:\s*(\d+) kB", f.read(), re.MULTILINE).group(1))
    return {"nproc": os.cpu_count(), "cpu_model": cpu_model, "memory_gib": round(kib / 2**20, 1),
            "kernel": platform.release(), "load_average": list(os.getloadavg())}


def fmt(value, digits=1, scale=1.0):
    return "–" if value is None else f"{value * scale:.{digits}f}"


def markdown(results):
    rows = [("fedcrm-operator, first start (reconciles all)", results.get("fedcrm")),
            ("fedcrm-operator, restarted on reconciled objects", results.get("fedcrm_restart")),
            ("controller-runtime peer", results.get("peer")),
            ("controller-runtime peer, managedFields stripped", results.get("peer_strip_managed_fields"))]
    lines = [f"{results['silos']} RegionSilos, {results['rounds']} FederatedRounds cached; "
             f"goal: under {results['goal_mib']} MiB resident.", "",
             "| process | VmRSS MiB | RssAnon MiB | VmHWM MiB | round reconcile p50 ms | p99 ms "
             "| idle after s |", "|---|---:|---:|---:|---:|---:|---:|"]
    for label, side in rows:
        if not side:
            continue
        memory, rounds = side["memory"], side["latency"]["federatedround"]
        lines.append(f"| {label} | {fmt(memory['vm_rss_mib'])} | {fmt(memory['rss_anon_mib'])} "
                     f"| {fmt(memory['vm_hwm_mib'])} | {fmt(rounds['p50_s'], 2, 1e3)} "
                     f"| {fmt(rounds['p99_s'], 2, 1e3)} | {fmt(side['time_to_idle_s'])} |")
    fedcrm = results.get("fedcrm")
    if fedcrm:
        requests = fedcrm["requests"]
        lines += ["", f"fedcrm-operator idle on an empty namespace: "
                  f"{fmt(results['fedcrm_idle_rss_mib'])} MiB. API requests per round (first "
                  f"start, hub apiserver_request_total, background subtracted): "
                  f"{fmt(requests['per_round'], 2)} ({requests['total']} in "
                  f"{fmt(requests['window_s'])} s, background ≈ "
                  f"{fmt(requests['background_estimate'], 0)}).", "",
                  "| verb resource | requests |", "|---|---:|"]
        ranked = sorted(requests["by_verb_resource"].items(), key=lambda kv: -kv[1])
        lines += [f"| {k} | {v} |" for k, v in ranked if v >= 10]
        rest = [v for _, v in ranked if v < 10]
        if rest:
            # Mostly the API server's own watches ending and restarting.
            lines.append(f"| {len(rest)} others, under 10 each | {sum(rest)} |")
    objects = results.get("objects")
    if objects:
        lines += ["", "| objects | count | JSON MiB | without managedFields MiB |",
                  "|---|---:|---:|---:|"]
        for resource, o in objects.items():
            lines.append(f"| {resource} | {o['count']} | {fmt(o['json_bytes'] / MIB, 2)} | "
                         f"{fmt(o['json_bytes_without_managed_fields'] / MIB, 2)} |")
        outcomes = objects["federatedrounds"].get("outcomes", {})
        lines += ["", "Rounds ended: " + ", ".join(f"{k}: {v}" for k, v in outcomes.items())
                  + f"; RegionSilos Ready: {objects['regionsilos'].get('ready')}."]
    for line in results.get("skipped", []):
        lines.append(f"\nskipped: {line}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kube_dir", required=True)
    parser.add_argument("--operator", required=True)
    parser.add_argument("--peer")
    parser.add_argument("--out", required=True)
    parser.add_argument("--silos", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--skipped", action="append", default=[])
    parser.add_argument("--command", default="")
    args = parser.parse_args()

    hub = Hub(args.kube_dir)
    results = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "command": args.command, "machine": machine(), "silos": args.silos,
               "rounds": args.rounds, "goal_mib": 30, "skipped": list(args.skipped),
               "operator_version": subprocess.run([args.operator, "--version"], capture_output=True,
                                                  text=True).stdout.strip()}
    log_dir = os.path.join(os.path.dirname(os.path.abspath(args.out)), "operator-logs")
    os.makedirs(log_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="opbench-pki-") as pki_dir:
        dummy_pki(pki_dir)
        measure_fedcrm(args, hub, pki_dir, log_dir, results)
    if args.peer:
        try:
            measure_peer(args, hub, log_dir, results)
        except RuntimeError as error:
            results["skipped"].append(f"controller-runtime peer: {error}")
    results["machine_after"] = {"load_average": list(os.getloadavg())}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    table = markdown(results)
    with open(os.path.splitext(args.out)[0] + ".md", "w", encoding="utf-8") as f:
        f.write(table)
    print(table)


if __name__ == "__main__":
    sys.exit(main())
