#!/usr/bin/env python3
"""Vendor JSON Schemas (draft 2020-12) of the ARM PUT bodies our azapi resources send.

Writes tests/rest_specs/ (the tests read only that folder; this script is never run by them):

  <Namespace.Provider>_<type path, '/' -> '_'>@<api-version>.json
      {"type": "<type@api>", "source": {provenance}, "schema": <JSON Schema of the PUT body>,
       "readOnly": [pointer paths], "createOnly": [pointer paths]}
  examples/*.body.json   Microsoft's own example request bodies (x-ms-examples, parameters.<body>)
  index.json             {"schemas": {"type@api": file}, "examples": [{file, type, from}]}

How each schema is derived (mechanically, from Microsoft's swagger in Azure/azure-rest-api-specs):
  * the PUT operation's body parameter gives the root definition (TARGETS below names the path
    and the definition it must be; a mismatch is an error);
  * allOf chains are flattened (parents first), so every object lists all of its properties;
    every object that lists properties gets additionalProperties:false, whether or not the
    swagger says so (the $comment says which);
  * polymorphic definitions ("discriminator") become a dispatcher: allOf of
    {"if": {<disc>: const V}, "then": {$ref: <subtype for V>}}, each subtype being the fully
    flattened, closed object with <disc> = const V (x-ms-discriminator-value, else the definition
    name); any value without a subtype falls back to the closed base definition;
  * readOnly properties stay accepted (annotated readOnly:true) and are listed in "readOnly";
    x-ms-mutability without "update" (create-only) is listed in "createOnly";
  * enums: closed (x-ms-enum modelAsString:false or no x-ms-enum) are enforced; extensible ones
    (modelAsString:true) are enforced too by default, with a $comment saying the service may
    accept other values (like the shared 2025-06-01 online schemas); --loose-extensible-enums
    makes them plain strings with the known values in $comment;
  * x-nullable -> null allowed; format duration -> pattern for ISO 8601 durations; other swagger
    formats (date-time, uuid, int32, arm-id, unixtime, url...) are kept as "format" annotations;
    pattern/minLength/maxLength/minimum/maximum/default are copied; x-ms-secret noted in $comment.
  Pointer paths: '/'-separated property names from the body root; '*' = any map key or array item.

The two online endpoint types are not regenerated: --shared-online-schema copies them (and their
2025-06-01 example bodies) verbatim from the project's shared data
(shared/data/azure-ml-rest-spec/aml-online-schema.json, versions["2025-06-01"]), which was derived
from the same swagger and already validated; only their createOnly notes are reduced to pointers.

Inputs:
  --specs-root DIR   a folder holding specification/... from Azure/azure-rest-api-specs, e.g.
        git clone --filter=blob:none --sparse https://github.com/Azure/azure-rest-api-specs specs
        git -C specs sparse-checkout set specification/common-types/resource-management/v3 \\
          specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2024-10-01 \\
          specification/keyvault/resource-manager/Microsoft.KeyVault/stable/2023-07-01 \\
          specification/common-types/resource-management/v5 \\
          specification/app/resource-manager/Microsoft.App/ContainerApps/preview/2025-10-02-preview
      (The workspace itself, workspaces@2025-06-01, comes from azapi's own types instead:
      tools/vendor_bicep_types.py.)
      (check out the commits recorded in tests/rest_specs/README.md to reproduce exactly; the
      upstream repository has since moved some services to TypeSpec and may rename swagger files).
      Excerpts of those files work too, as long as they keep the operations and definitions used.
  --provenance FILE  JSON {"files": {"<path under specs-root>": {"commit": sha, "note": str}},
      "read": "YYYY-MM-DD", "method": str}; without it the checkout's `git rev-parse HEAD` is used.
  --bicep-types-root DIR  optional cross-check: a folder of Microsoft's bicep type files
      (<provider>/<namespace>/<api-version>/types.json, e.g. Azure/terraform-provider-azapi
      internal/azure/generated or Azure/bicep-types-az generated), themselves generated from the same
      swagger and what azapi validates bodies against; differences are printed (--strict: exit 1).
  --check  validate every vendored example against its schema with jsonschema.

Requirements: Python >= 3.10, standard library only; --check needs jsonschema (pinned:
jsonschema==4.26.0, as in the project's .venv). No network access is made.

Example (what produced the vendored files, run from the repository root; /tmp/specs then held the
hand-transcribed swagger excerpts described in tests/rest_specs/README.md). --out is written over,
not emptied: delete it first to drop files of types no longer listed.
  python tools/vendor_rest_specs.py --specs-root /tmp/specs --provenance /tmp/specs/provenance.json \\
      --shared-online-schema ../shared/data/azure-ml-rest-spec \\
      --bicep-types-root <azapi checkout>/internal/azure/generated --out tests/rest_specs --check
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import posixpath
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
REPO = "Azure/azure-rest-api-specs"
ML = "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable"
KV = "specification/keyvault/resource-manager/Microsoft.KeyVault/stable"
APP_PREVIEW = "specification/app/resource-manager/Microsoft.App/ContainerApps/preview"

# type@api-version -> where its PUT lives. "definition" is what the body parameter must reference.
# Optional "skipExamples": {x-ms-examples label: reason}: an example of Microsoft's that contradicts
# its own swagger is not vendored (it would fail --check and the tests); the skip and its reason are
# recorded in the schema file's source.examplesSkipped instead, so nothing is dropped silently.
TARGETS: list[dict[str, Any]] = [
    {
        "type": "Microsoft.MachineLearningServices/workspaces/environments/versions@2024-10-01",
        "swagger": f"{ML}/2024-10-01/mfe.json",
        "path": "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/environments/{name}/versions/{version}",
        "definition": "EnvironmentVersionResource",
    },
    {
        "type": "Microsoft.MachineLearningServices/workspaces/connections@2024-10-01",
        "swagger": f"{ML}/2024-10-01/workspaceRP.json",
        "path": "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/connections/{connectionName}",
        "definition": "WorkspaceConnectionPropertiesV2BasicResource",
    },
    {
        "type": "Microsoft.MachineLearningServices/workspaces/outboundRules@2024-10-01",
        "swagger": f"{ML}/2024-10-01/workspaceRP.json",
        "path": "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/outboundRules/{ruleName}",
        "definition": "OutboundRuleBasicResource",
    },
    {
        "type": "Microsoft.KeyVault/vaults/secrets@2023-07-01",
        "swagger": f"{KV}/2023-07-01/secrets.json",
        "path": "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
        "Microsoft.KeyVault/vaults/{vaultName}/secrets/{secretName}",
        "definition": "SecretCreateOrUpdateParameters",
    },
    {
        # A preview api-version on purpose: no stable one has appInsightsConfiguration and
        # openTelemetryConfiguration (the managed OpenTelemetry agent); see tests/rest_specs/README.md.
        "type": "Microsoft.App/managedEnvironments@2025-10-02-preview",
        "swagger": f"{APP_PREVIEW}/2025-10-02-preview/ManagedEnvironments.json",
        "path": "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
        "Microsoft.App/managedEnvironments/{environmentName}",
        "definition": "ManagedEnvironment",
        "skipExamples": {
            "Create environments": "identity.type is 'SystemAssigned, UserAssigned' (with a space), not one "
            "of the ManagedServiceIdentityType values (common-types v5 managedidentity.json: "
            "'SystemAssigned,UserAssigned')",
        },
    },
]

# Copied verbatim from the shared, already-validated schema file (key in versions[api]).
SHARED_ONLINE = {
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints@2025-06-01": "onlineEndpoints",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments@2025-06-01": "deployments",
}

# ISO 8601 duration (same pattern as the shared online schemas).
DURATION = {
    "type": "string",
    "format": "duration",
    "pattern": r"^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$",
    "$comment": "swagger: type string, format duration (ISO 8601); the pattern is added here so "
    "validators that ignore 'format' still check it.",
}

COPIED_KEYWORDS = ("pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
                   "exclusiveMaximum", "minItems", "maxItems", "uniqueItems")


def file_stem(azapi_type: str) -> str:
    rtype, api = azapi_type.split("@")
    namespace, *path = rtype.split("/")
    return f"{namespace}_{'_'.join(path)}@{api}"


class Swagger:
    """Loads swagger files under specs_root and resolves $refs between them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, dict] = {}

    def load(self, rel: str) -> dict:
        rel = posixpath.normpath(rel)
        if rel not in self.files:
            self.files[rel] = json.loads((self.root / rel).read_text(encoding="utf-8"))
        return self.files[rel]

    def resolve(self, ref: str, current: str) -> tuple[str, str, dict]:
        """'x.json#/definitions/Name' relative to current -> (file, Name, node)."""
        target, _, pointer = ref.partition("#")
        rel = posixpath.normpath(posixpath.join(posixpath.dirname(current), target)) if target else current
        node: Any = self.load(rel)
        parts = [p for p in pointer.split("/") if p]
        for part in parts:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return rel, parts[-1], node


