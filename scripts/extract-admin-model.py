#!/usr/bin/env python3
"""Write packages/model/data/openssm.json: the model of openssm's admin API (X-Amz-Target OpenSSM.*).

The IAM operations the console and CLI need are taken from botocore's IAM model (shapes, constraints
and errors, no documentation text), so their inputs are validated as AWS IAM validates them. The
audit-trail and event-log operations are openssm's own and are stated here.
Usage: python3 scripts/extract-admin-model.py [botocore_dir]
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import import_module  # noqa: E402

extract = import_module("extract-model")

IAM_OPERATIONS = [
    "ListUsers", "GetUser", "CreateUser", "DeleteUser", "TagUser", "UntagUser", "ListUserTags",
    "PutUserPolicy", "GetUserPolicy", "DeleteUserPolicy", "ListUserPolicies",
    "CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey",
    "ListRoles", "GetRole", "CreateRole", "DeleteRole", "TagRole", "UntagRole", "ListRoleTags",
    "PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy", "ListRolePolicies",
]

S = lambda shape: {"shape": shape}  # noqa: E731

OWN_SHAPES = {
    "AuditText": {"type": "string", "min": 1, "max": 512},
    "AuditOutcome": {"type": "string", "enum": ["Success", "Failure"]},
    "AuditMaxResults": {"type": "integer", "min": 1, "max": 1000},
    "AuditNextToken": {"type": "string", "max": 2048},
    "AuditTime": {"type": "timestamp"},
    "AuditNumber": {"type": "double"},
    "AuditString": {"type": "string"},
    "AuditStringList": {"type": "list", "member": S("AuditString")},
    "LookupAuditEventsRequest": {
        "type": "structure",
        "members": {
            "StartTime": S("AuditTime"), "EndTime": S("AuditTime"), "Principal": S("AuditText"),
            "Service": S("AuditText"), "Operation": S("AuditText"), "Outcome": S("AuditOutcome"),
            "ErrorCode": S("AuditText"), "MaxResults": S("AuditMaxResults"), "NextToken": S("AuditNextToken"),
        },
    },
    "AuditEvent": {
        "type": "structure",
        "members": {
            "EventId": S("AuditString"), "EventTime": S("AuditTime"), "AccountId": S("AuditString"),
            "Region": S("AuditString"), "PrincipalArn": S("AuditString"), "AccessKeyId": S("AuditString"),
            "SourceIp": S("AuditString"), "Service": S("AuditString"), "Operation": S("AuditString"),
            "Parameters": S("AuditString"), "ErrorCode": S("AuditString"), "ErrorMessage": S("AuditString"),
            "DurationMs": S("AuditNumber"),
        },
    },
    "AuditEventList": {"type": "list", "member": S("AuditEvent")},
    "LookupAuditEventsResponse": {"type": "structure", "members": {"Events": S("AuditEventList"), "NextToken": S("AuditNextToken")}},
    "ListEventsRequest": {
        "type": "structure",
        "members": {
            "DetailType": S("AuditText"), "Source": S("AuditText"), "StartTime": S("AuditTime"), "EndTime": S("AuditTime"),
            "MaxResults": S("AuditMaxResults"), "NextToken": S("AuditNextToken"),
        },
    },
    "BusEvent": {
        "type": "structure",
        "members": {
            "Id": S("AuditString"), "Time": S("AuditTime"), "DetailType": S("AuditString"), "Source": S("AuditString"),
            "Region": S("AuditString"), "Resources": S("AuditStringList"), "Detail": S("AuditString"),
        },
    },
    "BusEventList": {"type": "list", "member": S("BusEvent")},
    "ListEventsResponse": {"type": "structure", "members": {"Events": S("BusEventList"), "NextToken": S("AuditNextToken")}},
    "ValidationException": {"type": "structure", "exception": True, "members": {"message": S("AuditString")}},
    "AccessDeniedException": {"type": "structure", "exception": True, "members": {"message": S("AuditString")}},
    "InvalidNextToken": {"type": "structure", "exception": True, "members": {"message": S("AuditString")}},
}

OWN_OPERATIONS = {
    "LookupAuditEvents": {"input": "LookupAuditEventsRequest", "output": "LookupAuditEventsResponse",
                          "errors": ["ValidationException", "AccessDeniedException", "InvalidNextToken"]},
    "ListEvents": {"input": "ListEventsRequest", "output": "ListEventsResponse",
                   "errors": ["ValidationException", "AccessDeniedException", "InvalidNextToken"]},
}


def reachable(shapes, names):
    seen = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in shapes:
            continue
        seen.add(name)
        shape = shapes[name]
        for member in shape.get("members", {}).values():
            todo.append(member["shape"])
        for key in ("member", "key", "value"):
            if key in shape:
                todo.append(shape[key]["shape"])
    return seen


def main():
    root = extract.find_botocore()
    iam = extract.strip(extract.load(root, "iam"))
    ops = {name: iam["operations"][name] for name in IAM_OPERATIONS}
    roots = [s for op in ops.values() for s in [op["input"], op["output"], *op["errors"]] if s]
    shapes = {name: iam["shapes"][name] for name in sorted(reachable(iam["shapes"], roots))}
    for name, shape in OWN_SHAPES.items():
        if name in shapes:
            raise SystemExit(f"shape {name} is already in IAM's model")
        shapes[name] = shape
    ops.update(OWN_OPERATIONS)
    out = {
        "metadata": {"apiVersion": "2026-12-01", "endpointPrefix": "ssm", "jsonVersion": "1.1", "protocol": "json",
                     "serviceId": "OpenSSM", "signingName": "ssm", "targetPrefix": "OpenSSM"},
        "operations": ops,
        "shapes": shapes,
    }
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "packages", "model", "data", "openssm.json")
    with open(path, "w") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print(f"openssm: {len(ops)} operations, {len(shapes)} shapes -> {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
