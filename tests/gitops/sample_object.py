#!/usr/bin/env python3
"""JSON plumbing for kubectl-wait-test.sh (the standard library only).

  object EXAMPLE.json SAMPLE.json NAME NAMESPACE   the example with the sample's
                                                   spec merged in, renamed; no status
  status SAMPLE.json                               {"status": ...} for a status patch
  same-status SAMPLE.json LIVE.json                exit 0 when LIVE's status is the sample's
  checks-installed LIVE_CM.json ARGOCD_DIR KEY=VALUE...
                                                   exit 0 when the ConfigMap holds every
                                                   health.lua byte for byte and KEY=VALUE
"""
import json
import pathlib
import sys


def merge(base, patch):
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return patch
    out = dict(base)
    for key, value in patch.items():
        out[key] = merge(base.get(key), value)
    return out


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv):
    verb = argv[1]
    if verb == "object":
        example, sample, name, namespace = load(argv[2]), load(argv[3]), argv[4], argv[5]
        out = merge(example, {"spec": sample.get("spec", {})})
        out["metadata"] = {"name": name, "namespace": namespace,
                           "labels": example["metadata"].get("labels", {})}
        out.pop("status", None)
        json.dump(out, sys.stdout)
        return 0
    if verb == "status":
        json.dump({"status": load(argv[2])["status"]}, sys.stdout)
        return 0
    if verb == "same-status":
        want, got = load(argv[2])["status"], load(argv[3]).get("status")
        if want == got:
            return 0
        print("sent:      " + json.dumps(want, sort_keys=True))
        print("read back: " + json.dumps(got, sort_keys=True))
        return 1
    if verb == "checks-installed":
        data = load(argv[2]).get("data", {})
        want = {}
        for path in sorted(pathlib.Path(argv[3]).glob("health/*/*/health.lua")):
            group, kind = path.parts[-3], path.parts[-2]
            want[f"resource.customizations.health.{group}_{kind}"] = path.read_text()
        for pair in argv[4:]:
            key, value = pair.split("=", 1)
            want[key] = value
        wrong = [key for key, value in want.items() if data.get(key) != value]
        if want and not wrong:
            print(f"{len(want)} keys as expected")
            return 0
        print("differs: " + ", ".join(wrong or ["no health checks found"]))
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
