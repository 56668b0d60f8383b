"""Merges fedcrm_bench's Google Benchmark JSON and the Python peers' JSON into
one table on stdout and one results.json. Standard library only, so that it
reports fedcrm's side even when the peers' virtual environment is missing.

  python3 report.py --config bench/workloads.json --fedcrm FILE
      [--training_peers FILE] [--accountant_peers FILE] [--secagg_peers FILE]
      [--operator FILE]
      [--skipped TEXT ...]
      --command TEXT --out results.json

Also writes the tables as Markdown beside it (results.md)."""

import argparse
import datetime
import json
import os
import platform
import re
import statistics

SECAGG_COUNTERS = ("neighbours", "dropped", "up_bytes", "down_bytes", "plaintext_bytes",
                   "threshold", "degree")

TRAINING_COLUMNS = [  # (side, private, heading)
    ("fedcrm", True, "fedcrm DP-SGD"),
    ("opacus", True, "Opacus DP-SGD"),
    ("fedcrm", False, "fedcrm SGD"),
    ("sklearn", False, "sklearn SGD"),
    ("torch", False, "PyTorch SGD"),
]


def machine():
    cpu_model = "unknown"
    memory_gib = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            models = re.findall(r"^model name\s*:\s*(.+)$", f.read(), re.MULTILINE)
        cpu_model = models[0].strip() if models else cpu_model
        with open("/proc/meminfo", encoding="utf-8") as f:
            kib = int(re.search(r"^MemTotal:\s*(\d+) kB", f.read(), re.MULTILINE).group(1))
        memory_gib = round(kib / 2**20, 1)
    except (OSError, AttributeError):
        pass
    return {"nproc": os.cpu_count(), "cpu_model": cpu_model, "memory_gib": memory_gib,
            "kernel": platform.release(), "load_average": list(os.getloadavg())}


def fedcrm_results(path):
    """fedcrm_bench's repetitions, by benchmark name without the
    /min_time:.../repeats:... suffix, summarised as timing.py summarises the
    peers: the best repetition and the median."""
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    repetitions = {}
    for run in document["benchmarks"]:
        if run.get("run_type") == "iteration":
            name = re.split(r"/(?:min_time|iterations|repeats):|/process_time", run["run_name"])[0]
            repetitions.setdefault(name, []).append(run)
    summaries = {}
    for name, runs in repetitions.items():
        scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[runs[0]["time_unit"]]
        cpu_seconds = [run["cpu_time"] * scale for run in runs]
        summary = {"cpu_seconds_per_call": min(cpu_seconds),
                   "cpu_seconds_per_call_median": statistics.median(cpu_seconds),
                   "repetitions": len(runs)}
        if "items_per_second" in runs[0]:
            rates = [run["items_per_second"] for run in runs]
            summary.update(examples_per_cpu_second=max(rates),
                           examples_per_cpu_second_median=statistics.median(rates))
        for counter in ("epsilon", "order") + SECAGG_COUNTERS:
            if counter in runs[0]:
                summary[counter] = runs[0][counter]
        summaries[name] = summary
    return document.get("context", {}), summaries


def training_rows(config, fedcrm, peers):
    rows = []
    for workload in config["training"]:
        name = workload["name"]
        row = {"workload": name, "model": workload["model"], "hidden": workload["hidden"],
               "features": next(d["features"] for d in config["datasets"]
                                if d["name"] == workload["dataset"]),
               "examples_per_cpu_second": {}, "examples_per_cpu_second_median": {}}
        measured = []
        for private, mode in ((True, "dp_sgd"), (False, "sgd")):
            if f"train/{mode}/{name}" in fedcrm:
                measured.append(("fedcrm", private, fedcrm[f"train/{mode}/{name}"]))
        for result in peers.get("results", []):
            if result["workload"] == name:
                measured.append((result["side"], result["private"], result))
        for side, private, result in measured:
            key = f"{side}/{'dp' if private else 'sgd'}"
            row["examples_per_cpu_second"][key] = result["examples_per_cpu_second"]
            row["examples_per_cpu_second_median"][key] = result["examples_per_cpu_second_median"]
        rows.append(row)
    return rows


