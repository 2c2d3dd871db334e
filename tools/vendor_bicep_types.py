#!/usr/bin/env python3
"""Vendor the JSON Schema of one ARM PUT body from azapi's *own* embedded type definitions.

azapi validates an `azapi_resource` body at plan time against the Bicep type files it embeds
(internal/azure/generated/<provider>/<namespace>/<api-version>/types.json; the check is
internal/azure/types/*_type.go `Validate`). Where the project sends a type that azapi checks,
converting those very files gives the tests the check azapi will make, offline.

Output: the same file format as tools/vendor_rest_specs.py (tests/rest_specs/README.md):
  {"type", "source", "schema", "readOnly", "createOnly"}

Conversion (mirrors azapi 2.5.0's Validate):
  * ObjectType -> object; listed properties only (additionalProperties:false) unless the type has
    additionalProperties (then that schema); flag Required (1) -> required, except the root `name`
    (azapi skips it: it is the resource's `name` argument); flag ReadOnly (2) -> accepted but
    annotated readOnly and listed in "readOnly" (azapi rejects it: "should not define read-only");
  * DiscriminatedObjectType -> base properties plus allOf of if/then per discriminator value;
    every element is the closed object of base + element properties; the discriminator is required;
  * UnionType -> anyOf; StringLiteralType -> const (case-sensitive, as in azapi);
    StringType -> string with pattern/minLength/maxLength; IntegerType -> integer with
    minimum/maximum; BooleanType, ArrayType (items, minItems/maxItems), AnyType -> {}.
  * "createOnly" is empty: Bicep types carry no mutability.

Usage (read from a checkout of Azure/terraform-provider-azapi at the pinned tag):
  git -C <azapi> show v2.5.0:internal/azure/generated/machinelearningservices/microsoft.machinelearningservices/2025-06-01/types.json > /tmp/types.json
  python tools/vendor_bicep_types.py /tmp/types.json 'Microsoft.MachineLearningServices/workspaces@2025-06-01' \\
      --source-path internal/azure/generated/machinelearningservices/microsoft.machinelearningservices/2025-06-01/types.json \\
      --source-commit d0ce35a963bde84bf0a9f67751f2af061e57b4ec --read 2026-11-28 --out tests/rest_specs
Standard library only. Writes <out>/<Namespace.Provider>_<type path>@<api>.json and adds it to
<out>/index.json "schemas".
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

REQUIRED, READ_ONLY = 1, 2


class Converter:
    def __init__(self, types: list[dict]) -> None:
        self.types = types
        self.defs: dict[str, dict] = {}
        self.read_only: list[str] = []

    def node(self, ref: dict) -> dict:
        return self.types[int(ref["$ref"].split("/")[-1])]

    def schema(self, ref: dict, path: str) -> dict:
        t = self.node(ref)
        kind = t["$type"]
        if kind == "StringLiteralType":
            return {"const": t["value"]}
        if kind == "StringType":
            out: dict[str, Any] = {"type": "string"}
            for src, dst in (("pattern", "pattern"), ("minLength", "minLength"), ("maxLength", "maxLength")):
                if src in t:
                    out[dst] = t[src]
            return out
        if kind == "IntegerType":
            out = {"type": "integer"}
            for src, dst in (("minValue", "minimum"), ("maxValue", "maximum")):
                if src in t:
                    out[dst] = t[src]
            return out
        if kind == "BooleanType":
            return {"type": "boolean"}
        if kind == "AnyType":
            return {}
        if kind == "ArrayType":
            out = {"type": "array", "items": self.schema(t["itemType"], path + "/*")}
            for src, dst in (("minLength", "minItems"), ("maxLength", "maxItems")):
                if src in t:
                    out[dst] = t[src]
            return out
        if kind == "UnionType":
            return {"anyOf": [self.schema(e, path) for e in t["elements"]]}
        if kind == "ObjectType":
            return self.object(t["properties"], t.get("additionalProperties"), path, name=t.get("name"))
        if kind == "DiscriminatedObjectType":
            base = t.get("baseProperties", {})
            branches = []
            for value, element in sorted(t["elements"].items()):
                props = {**base, **self.node(element)["properties"]}
                branches.append({
                    "if": {"properties": {t["discriminator"]: {"const": value}}, "required": [t["discriminator"]]},
                    "then": self.object(props, None, path, name=f"{t['name']}:{value}"),
                })
            return {"type": "object", "required": [t["discriminator"]], "allOf": branches,
                    "$comment": f"bicep DiscriminatedObjectType {t['name']} on {t['discriminator']!r}"}
        raise ValueError(f"unknown bicep type {kind} at {path or '/'}")

    def object(self, properties: dict, additional: dict | None, path: str, *, name: str | None) -> dict:
        out: dict[str, Any] = {"type": "object", "properties": {}}
        required = []
        for key, prop in properties.items():
            flags = prop.get("flags", 0)
            sub = self.schema(prop["type"], f"{path}/{key}")
            if flags & READ_ONLY:
                sub = {**sub, "readOnly": True}
                if f"{path}/{key}" not in self.read_only:
                    self.read_only.append(f"{path}/{key}")
            out["properties"][key] = sub
            if flags & REQUIRED and not (path == "" and key == "name"):
                required.append(key)
        if required:
            out["required"] = required
        out["additionalProperties"] = self.schema(additional, path + "/*") if additional else False
        if name:
            out["$comment"] = f"bicep ObjectType {name}"
        return out


def convert(types: list[dict], resource: str) -> tuple[dict, list[str]]:
    (entry,) = [t for t in types if t.get("$type") == "ResourceType" and t["name"] == resource]
    converter = Converter(types)
    schema = converter.schema(entry["body"], "")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "title": f"{resource} PUT body (azapi embedded Bicep types)", **schema}
    return schema, converter.read_only


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("types_json", type=Path)
    parser.add_argument("resource", help="type@api-version, e.g. Microsoft.MachineLearningServices/workspaces@2025-06-01")
    parser.add_argument("--source-path", required=True)
    parser.add_argument("--source-commit", required=True)
    parser.add_argument("--source-repo", default="Azure/terraform-provider-azapi")
    parser.add_argument("--read", required=True, help="YYYY-MM-DD the source was read")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    schema, read_only = convert(json.loads(args.types_json.read_text()), args.resource)
    rtype, api = args.resource.split("@")
    namespace, *path = rtype.split("/")
    name = f"{namespace}_{'_'.join(path)}@{api}.json"
    document = {
        "type": args.resource,
        "source": {"repo": args.source_repo, "files": [{"path": args.source_path, "commit": args.source_commit, "role": "bicep types"}],
                   "read": args.read, "method": "tools/vendor_bicep_types.py"},
        "schema": schema,
        "readOnly": read_only,
        "createOnly": [],
    }
    (args.out / name).write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    index_path = args.out / "index.json"
    index = json.loads(index_path.read_text())
    index["schemas"][args.resource] = name
    index["schemas"] = dict(sorted(index["schemas"].items()))
    index_path.write_text(json.dumps(index, indent=1) + "\n")
    print(f"wrote {args.out / name} ({len(read_only)} read-only paths)")


if __name__ == "__main__":
    main()