class Converter:
    def __init__(self, swagger: Swagger, loose_enums: bool) -> None:
        self.sw = swagger
        self.loose = loose_enums
        self.defs: dict[str, Any] = {}
        self.names: dict[tuple[str, str], str] = {}
        self.files_used: set[str] = set()

    # ---- naming and definitions -------------------------------------------------------
    def def_name(self, file: str, name: str) -> str:
        key = (file, name)
        if key not in self.names:
            taken = set(self.names.values())
            candidate = name if name not in taken else f"{name}__{posixpath.basename(file).split('.')[0]}"
            self.names[key] = candidate
        return self.names[key]

    def subtypes(self, file: str, base: str) -> list[tuple[str, str, dict]]:
        """Direct subtypes of a polymorphic definition: (file, name, definition), in file order."""
        out = []
        for name, node in self.sw.load(file).get("definitions", {}).items():
            for parent in node.get("allOf", []):
                ref = parent.get("$ref")
                if ref and self.sw.resolve(ref, file)[:2] == (file, base):
                    out.append((file, name, node))
        return out

    def flatten(self, file: str, node: dict) -> tuple[dict[str, tuple[str, dict]], list[str]]:
        """All properties (with the file each was declared in) and required names, parents first."""
        props: dict[str, tuple[str, dict]] = {}
        required: list[str] = []
        for parent in node.get("allOf", []):
            pfile, _, pnode = self.sw.resolve(parent["$ref"], file) if "$ref" in parent else (file, "", parent)
            self.files_used.add(pfile)
            pp, pr = self.flatten(pfile, pnode)
            props.update(pp)
            required += [r for r in pr if r not in required]
        for key, value in node.get("properties", {}).items():
            props[key] = (file, value)
        required += [r for r in node.get("required", []) if r not in required]
        return props, required

    def ref_to(self, file: str, name: str) -> dict:
        dname = self.def_name(file, name)
        if dname not in self.defs:
            self.defs[dname] = None  # placeholder against recursion
            self.files_used.add(file)
            node = self.sw.load(file)["definitions"][name]
            self.defs[dname] = self.definition(file, name, node)
        return {"$ref": f"#/$defs/{dname}"}

    def definition(self, file: str, name: str, node: dict) -> dict:
        if "enum" in node:
            return self.enum(node)
        if node.get("discriminator") and self.subtypes(file, name):
            return self.dispatcher(file, name, node)
        if node.get("type", "object") == "object":
            return self.closed_object(file, node, name)
        return self.inline(file, node)

    # ---- schema pieces ----------------------------------------------------------------
    def enum(self, node: dict) -> dict:
        xenum = node.get("x-ms-enum", {})
        extensible = bool(xenum.get("modelAsString", False))
        out: dict[str, Any] = {"type": node.get("type", "string")}
        label = f"x-ms-enum {xenum.get('name', '(inline)')}"
        if extensible and self.loose:
            out["$comment"] = f"{label} modelAsString:true (extensible); known values: {node['enum']}"
        else:
            out["enum"] = list(node["enum"])
            out["$comment"] = (f"{label} modelAsString:true (extensible enum; the service may accept "
                               "unlisted values; the known ones are enforced here)" if extensible
                               else f"{label} closed enum (modelAsString:false or no x-ms-enum): enforced")
        return out

    def closed_object(self, file: str, node: dict, name: str = "", disc: tuple[str, str] | None = None) -> dict:
        props, required = self.flatten(file, node)
        out: dict[str, Any] = {"type": "object"}
        stated = node.get("additionalProperties")
        comment = [f"swagger {name}" if name else "swagger inline object"]
        if node.get("allOf"):
            comment.append("allOf flattened")
        if required:
            out["required"] = required
        if props:
            out["properties"] = {}
            for key, (pfile, pnode) in props.items():
                if disc and key == disc[0]:
                    out["properties"][key] = {"const": disc[1], "$comment": f"discriminator {disc[0]} = {disc[1]}"}
                else:
                    out["properties"][key] = self.prop(pfile, pnode)
            out["additionalProperties"] = False
            comment.append("additionalProperties:false " + ("(as in swagger)" if stated is False else
                                                            "(added here: swagger does not say; the properties are listed)"))
        elif isinstance(stated, dict):
            out["additionalProperties"] = self.prop(file, stated)
            comment[0] = f"swagger {name} map" if name else "swagger map (additionalProperties)"
        elif stated is False:
            out["additionalProperties"] = False
            comment.append("no properties, additionalProperties:false (as in swagger)")
        else:
            comment.append("free-form object (swagger lists no properties)")
        out["$comment"] = "; ".join(comment)
        return out

    def dispatcher(self, file: str, name: str, node: dict) -> dict:
        disc = node["discriminator"]
        props, required = self.flatten(file, node)
        disc_schema = self.prop(*props[disc])
        branches, values = [], []
        for sfile, sname, snode in self.subtypes(file, name):
            value = snode.get("x-ms-discriminator-value", sname)
            values.append(value)
            dname = self.def_name(sfile, sname)
            if dname not in self.defs:
                self.defs[dname] = None
                sub = self.closed_object(sfile, snode, sname, disc=(disc, value))
                sub["$comment"] = f"subtype of {name} for {disc} = {value}; " + sub["$comment"]
                self.defs[dname] = sub
            branches.append({"if": {"properties": {disc: {"const": value}}, "required": [disc]},
                             "then": {"$ref": f"#/$defs/{dname}"}})
        base = f"{self.def_name(file, name)}__base"
        self.defs[base] = self.closed_object(file, node, name)
        self.defs[base]["$comment"] = (f"{name} itself, used when {disc} names no subtype; "
                                       + self.defs[base]["$comment"])
        branches.append({"if": {"properties": {disc: {"enum": values}}, "required": [disc]},
                         "else": {"$ref": f"#/$defs/{base}"}})
        return {
            "$comment": f"swagger {name}: polymorphic, discriminator '{disc}'; subtypes by value: "
                        + ", ".join(f"{v} -> {self.def_name(f, n)}" for v, (f, n, _) in
                                    zip(values, self.subtypes(file, name))),
            "type": "object",
            "required": required,
            "properties": {disc: disc_schema},
            "allOf": branches,
        }

    def prop(self, file: str, node: dict) -> dict:
        """Schema for a property (or map value / array item) node."""
        if "$ref" in node:
            rfile, rname, _ = self.sw.resolve(node["$ref"], file)
            base = self.ref_to(rfile, rname)
        else:
            base = self.inline(file, node)
        out = dict(base)
        notes = []
        if node.get("x-nullable"):
            if "$ref" in out or "enum" in out or "type" not in out:
                out = {"anyOf": [base, {"type": "null"}]}
            else:
                out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else out["type"] + ["null"]
        if "default" in node:
            out["default"] = node["default"]
        if node.get("readOnly"):
            out["readOnly"] = True
        mut = node.get("x-ms-mutability")
        if mut:
            notes.append(f"x-ms-mutability {mut}" + (": create-only" if "create" in mut and "update" not in mut else ""))
        if node.get("x-ms-secret"):
            notes.append("x-ms-secret (write-only, never returned)")
        if notes:
            out["$comment"] = "; ".join(([out["$comment"]] if "$comment" in out and "$ref" not in base else []) + notes)
        return out

    def inline(self, file: str, node: dict) -> dict:
        if "enum" in node:
            return self.enum(node)
        kind = node.get("type") or ("object" if "properties" in node or "additionalProperties" in node else None)
        if kind == "object":
            return self.closed_object(file, node)
        if kind == "array":
            out = {"type": "array", "items": self.prop(file, node.get("items", {}))}
        elif kind == "string" and node.get("format") == "duration":
            self.defs.setdefault("Duration", copy.deepcopy(DURATION))
            return {"$ref": "#/$defs/Duration"}
        elif kind:
            out = {"type": kind}
            if "format" in node:
                out["format"] = node["format"]
        else:
            return {"$comment": "swagger gives no type"}
        for key in COPIED_KEYWORDS:
            if key in node:
                out[key] = node[key]
        if node.get("pattern") and not node["pattern"].startswith("^"):
            out["$comment"] = "pattern copied verbatim from swagger (unanchored)"
        return out

    # ---- pointer lists ----------------------------------------------------------------
    def pointers(self, file: str, node: dict, path: str, ro: list, co: list, seen: frozenset = frozenset()) -> None:
        """Collect readOnly / create-only pointer paths below an object definition node."""
        props, _ = self.flatten(file, node)
        for key, (pfile, pnode) in props.items():
            self._visit(pfile, pnode, f"{path}/{key}", ro, co, seen)

    def _visit(self, file: str, node: dict, path: str, ro: list, co: list, seen: frozenset) -> None:
        if node.get("readOnly") and path not in ro:
            ro.append(path)
        mut = node.get("x-ms-mutability") or []
        if "create" in mut and "update" not in mut and path not in co:
            co.append(path)
        target_file, target = file, node
        if "$ref" in node:
            target_file, name, target = self.sw.resolve(node["$ref"], file)
            if (target_file, name) in seen:
                return
            seen = seen | {(target_file, name)}
            if target.get("discriminator"):
                for sfile, _, snode in self.subtypes(target_file, name):
                    self.pointers(sfile, snode, path, ro, co, seen)
        if target.get("type", "object") == "object" and ("properties" in target or "allOf" in target):
            self.pointers(target_file, target, path, ro, co, seen)
        if isinstance(target.get("additionalProperties"), dict):
            self._visit(target_file, target["additionalProperties"], f"{path}/*", ro, co, seen)
        if target.get("type") == "array" and isinstance(target.get("items"), dict):
            self._visit(target_file, target["items"], f"{path}/*", ro, co, seen)