def accountant_rows(fedcrm, peers):
    rows = []
    run = fedcrm.get("accountant/epsilon")
    if run:
        rows.append({"side": "fedcrm", "version": "this build", "epsilon": run["epsilon"],
                     "order": run["order"], "seconds_per_epsilon": run["cpu_seconds_per_call"],
                     "seconds_per_epsilon_median": run["cpu_seconds_per_call_median"]})
    rows += peers.get("results", [])
    return rows


def secagg_rows(config, fedcrm, peers):
    """One row per (clients, vector length): client masking, plaintext sum,
    and per dropout rate the server's unmasking and the bytes on the wire,
    fedcrm beside Flower."""
    w = config.get("secagg")
    if not w:
        return []
    flower = {(r["clients"], r["vector_length"]): r for r in peers.get("results", [])}
    rows = []
    for n in w["clients"]:
        for d in w["vector_lengths"]:
            suffix = f"n{n}/d{d}"
            peer = flower.get((n, d), {})
            client = fedcrm.get(f"secagg/client_mask/{suffix}")
            quantize_client = fedcrm.get(f"secagg/client_quantize_mask/{suffix}")
            plain = fedcrm.get(f"secagg/plaintext_sum/{suffix}")
            row = {"clients": n, "vector_length": d,
                   "fedcrm_client_seconds": client and client["cpu_seconds_per_call"],
                   "fedcrm_quantize_client_seconds":
                       quantize_client and quantize_client["cpu_seconds_per_call"],
                   "flower_client_seconds": peer.get("client_mask", {}).get("cpu_seconds"),
                   "plaintext_sum_seconds": plain and plain["cpu_seconds_per_call"],
                   "flower_server_input": peer.get("server_input"), "server": []}
            for rate in w["dropout_rates"]:
                key = f"drop{round(rate * 100)}"
                server = fedcrm.get(f"secagg/server_unmask/{suffix}/{key}", {})
                flower_server = peer.get("server_unmask", {}).get(key, {})
                row["server"].append({
                    "dropout_rate": rate, "dropped": server.get("dropped"),
                    "fedcrm_seconds": server.get("cpu_seconds_per_call"),
                    "flower_seconds": flower_server.get("cpu_seconds"),
                    "flower_repetitions": flower_server.get("repetitions"),
                    "flower_sum_ok": flower_server.get("sum_ok"),
                    "up_bytes": server.get("up_bytes"), "down_bytes": server.get("down_bytes"),
                    "plaintext_bytes": server.get("plaintext_bytes")})
            rows.append(row)
    for name, run in fedcrm.items():
        match = re.fullmatch(r"secagg/wire_bytes/n(\d+)/d(\d+)", name)
        if match:
            rows.append({"clients": int(match.group(1)), "vector_length": int(match.group(2)),
                         "wire_only": True, "round_seconds_at_d1": run["cpu_seconds_per_call"],
                         "server": [{"dropout_rate": 0.0, "dropped": 0,
                                     "up_bytes": run["up_bytes"], "down_bytes": run["down_bytes"],
                                     "plaintext_bytes": run["plaintext_bytes"]}]})
    return rows


def ratio(numerator, denominator, sign="×"):
    if not numerator or not denominator:
        return "—"
    return f"{numerator / denominator:.1f}{sign}"


def ms(seconds):
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e3:.3f}"
    return f"{seconds * 1e3:,.1f}" if seconds < 10 else f"{seconds * 1e3:,.0f}"


