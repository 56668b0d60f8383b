#!/usr/bin/env python3
"""Writes JSON schemas for kubeconform from two sources:

  server   a real kube-apiserver's OpenAPI v3 documents (/openapi/v3/...):
           one schema per kind that carries x-kubernetes-group-version-kind
  crds     CustomResourceDefinition YAML files: one schema per served version

Layout (kubeconform -schema-location 'DIR/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'):
  DIR/<group>/<kind lowercased>_<version>.json, with group "v1" for the core
  group (kubeconform's .Group is the apiVersion's first part).

Every $ref is inlined (kubeconform reads one standalone file per kind), and
with --strict every object that lists its properties refuses others, so a
misspelt field is an error, as kubectl's server-side field validation makes it.

Usage:
  openapi2jsonschema.py server OUT_DIR URL --ca CA --cert CERT --key KEY
  openapi2jsonschema.py crds OUT_DIR FILE...
  (both take --strict)
"""

import argparse
import copy
import json
import os
import ssl
import sys
import urllib.request

import yaml

REF_PREFIX = "#/components/schemas/"


def to_json_schema(node, components, strict, stack=()):
    """Returns a copy of an OpenAPI v3 schema node as draft-04 JSON schema."""
    if isinstance(node, list):
        return [to_json_schema(n, components, strict, stack) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"][len(REF_PREFIX):]
        # JSONSchemaProps refers to itself; past one level accept anything.
        if name in stack:
            return {}
        return to_json_schema(components[name], components, strict, stack + (name,))
    out = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {k: to_json_schema(v, components, strict, stack) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            out[key] = to_json_schema(value, components, strict, stack)
        else:  # x-kubernetes-* and nullable stay for the logic below
            out[key] = value
    # allOf with a single $ref is how OpenAPI v3 attaches a default to a ref.
    if isinstance(out.get("allOf"), list) and len(out["allOf"]) == 1 and "properties" not in out:
        only = out.pop("allOf")[0]
        for k, v in only.items():
            out.setdefault(k, v)
    if out.get("x-kubernetes-int-or-string") or out.get("format") == "int-or-string":
        out.pop("type", None)
        out["anyOf"] = [{"type": "string"}, {"type": "integer"}]
    if out.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if (strict and "properties" in out and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
            and not out.get("x-kubernetes-embedded-resource")):
        out["additionalProperties"] = False
    return out


def write_schema(out_dir, group, kind, version, schema):
    folder = os.path.join(out_dir, group if group else "v1")
    os.makedirs(folder, exist_ok=True)
    schema = dict(schema)
    # OpenAPI 3.0 is draft 4 in this respect: exclusiveMinimum is a boolean.
    schema["$schema"] = "http://json-schema.org/draft-04/schema#"
    path = os.path.join(folder, f"{kind.lower()}_{version}.json")
    with open(path, "w") as f:
        json.dump(schema, f, separators=(",", ":"))
    return path


def fetch_json(url, context):
    with urllib.request.urlopen(url, context=context, timeout=30) as response:
        return json.load(response)


def from_server(args):
    context = ssl.create_default_context(cafile=args.ca)
    context.load_cert_chain(args.cert, args.key)
    base = args.url.rstrip("/")
    index = fetch_json(base + "/openapi/v3", context)
    count = 0
    for path, entry in sorted(index["paths"].items()):
        if not (path.startswith("api/") or path.startswith("apis/")):
            continue
        document = fetch_json(base + entry["serverRelativeURL"], context)
        components = document.get("components", {}).get("schemas", {})
        for name, schema in components.items():
            for gvk in schema.get("x-kubernetes-group-version-kind", []):
                # A kind is described in the document of its own group-version;
                # others (e.g. DeleteOptions everywhere) are listed there too.
                expected = "api/v1" if gvk["group"] == "" else f"apis/{gvk['group']}/{gvk['version']}"
                if path != expected:
                    continue
                converted = to_json_schema(schema, components, args.strict, (name,))
                write_schema(args.out_dir, gvk["group"], gvk["kind"], gvk["version"], converted)
                count += 1
    return count


def from_crds(args):
    count = 0
    for file_name in args.files:
        with open(file_name) as f:
            for crd in yaml.safe_load_all(f):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                spec = crd["spec"]
                for version in spec["versions"]:
                    if not version.get("served", True):
                        continue
                    schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                    # The API server adds these to every CRD; the CRD says
                    # only "metadata: object".
                    properties = schema.setdefault("properties", {})
                    properties.setdefault("apiVersion", {"type": "string"})
                    properties.setdefault("kind", {"type": "string"})
                    properties.setdefault("metadata", {"type": "object"})
                    converted = to_json_schema(schema, {}, args.strict)
                    write_schema(args.out_dir, spec["group"], spec["names"]["kind"],
                                 version["name"], converted)
                    count += 1
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="source", required=True)
    server = sub.add_parser("server")
    server.add_argument("out_dir")
    server.add_argument("url")
    server.add_argument("--ca", required=True)
    server.add_argument("--cert", required=True)
    server.add_argument("--key", required=True)
    server.add_argument("--strict", action="store_true")
    crds = sub.add_parser("crds")
    crds.add_argument("out_dir")
    crds.add_argument("files", nargs="+")
    crds.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    count = from_server(args) if args.source == "server" else from_crds(args)
    if count == 0:
        print(f"openapi2jsonschema: no schema found ({args.source})", file=sys.stderr)
        return 1
    print(f"openapi2jsonschema: {count} schemas from {args.source} in {args.out_dir}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