def put_operation(sw: Swagger, target: dict) -> tuple[dict, dict, str]:
    """The PUT operation, its body parameter and its path-parameter patterns (as text)."""
    op = sw.load(target["swagger"])["paths"][target["path"]]["put"]
    body, patterns = None, []
    for param in op["parameters"]:
        if "$ref" in param:
            try:
                _, _, param = sw.resolve(param["$ref"], target["swagger"])
            except (OSError, KeyError):
                continue  # parameters from files not vendored (subscription, api-version...)
        if param.get("in") == "body":
            body = param
        elif param.get("in") == "path" and param.get("pattern"):
            patterns.append(f"{param['name']} {param['pattern']}")
    if body is None:
        raise SystemExit(f"{target['type']}: PUT has no body parameter")
    _, name, _ = sw.resolve(body["schema"]["$ref"], target["swagger"])
    if name != target["definition"]:
        raise SystemExit(f"{target['type']}: PUT body is {name}, TARGETS says {target['definition']}")
    return op, body, "; ".join(patterns)


def provenance_for(prov: dict, rel: str) -> dict:
    entry = prov.get("files", {}).get(rel, {})
    out = {"path": rel, "commit": entry.get("commit") or prov.get("commit")}
    if entry.get("note"):
        out["note"] = entry["note"]
    return out