def secagg_tables(rows, sign="×"):
    """The three SecAgg+ tables as (heading, header, rows) triples."""
    timed_rows = [r for r in rows if not r.get("wire_only")]
    client = [[f"{r['clients']}", f"{r['vector_length']:,}", ms(r["fedcrm_client_seconds"]),
               ms(r["fedcrm_quantize_client_seconds"]), ms(r["flower_client_seconds"]),
               ratio(r["flower_client_seconds"], r["fedcrm_quantize_client_seconds"], sign)]
              for r in timed_rows]
    server, wire = [], []
    for r in rows:
        for s in r["server"]:
            if r.get("wire_only"):
                break
            server.append([f"{r['clients']}", f"{r['vector_length']:,}",
                           f"{s['dropout_rate']:.0%} ({s['dropped']:.0f})" if s["dropped"] is not None
                           else f"{s['dropout_rate']:.0%}",
                           ms(s["fedcrm_seconds"]), ms(r["plaintext_sum_seconds"]),
                           ratio(s["fedcrm_seconds"], r["plaintext_sum_seconds"], sign),
                           ms(s["flower_seconds"]), ratio(s["flower_seconds"], s["fedcrm_seconds"], sign)])
    for r in rows:
        for s in r["server"]:
            # The bytes hardly move with dropouts: show none and the most.
            if s["plaintext_bytes"] and (s is r["server"][0] or s is r["server"][-1]):
                up, down, plain = s["up_bytes"], s["down_bytes"], s["plaintext_bytes"]
                wire.append([f"{r['clients']}", f"{r['vector_length']:,}", f"{s['dropout_rate']:.0%}",
                             f"{plain:,.0f}", f"{up:,.0f}", f"{down:,.0f}",
                             f"{up / plain:.4f}{sign}", f"{(up + down) / plain:.4f}{sign}"])
    return [
        ("Client masking, CPU ms per call: fedcrm's SecAggClient::OnShareInbox alone and after "
         "secagg::Quantize; Flower's _collect_masked_vectors (which quantizes too)",
         ["n", "d", "fedcrm mask", "fedcrm quantize + mask", "Flower", "Flower / fedcrm"],
         client),
        ("Server unmasking (SecAggServer::ClosePhase of the unmask phase / Flower's sum and "
         "unmask_stage), CPU ms per call; dropped after sharing keys",
         ["n", "d", "dropouts", "fedcrm", "plaintext sum", "fedcrm / plaintext", "Flower",
          "Flower / fedcrm"], server),
        ("Bytes on the wire per surviving client over the whole round (Encode(...) of its "
         "messages) against the same vector sent in plaintext",
         ["n", "d", "dropouts", "plaintext", "sent", "received", "sent / plaintext",
          "(sent + received) / plaintext"], wire),
    ]


def secagg_goals(rows):
    """The brief's goals, reported and not asserted: at the largest round,
    fedcrm >= 20x faster than Flower and its server within 3x of a
    plaintext sum; and the n = 1,024 wire row against 16-bit inputs."""
    lines = []
    timed_rows = [r for r in rows if not r.get("wire_only")]
    if timed_rows:
        r = max(timed_rows, key=lambda r: (r["vector_length"], r["clients"]))
        where = f"n = {r['clients']}, d = {r['vector_length']:,}"
        lines.append(f"Goal, {where}: Flower / fedcrm client (quantize + mask) "
                     f"{ratio(r['flower_client_seconds'], r['fedcrm_quantize_client_seconds'])}, "
                     f"mask alone {ratio(r['flower_client_seconds'], r['fedcrm_client_seconds'])} "
                     "(goal ≥ 20×); "
                     "server " + ", ".join(
                         f"{s['dropout_rate']:.0%} dropouts {ratio(s['flower_seconds'], s['fedcrm_seconds'])}"
                         for s in r["server"]) + ".")
        lines.append(f"Goal, {where}: fedcrm server / plaintext sum " + ", ".join(
            f"{s['dropout_rate']:.0%} dropouts {ratio(s['fedcrm_seconds'], r['plaintext_sum_seconds'])}"
            for s in r["server"]) + " (goal ≤ 3×).")
    for r in rows:
        if r.get("wire_only"):
            s = r["server"][0]
            sixteen_bit = 2 * r["vector_length"]
            lines.append(
                f"Bonawitz et al.'s setting, n = {r['clients']:,}, d = {r['vector_length']:,} (the round "
                f"run at d = 1, {r['round_seconds_at_d1']:.1f} CPU s, plus the encoded masked input "
                f"at d): sent + received = {(s['up_bytes'] + s['down_bytes']) / s['plaintext_bytes']:.4f}× "
                f"the 32-bit plaintext, {(s['up_bytes'] + s['down_bytes']) / sixteen_bit:.3f}× "
                "16-bit inputs (their 1.73×).")
    return lines


