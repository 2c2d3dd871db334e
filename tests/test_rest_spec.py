"""Every body the stacks send to ARM through azapi validates against Microsoft's own
definition for its type@api-version, vendored in tests/rest_specs/ (source and date in
its README). A type the stacks send without a vendored schema fails the suite."""

from __future__ import annotations

import copy
import json

import pytest
from jsonschema import validators

from conftest import ROOT
from tf import resources

SPEC_DIR = ROOT / "tests" / "rest_specs"
VARIANTS = ["dev", "prod", "lz", "tfc", "open"]
# The one known place where the swagger is stricter than the service (see
# member_endpoint.py: the scoring route "/" that Azure ML's CLI samples use); the resource
# must then switch azapi's plan-time schema check off, and nothing else may differ.
KNOWN_DEVIATIONS = {
    "Microsoft.MachineLearningServices/workspaces/environments/versions": {
        "properties/inferenceConfig/scoringRoute/path: '/' does not match '[a-zA-Z0-9_]'"
    },
}


@pytest.fixture(scope="module")
def specs() -> dict[str, dict]:
    index = json.loads((SPEC_DIR / "index.json").read_text())
    return {kind: json.loads((SPEC_DIR / name).read_text()) for kind, name in index["schemas"].items()}


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        out[key] = _merge(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def _request_bodies(stack: dict):
    """(construct path, type@api, body azapi sends, resource) for every azapi write."""
    for resource in resources(stack, "azapi_resource").values():
        body = copy.deepcopy(resource["body"])
        if "location" in resource:
            body["location"] = resource["location"]
        if "identity" in resource:
            (identity,) = resource["identity"]
            body["identity"] = {"type": identity["type"]}
        # azapi merges the write-only sensitive_body into the body it PUTs.
        body = _merge(body, resource.get("sensitive_body", {}))
        yield resource["//"]["metadata"]["path"], resource["type"], body, resource
    for resource in resources(stack, "azapi_resource_action").values():
        if resource["method"] == "PUT":  # whole-resource writes; POST actions (listKeys) send no body
            yield resource["//"]["metadata"]["path"], resource["type"], resource["body"], resource
    for resource in resources(stack, "azapi_update_resource").values():
        # Merged into the resource's current body before the PUT: checked as a partial body.
        body = _merge(copy.deepcopy(resource["body"]), resource.get("sensitive_body", {}))
        yield resource["//"]["metadata"]["path"], resource["type"], body, resource


def errors(spec: dict, body: dict, *, partial: bool = False) -> list[str]:
    """Schema problems of `body`; `partial`: a body merged into an existing resource, so
    properties the resource already has (the root's required ones) may be absent."""
    schema = spec["schema"]
    validator = validators.validator_for(schema)(schema)
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(body)
        if not (partial and e.validator == "required" and not list(e.absolute_path))
    ]
    # Read-only properties are accepted by the schema but must never be sent.
    for pointer in spec["readOnly"]:
        node = body
        for part in pointer.strip("/").split("/"):
            node = node.get(part) if isinstance(node, dict) and part != "*" else None
        if node is not None:
            problems.append(f"{pointer}: read-only property sent")
    return problems


@pytest.mark.parametrize("name", VARIANTS)
def test_every_azapi_body_follows_microsofts_definition(stacks, specs, name):
    checked: dict[str, int] = {}
    for path, azapi_type, body, resource in _request_bodies(stacks[name]):
        assert azapi_type in specs, f"{path}: no vendored schema for {azapi_type}; vendor it with tools/vendor_rest_specs.py"
        problems = set(errors(specs[azapi_type], body, partial="resource_id" in resource and "method" not in resource))
        allowed = KNOWN_DEVIATIONS.get(azapi_type.split("@")[0], set())
        assert problems <= allowed, f"{path}: {sorted(problems - allowed)}"
        if problems:  # azapi would refuse the plan: its own check must be off for this resource
            assert resource.get("schema_validation_enabled") is False, path
        else:
            assert "schema_validation_enabled" not in resource, f"{path}: keep azapi's schema check on where the body passes"
        checked[azapi_type] = checked.get(azapi_type, 0) + 1
    # Every kind of write was seen (so a renamed leaf cannot silently empty this test).
    kinds = {t.split("@")[0].rsplit("/", 1)[-1] for t in checked}
    assert {"onlineEndpoints", "deployments", "secrets"} <= kinds, kinds


@pytest.mark.parametrize("name", VARIANTS)
def test_every_azapi_write_uses_an_api_version_azapi_embeds(stacks, name):
    """azapi checks a body and strips read-only fields only at the api-versions it embeds; at any
    other, azapi_update_resource PUTs the whole GET response back unchecked (issue 21)."""
    embedded = json.loads((SPEC_DIR / "azapi-embedded-api-versions.json").read_text())
    from council.azapi import AZAPI_VERSION

    assert embedded["source"]["tag"] == f"v{AZAPI_VERSION}", "re-read the embedded api-versions for the pinned azapi"
    for path, azapi_type, _, _ in _request_bodies(stacks[name]):
        kind, version = azapi_type.split("@")
        assert version in embedded["embedded"].get(kind, []), f"{path}: azapi {AZAPI_VERSION} does not embed {azapi_type}"


def test_the_known_deviation_is_still_real(specs):
    """If Microsoft relaxes the pattern, KNOWN_DEVIATIONS and schema_validation_enabled can go."""
    spec = specs["Microsoft.MachineLearningServices/workspaces/environments/versions@2024-10-01"]
    body = {"properties": {"image": "ghcr.io/x/y:1", "inferenceConfig": {"scoringRoute": {"port": 80, "path": "/"}}}}
    assert errors(spec, body) == ["properties/inferenceConfig/scoringRoute/path: '/' does not match '[a-zA-Z0-9_]'"]


def test_microsofts_own_examples_validate(specs):
    index = json.loads((SPEC_DIR / "index.json").read_text())
    assert {e["type"] for e in index["examples"]} == set(specs), "every vendored schema has an example of Microsoft's"
    for example in index["examples"]:
        body = json.loads((SPEC_DIR / example["file"]).read_text())
        assert errors(specs[example["type"]], body) == [], example["file"]


def test_the_validator_rejects_what_azure_would(specs):
    """Guard the guard: a bad duration, an unknown field, a wrong enum, a read-only field."""
    deployment = specs["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments@2025-06-01"]
    bad = {
        "location": "eastus2",
        "sku": {"name": "Default", "capacity": 1},
        "properties": {
            "endpointComputeType": "Managed",
            "instanceType": "Standard_NC24ads_A100_v4",
            "livenessProbe": {"initialDelay": "10 minutes"},
            "scaleSettings": {"scaleType": "Default"},
            "minInstances": 0,
        },
    }
    problems = errors(deployment, bad)
    assert any("initialDelay" in p for p in problems)
    assert any("minInstances" in p for p in problems)
    endpoint = specs["Microsoft.MachineLearningServices/workspaces/onlineEndpoints@2025-06-01"]
    assert any("authMode" in p for p in errors(endpoint, {"location": "x", "properties": {"authMode": "Anonymous"}}))
    assert any("scoringUri" in p for p in errors(endpoint, {"location": "x", "properties": {"authMode": "Key", "scoringUri": "https://x"}}))
    secret = specs["Microsoft.KeyVault/vaults/secrets@2023-07-01"]
    assert errors(secret, {"properties": {"value": "x", "contentType": "text/plain"}}) == []
    assert errors(secret, {"location": "eastus2", "properties": {"value": "x"}}), "a secret PUT takes no location"