def generate(args: argparse.Namespace) -> None:
    out_dir: Path = args.out
    examples_dir = out_dir / "examples"
    examples_dir.mkdir(parents=True, exist_ok=True)
    sw = Swagger(args.specs_root)
    prov: dict = json.loads(args.provenance.read_text()) if args.provenance else {}
    if not prov:
        try:
            head = subprocess.run(["git", "-C", str(args.specs_root), "rev-parse", "HEAD"],
                                  capture_output=True, text=True, check=True).stdout.strip()
            prov = {"commit": head}
        except (OSError, subprocess.CalledProcessError):
            prov = {}
    read = prov.get("read")
    index: dict[str, Any] = {
        "$comment": "type@api-version -> schema file (this folder); examples: Microsoft's example request "
                    "bodies that must validate against the schema of their type. See README.md.",
        "schemas": {},
        "examples": [],
    }

    for target in TARGETS:
        conv = Converter(sw, args.loose_extensible_enums)
        op, body, path_patterns = put_operation(sw, target)
        conv.files_used.add(target["swagger"])
        root_node = sw.load(target["swagger"])["definitions"][target["definition"]]
        root = conv.closed_object(target["swagger"], root_node, target["definition"])
        ro: list[str] = []
        co: list[str] = []
        conv.pointers(target["swagger"], root_node, "", ro, co)
        schema = {
            "$schema": SCHEMA_DIALECT,
            "title": f"{target['type'].split('@')[0]} PUT body ({target['definition']}), "
                     f"api-version {target['type'].split('@')[1]}",
            **root,
            "$defs": {k: v for k, v in sorted(conv.defs.items())},
        }
        files = [dict(provenance_for(prov, rel), role="swagger") for rel in sorted(conv.files_used)]
        source: dict[str, Any] = {
            "repo": REPO,
            "files": files,
            "operation": f"PUT {target['path']} (operationId {op.get('operationId')}, body parameter "
                         f"'{body['name']}' -> #/definitions/{target['definition']})",
            "pathParameterPatterns": path_patterns,
            "derivedBy": "tools/vendor_rest_specs.py (mechanical swagger -> JSON Schema conversion)",
        }
        if read:
            source["read"] = read
        if prov.get("method"):
            source["method"] = prov["method"]
        stem = file_stem(target["type"])
        for label, ex in op.get("x-ms-examples", {}).items():
            ex_rel = posixpath.normpath(posixpath.join(posixpath.dirname(target["swagger"]), ex["$ref"]))
            if label in target.get("skipExamples", {}):
                source.setdefault("examplesSkipped", []).append(dict(
                    provenance_for(prov, ex_rel), role="x-ms-examples", title=label, reason=target["skipExamples"][label]))
                continue
            ex_body = json.loads((args.specs_root / ex_rel).read_text())["parameters"][body["name"]]
            ex_file = f"examples/{stem}.{posixpath.basename(ex_rel).removesuffix('.json')}.body.json"
            (out_dir / ex_file).write_text(json.dumps(ex_body, indent=2) + "\n")
            index["examples"].append({
                "file": ex_file, "type": target["type"], "title": label,
                "from": dict(provenance_for(prov, ex_rel), repo=REPO, jsonPath=f"parameters.{body['name']}"),
            })
            source.setdefault("examples", []).append(dict(provenance_for(prov, ex_rel), role="x-ms-examples"))
        doc = {"type": target["type"], "source": source, "schema": schema, "readOnly": ro, "createOnly": co}
        (out_dir / f"{stem}.json").write_text(json.dumps(doc, indent=1) + "\n")
        index["schemas"][target["type"]] = f"{stem}.json"

    if args.shared_online_schema:
        copy_shared(args.shared_online_schema, out_dir, index, read)

    index["schemas"] = dict(sorted(index["schemas"].items()))
    (out_dir / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    print(f"wrote {len(index['schemas'])} schemas and {len(index['examples'])} examples to {out_dir}")


def copy_shared(shared_dir: Path, out_dir: Path, index: dict, read: str | None = None) -> None:
    src = shared_dir / "aml-online-schema.json"
    raw = src.read_bytes()
    data = json.loads(raw)
    api = "2025-06-01"
    version = data["versions"][api]
    shared_examples = json.loads((shared_dir / "aml-examples" / "index.json").read_text())["examples"]
    keep = {p: c for p, c in zip(data["source"]["paths"], data["source"]["commits"])
            if f"/{api}/" in p or "common-types" in p}
    for azapi_type, key in SHARED_ONLINE.items():
        stem = file_stem(azapi_type)
        ops = data["source"].get("operations", {})
        example_dir = "/OnlineEndpoint/" if key == "onlineEndpoints" else "/ManagedOnlineDeployment/"
        source = {
            "repo": data["source"]["repo"],
            "files": [{"path": p, "commit": c, "role": "x-ms-examples" if "/examples/" in p else "swagger"}
                      for p, c in keep.items() if "/examples/" not in p or example_dir in p],
            "operation": ops.get(key),
            "copiedFrom": {
                "file": "shared/data/azure-ml-rest-spec/aml-online-schema.json (project shared data; provenance in "
                        "its README.md)",
                "jsonPath": f"versions['{api}'].{key}",
                "sha256": hashlib.sha256(raw).hexdigest(),
            },
            "derivedBy": "copied verbatim (schema and readOnly list); createOnly entries reduced to pointer paths",
        }
        if read:
            source["read"] = f"{read} (copied from the shared data that day; its own read date is not recorded there)"
        notes = [c for c in version["createOnly"][key] if " " in c]
        if notes:
            source["createOnlyNotes"] = notes
        doc = {
            "type": azapi_type,
            "source": source,
            "schema": version[key],
            "readOnly": list(version["readOnly"][key]),
            "createOnly": [c.split(" ")[0] for c in version["createOnly"][key]],
        }
        (out_dir / f"{stem}.json").write_text(json.dumps(doc, indent=1) + "\n")
        index["schemas"][azapi_type] = f"{stem}.json"
        for ex in shared_examples:
            if ex["apiVersion"] == api and ex["schemaKey"] == key:
                shutil.copyfile(shared_dir / "aml-examples" / ex["file"], out_dir / "examples" / ex["file"])
                index["examples"].append({"file": f"examples/{ex['file']}", "type": azapi_type,
                                          "title": "copied from shared/data/azure-ml-rest-spec/aml-examples",
                                          "from": ex["from"]})


# ---- optional cross-check against Microsoft's bicep types (what azapi validates with) ------------
FLAG_REQUIRED, FLAG_READONLY = 1, 2


def crosscheck(out_dir: Path, bicep_root: Path) -> list[str]:
    diffs: list[str] = []
    index = json.loads((out_dir / "index.json").read_text())
    for azapi_type, fname in index["schemas"].items():
        doc = json.loads((out_dir / fname).read_text())
        rtype, api = azapi_type.split("@")
        namespace = rtype.split("/")[0]
        provider = namespace.split(".")[1].lower()
        candidates = list(bicep_root.glob(f"*/{namespace.lower()}/{api}/types.json"))
        if not candidates:
            diffs.append(f"{azapi_type}: no bicep types under {bicep_root} ({provider})")
            continue
        types = json.loads(candidates[0].read_text())
        res = [t for t in types if t.get("$type") == "ResourceType" and t["name"] == azapi_type]
        if not res:
            diffs.append(f"{azapi_type}: not in {candidates[0]}")
            continue
        checker = _Cross(doc["schema"], types, azapi_type, diffs)
        checker.obj(doc["schema"], _idx(res[0]["body"]), "", root=True)
        print(f"  cross-checked {checker.compared} properties of {azapi_type} against {candidates[0]}")
    return diffs


def _idx(ref: dict) -> int:
    return int(ref["$ref"].split("/")[-1])


class _Cross:
    def __init__(self, schema: dict, types: list, label: str, diffs: list[str]) -> None:
        self.schema, self.types, self.label, self.diffs = schema, types, label, diffs
        self.compared = 0

    def deref(self, node: dict) -> dict:
        while True:
            if "$ref" in node:
                node = self.schema["$defs"][node["$ref"].split("/")[-1]]
            elif "anyOf" in node and len(node["anyOf"]) == 2 and {"type": "null"} in node["anyOf"]:
                node = next(n for n in node["anyOf"] if n != {"type": "null"})
            else:
                return node

    def note(self, path: str, msg: str) -> None:
        self.diffs.append(f"{self.label} {path or '/'}: {msg}")

    def obj(self, ours: dict, bi: int, path: str, root: bool = False, skip: frozenset = frozenset()) -> None:
        ours = self.deref(ours)
        theirs = self.types[bi]
        kind = theirs["$type"]
        if kind == "DiscriminatedObjectType":
            disc = theirs["discriminator"]
            branches = {b["if"]["properties"][disc]["const"]: b["then"]
                        for b in ours.get("allOf", []) if "then" in b}
            for alt in ours.get("oneOf", []):  # hand-written oneOf of closed subtypes (shared schemas)
                value = self.deref(alt).get("properties", {}).get(disc, {}).get("const")
                if value is not None:
                    branches[value] = alt
            fixed = ours.get("properties", {}).get(disc, {}).get("const")
            if not branches and fixed is not None:
                branches = {fixed: ours}  # a schema pinned to one subtype (e.g. Managed deployments)
                self.note(path, f"ours covers only {disc}={fixed} of bicep {sorted(theirs['elements'])} (by design)")
            elif set(branches) != set(theirs["elements"]):
                self.note(path, f"subtypes differ: ours {sorted(branches)} bicep {sorted(theirs['elements'])}")
            for value, ref in theirs["elements"].items():
                if value in branches:
                    merged = dict(theirs["baseProperties"], **self.types[_idx(ref)]["properties"])
                    self.props(self.deref(branches[value]), merged, f"{path}[{theirs['discriminator']}={value}]",
                               skip | {theirs["discriminator"]})
            return
        if kind == "ObjectType":
            if theirs.get("properties"):
                self.props(ours, theirs["properties"], path,
                           skip | (frozenset({"apiVersion", "name", "id", "type"}) if root else frozenset()))
            elif "additionalProperties" in theirs:
                value = ours.get("additionalProperties")
                if not isinstance(value, dict):
                    self.note(path, "bicep has a map, ours is not")
                else:
                    self.value(value, _idx(theirs["additionalProperties"]), f"{path}/*")
            return
        self.value(ours, bi, path)

    def props(self, ours: dict, theirs: dict, path: str, skip: frozenset) -> None:
        mine = ours.get("properties", {})
        for key in sorted(set(mine) | set(theirs)):
            if key in skip:
                continue
            if key not in mine:
                self.note(f"{path}/{key}", f"only in bicep (flags {theirs[key]['flags']})")
                continue
            if key not in theirs:
                self.note(f"{path}/{key}", "only in ours")
                continue
            flags = theirs[key]["flags"]
            self.compared += 1
            if bool(flags & FLAG_READONLY) != bool(mine[key].get("readOnly")):
                self.note(f"{path}/{key}", f"readOnly differs (bicep flags {flags})")
            if bool(flags & FLAG_REQUIRED) != (key in ours.get("required", [])):
                self.note(f"{path}/{key}", f"required differs (bicep flags {flags})")
            self.value(mine[key], _idx(theirs[key]["type"]), f"{path}/{key}")

    def value(self, ours: dict, bi: int, path: str) -> None:
        theirs = self.types[bi]
        kind = theirs["$type"]
        node = self.deref(ours)
        if kind in ("ObjectType", "DiscriminatedObjectType"):
            self.obj(node, bi, path)
        elif kind == "UnionType":
            members = [self.types[_idx(e)] for e in theirs["elements"]]
            literals = sorted(m["value"] for m in members if m["$type"] == "StringLiteralType")
            open_ = any(m["$type"] == "StringType" for m in members)
            mine = set(node.get("enum", literals))
            if mine != set(literals):
                self.note(path, f"enum differs: only ours {sorted(mine - set(literals))}, "
                                f"only bicep {sorted(set(literals) - mine)}")
            extensible = "modelAsString:true" in node.get("$comment", "")
            if open_ != extensible:
                self.note(path, f"extensibility differs (bicep open={open_})")
        elif kind == "ArrayType":
            if "array" not in ([node.get("type")] if isinstance(node.get("type"), str) else node.get("type") or []):
                self.note(path, "bicep array, ours not")
            else:
                self.value(node["items"], _idx(theirs["itemType"]), f"{path}/*")
        else:
            expected = {"StringType": "string", "IntegerType": "integer", "BooleanType": "boolean",
                        "StringLiteralType": "string", "AnyType": None}.get(kind, kind)
            got = node.get("type")
            got = [t for t in got if t != "null"][0] if isinstance(got, list) else got
            if expected == "integer" and got == "number":
                pass  # bicep has no floating-point type: swagger number/double becomes IntegerType
            elif expected and got != expected and not ("const" in node and expected == "string"):
                self.note(path, f"type differs: ours {got} bicep {kind}")
            for key in ("pattern", "minLength", "maxLength"):
                if key in theirs and theirs[key] != node.get(key):
                    self.note(path, f"{key} differs: ours {node.get(key)!r} bicep {theirs[key]!r}")


def check_examples(out_dir: Path) -> int:
    from jsonschema import validators  # jsonschema==4.26.0

    index = json.loads((out_dir / "index.json").read_text())
    failures = 0
    for azapi_type, fname in index["schemas"].items():
        schema = json.loads((out_dir / fname).read_text())["schema"]
        validators.validator_for(schema).check_schema(schema)
    for ex in index["examples"]:
        schema = json.loads((out_dir / index["schemas"][ex["type"]]).read_text())["schema"]
        body = json.loads((out_dir / ex["file"]).read_text())
        errors = list(validators.validator_for(schema)(schema).iter_errors(body))
        print(f"{'ok  ' if not errors else 'FAIL'} {ex['file']}")
        for e in errors:
            print(f"     {'/'.join(map(str, e.absolute_path))}: {e.message}")
        failures += bool(errors)
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--specs-root", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "tests" / "rest_specs")
    parser.add_argument("--provenance", type=Path)
    parser.add_argument("--shared-online-schema", type=Path,
                        help="folder with aml-online-schema.json and aml-examples/ (shared/data/azure-ml-rest-spec)")
    parser.add_argument("--loose-extensible-enums", action="store_true")
    parser.add_argument("--bicep-types-root", type=Path)
    parser.add_argument("--strict", action="store_true", help="exit 1 if the bicep cross-check finds differences")
    parser.add_argument("--check", action="store_true", help="validate the vendored examples (needs jsonschema)")
    args = parser.parse_args(argv)
    generate(args)
    status = 0
    if args.bicep_types_root:
        diffs = crosscheck(args.out, args.bicep_types_root)
        print(f"bicep cross-check: {len(diffs)} difference(s)")
        for d in diffs:
            print("  " + d)
        status |= int(bool(diffs) and args.strict)
    if args.check:
        status |= int(check_examples(args.out) > 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