def print_secagg(rows):
    for heading, header, table in secagg_tables(rows, "x"):
        print(heading)
        widths = [max(len(str(c)) for c in col) + 2 for col in zip(header, *table)]
        for line in [header] + table:
            print("".join(f"{c:>{wd}}" for c, wd in zip(line, widths)))
        print()
    for line in secagg_goals(rows):
        print(line)


def format_rate(value):
    if value is None:
        return "—"
    return f"{value / 1000:,.1f}k" if value < 1e6 else f"{value / 1e6:,.2f}M"


def print_training(rows):
    headings = [h for _, _, h in TRAINING_COLUMNS] + ["DP: fedcrm/Opacus"]
    print("Training throughput, examples per CPU-second (1 thread, best of repetitions)")
    print(f"{'workload':<18}" + "".join(f"{h:>15}" for h in headings[:-1]) + f"{headings[-1]:>20}")
    for row in rows:
        rates = row["examples_per_cpu_second"]
        cells = [format_rate(rates.get(f"{side}/{'dp' if private else 'sgd'}"))
                 for side, private, _ in TRAINING_COLUMNS]
        ratio = (f"{rates['fedcrm/dp'] / rates['opacus/dp']:.2f}x"
                 if "fedcrm/dp" in rates and "opacus/dp" in rates else "—")
        print(f"{row['workload']:<18}" + "".join(f"{c:>15}" for c in cells) + f"{ratio:>20}")


def print_accountant(rows, workload):
    print(f"Accountant: epsilon after {workload['steps']} steps, q={workload['sampling_rate']}, "
          f"sigma={workload['noise_multiplier']}, delta={workload['delta']} (RDP, default orders)")
    print(f"{'library':<24}{'epsilon':>14}{'order':>8}{'CPU ms per epsilon':>20}")
    for row in rows:
        library = f"{row['side']} {row['version']}"
        print(f"{library:<24}{row['epsilon']:>14.8f}{row['order']:>8g}"
              f"{row['seconds_per_epsilon'] * 1e3:>20.3f}")


def markdown(results):
    """The tables of docs/benchmarks.md, for pasting after a run."""
    config, m = results["config"], results["machine"]
    acc = config["accountant"]
    lines = [f"Run {results['date']} on {m['nproc']} CPUs ({m['cpu_model']}), "
             f"{m['memory_gib']} GiB, load average {m['load_average'][0]:.2f}; "
             f"`{results['command']}`.", "",
             f"Examples per CPU-second, one thread, best of {config['repetitions']} "
             "repetitions:", "",
             "| workload | " + " | ".join(h for _, _, h in TRAINING_COLUMNS)
             + " | DP: fedcrm / Opacus |",
             "|---|" + "---:|" * (len(TRAINING_COLUMNS) + 1)]
    for row in results["training"]:
        rates = row["examples_per_cpu_second"]
        cells = [format_rate(rates.get(f"{side}/{'dp' if private else 'sgd'}"))
                 for side, private, _ in TRAINING_COLUMNS]
        ratio = (f"{rates['fedcrm/dp'] / rates['opacus/dp']:.2f}×"
                 if "fedcrm/dp" in rates and "opacus/dp" in rates else "—")
        lines.append(f"| {row['workload']} | " + " | ".join(cells) + f" | {ratio} |")
    lines += ["", f"ε after {acc['steps']} steps, q = {acc['sampling_rate']}, "
              f"σ = {acc['noise_multiplier']}, δ = {acc['delta']}:", "",
              f"| library | ε | optimal order | CPU ms per ε (best of {config['repetitions']}) |",
              "|---|---:|---:|---:|"]
    for row in results["accountant"]:
        lines.append(f"| {row['side']} {row['version']} | {row['epsilon']:.10f} | "
                     f"{row['order']:g} | {row['seconds_per_epsilon'] * 1e3:.3f} |")
    for heading, header, table in secagg_tables(results.get("secagg", [])):
        if not table:
            continue
        lines += ["", heading + ":", "", "| " + " | ".join(header) + " |",
                  "|" + "---|" * 2 + "---:|" * (len(header) - 2)]
        lines += ["| " + " | ".join(row) + " |" for row in table]
    lines += [""] + [f"- {line}" for line in secagg_goals(results.get("secagg", []))]
    for r in results.get("secagg", []):
        if r.get("flower_server_input") and r["flower_server_input"] != "real masked vectors":
            lines.append(f"\nFlower server, n = {r['clients']}, d = {r['vector_length']:,}: "
                         f"{r['flower_server_input']}.")
    if results.get("operator_markdown"):
        lines += ["", "Operator (bench/operator/run.sh):", "", results["operator_markdown"].rstrip()]
    lines += [f"\nSkipped: {s['side']}: {s['reason']}" for s in results["skipped"]]
    return "\n".join(lines) + "\n"


