#!/usr/bin/env python3
"""Extract stripped SSM and KMS API models from the installed botocore.

Keeps operations (input, output, errors) and shapes (types, members, constraints);
drops all documentation text. Writes packages/model/data/<service>.json.
Usage: python3 scripts/extract-model.py [botocore_dir]
"""
import gzip
import json
import os
import sys

KEEP_SHAPE_KEYS = (
    "type", "required", "min", "max", "pattern", "enum", "sensitive",
    "exception", "timestampFormat", "box", "union", "document",
)
KEEP_MEMBER_KEYS = ("shape", "idempotencyToken", "deprecated", "jsonvalue")


def find_botocore():
    if len(sys.argv) > 1:
        return sys.argv[1]
    import botocore  # noqa: WPS433
    return os.path.dirname(botocore.__file__)


def load(root, service):
    base = os.path.join(root, "data", service)
    version = sorted(os.listdir(base))[-1]
    path = os.path.join(base, version, "service-2.json")
    if os.path.exists(path + ".gz"):
        with gzip.open(path + ".gz", "rt") as fh:
            return json.load(fh)
    with open(path) as fh:
        return json.load(fh)


def strip_shape(shape):
    out = {k: shape[k] for k in KEEP_SHAPE_KEYS if k in shape}
    if "members" in shape:
        out["members"] = {
            name: {k: v for k, v in member.items() if k in KEEP_MEMBER_KEYS}
            for name, member in shape["members"].items()
        }
    for key in ("member", "key", "value"):
        if key in shape:
            out[key] = {"shape": shape[key]["shape"]}
    if "error" in shape:
        out["error"] = {k: v for k, v in shape["error"].items() if k in ("code", "httpStatusCode", "senderFault")}
    return out


def strip(model):
    meta = model["metadata"]
    ops = {}
    for name, op in model["operations"].items():
        ops[name] = {
            "input": op.get("input", {}).get("shape"),
            "output": op.get("output", {}).get("shape"),
            "errors": [e["shape"] for e in op.get("errors", [])],
        }
    return {
        "metadata": {k: meta[k] for k in ("apiVersion", "endpointPrefix", "jsonVersion", "protocol", "serviceId", "signingName", "targetPrefix") if k in meta},
        "operations": ops,
        "shapes": {name: strip_shape(shape) for name, shape in model["shapes"].items()},
    }


def main():
    root = find_botocore()
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = os.path.join(here, "..", "packages", "model", "data")
    os.makedirs(out_dir, exist_ok=True)
    for service in ("ssm", "kms"):
        stripped = strip(load(root, service))
        path = os.path.join(out_dir, service + ".json")
        with open(path, "w") as fh:
            json.dump(stripped, fh, indent=1, sort_keys=True)
            fh.write("\n")
        print(f"{service}: {len(stripped['operations'])} operations, {len(stripped['shapes'])} shapes -> {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
