"""Every online endpoint and deployment body validates against Microsoft's REST spec
schema for the api-version it declares (../shared/data/azure-ml-rest-spec)."""

from __future__ import annotations

import copy
import json

import pytest
from jsonschema import validators

from conftest import SPEC_DIR
from tf import members_of

KINDS = {
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints": "onlineEndpoints",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments": "deployments",
}


@pytest.fixture(scope="module")
def spec():
    return json.loads((SPEC_DIR / "aml-online-schema.json").read_text())


def request_body(resource: dict) -> dict:
    """What azapi PUTs: the body plus the top-level location and identity arguments."""
    body = copy.deepcopy(resource["body"])
    if "location" in resource:
        body["location"] = resource["location"]
    if "identity" in resource:
        (identity,) = resource["identity"]
        body["identity"] = {"type": identity["type"]}
    return body


def errors(spec: dict, azapi_type: str, body: dict) -> list[str]:
    rtype, version = azapi_type.split("@")
    assert version in spec["versions"], f"no schema for api-version {version}: pick one the spec covers"
    schema = spec["versions"][version][KINDS[rtype]]
    validator = validators.validator_for(schema)(schema)
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
    # Read-only properties are accepted by the schema but must never be sent.
    for pointer in spec["versions"][version]["readOnly"][KINDS[rtype]]:
        node = body
        for part in pointer.strip("/").split("/"):
            node = node.get(part) if isinstance(node, dict) and part != "*" else None
        if node is not None:
            problems.append(f"{pointer}: read-only property sent")
    return problems


@pytest.mark.parametrize("name", ["dev", "prod", "lz", "open"])
def test_endpoint_and_deployment_bodies_follow_the_rest_spec(stacks, spec, name):
    stack = stacks[name]
    checked = 0
    for leaf in ("endpoint", "deployment"):
        for role, resource in members_of(stack, "azapi_resource", leaf).items():
            assert errors(spec, resource["type"], request_body(resource)) == [], f"{name}/{role}/{leaf}"
            checked += 1
    assert checked == 10


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_endpoint_with_traffic_patch_still_follows_the_spec(stacks, spec, name):
    """azapi_update_resource merges the traffic patch into the endpoint: the result must validate."""
    stack = stacks[name]
    endpoints = members_of(stack, "azapi_resource", "endpoint")
    for role, patch in members_of(stack, "azapi_update_resource", "traffic").items():
        merged = request_body(endpoints[role])
        merged["properties"].update(patch["body"]["properties"])
        assert errors(spec, patch["type"], merged) == [], role


def test_the_validator_rejects_what_azure_would(spec):
    """Guard the guard: an egress setting in the wrong place or a bad duration is caught."""
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
    problems = errors(spec, "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments@2025-06-01", bad)
    assert any("initialDelay" in p for p in problems)
    assert any("minInstances" in p for p in problems)