def load_optional(path):
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--fedcrm", required=True)
    parser.add_argument("--training_peers")
    parser.add_argument("--accountant_peers")
    parser.add_argument("--secagg_peers")
    parser.add_argument("--operator", help="bench/operator/run.sh's JSON (its .md beside it)")
    parser.add_argument("--skipped", action="append", default=[],
                        help="'side: reason' for a peer the script could not run")
    parser.add_argument("--command", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    with open(args.config, encoding="utf-8") as f:
        config = json.load(f)
    context, fedcrm = fedcrm_results(args.fedcrm)
    training_peers = load_optional(args.training_peers)
    accountant_peers = load_optional(args.accountant_peers)
    secagg_peers = load_optional(args.secagg_peers)
    skipped = [{"side": s.split(":", 1)[0], "reason": s.split(":", 1)[-1].strip()}
               for s in args.skipped]
    skipped += (training_peers.get("skipped", []) + accountant_peers.get("skipped", [])
                + secagg_peers.get("skipped", []))
    # The first reason given for a side is the cause; later ones are effects.
    skipped = list({s["side"]: s for s in reversed(skipped)}.values())[::-1]

    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": args.command,
        "machine": machine(),
        "config": config,
        "training": training_rows(config, fedcrm, training_peers),
        "accountant": accountant_rows(fedcrm, accountant_peers),
        "secagg": secagg_rows(config, fedcrm, secagg_peers),
        "skipped": skipped,
        "versions": {**training_peers.get("versions", {}), **secagg_peers.get("versions", {})},
        "google_benchmark_context": context,
    }
    if args.operator and os.path.exists(args.operator):
        results["operator"] = load_optional(args.operator)
        with open(os.path.splitext(args.operator)[0] + ".md", encoding="utf-8") as f:
            results["operator_markdown"] = f.read()
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    markdown_path = os.path.splitext(args.out)[0] + ".md"
    with open(markdown_path, "w", encoding="utf-8") as f:
        f.write(markdown(results))

    m = results["machine"]
    print(f"\n{results['date']}  {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, "
          f"load average {m['load_average'][0]:.2f}")
    print(f"{config['rows']} rows; batch {config['batch_size']} (DP: Poisson q = "
          f"{config['batch_size'] / config['rows']:g}); {config['steps']} steps per timed call; "
          f"sigma {config['noise_multiplier']}, C {config['clip_norm']}\n")
    print_training(results["training"])
    print()
    print_accountant(results["accountant"], config["accountant"])
    print()
    print_secagg(results["secagg"])
    if results.get("operator_markdown"):
        print("\nOperator:\n" + results["operator_markdown"])
    for s in skipped:
        print(f"skipped: {s['side']}: {s['reason']}")
    print(f"\nresults: {args.out} (tables for docs/benchmarks.md: {markdown_path})")


if __name__ == "__main__":
    main()
