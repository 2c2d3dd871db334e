"""Shared fixtures: every stack the tests read is synthesized once, in one jsii process.

`stacks` holds the shipped dev and prod stacks plus variants built from dev with
one setting changed (existing network, Terraform Cloud backend, no gated model),
all synthesized by a single `App.synth()` for the whole session.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# The jsii runtime of every synth in the tests runs on the Node.js pinned in package.json
# (22 LTS, from `npm ci`), as `npm run synth` and main.py do.
if (ROOT / "node_modules" / ".bin" / "node").exists():
    os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"
ENV_DIR = ROOT / "environments"

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-landing-zone/providers/Microsoft.Network"
EXISTING_NETWORK = {
    "mode": "existing",
    "apps_subnet_id": f"{SUB}/virtualNetworks/vnet-hub/subnets/snet-apps",
    "private_endpoints_subnet_id": f"{SUB}/virtualNetworks/vnet-hub/subnets/snet-pe",
    "private_dns_zone_ids": {
        "api_azureml_ms": f"{SUB}/privateDnsZones/privatelink.api.azureml.ms",
        "notebooks_azure_net": f"{SUB}/privateDnsZones/privatelink.notebooks.azure.net",
        "vaultcore_azure_net": f"{SUB}/privateDnsZones/privatelink.vaultcore.azure.net",
        "redis_azure_net": f"{SUB}/privateDnsZones/privatelink.redis.azure.net",
        "blob_core_windows_net": f"{SUB}/privateDnsZones/privatelink.blob.core.windows.net",
        "file_core_windows_net": f"{SUB}/privateDnsZones/privatelink.file.core.windows.net",
    },
}


def raw_environment(name: str) -> dict:
    return yaml.safe_load((ENV_DIR / f"{name}.yaml").read_text())


def _variants() -> dict[str, dict]:
    dev = raw_environment("dev")
    existing = copy.deepcopy(dev)
    existing["network"] = EXISTING_NETWORK
    cloud = copy.deepcopy(dev)
    cloud["backend"] = {"type": "cloud", "organization": "contoso", "workspace": "ai-council-dev"}
    ungated = copy.deepcopy(dev)
    for member in ungated["members"]:
        member["model"].pop("hf_token_required", None)
    # Operators on a VPN pool and a peered hub VNet (README "Where each procedure runs from").
    ops = copy.deepcopy(dev)
    ops["network"].update(operator_cidrs=["10.60.0.0/24", "172.20.8.0/22"],
                          operator_vnet_ids=["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub"])
    return {"lz": existing, "tfc": cloud, "open": ungated, "ops": ops, "devkey1": one_key_rotated(dev), "devsku": sku_changed(dev), "devfew": member_removed(dev), "devkeys": keys_rotated(dev), "basicfw": _with(dev, workspace={"firewall_sku": "Basic"}),
            **rollout_steps(dev)}


# README "Roll out a change": the edits, in order, for the first member of a file. The staged
# change is a bigger SKU of the same GPU (more vCPUs), so it fits wherever the member does and
# streams no faster (the router's sizing is unchanged).
ROLLOUT_SKU = {"Standard_NC4as_T4_v3": "Standard_NC8as_T4_v3", "Standard_NV36ads_A10_v5": "Standard_NV72ads_A10_v5",
               "Standard_NC24ads_A100_v4": "Standard_NC48ads_A100_v4"}
ROLLOUT_STEPS = ("devrs", "devrm", "devrp", "devrc")


def rollout_steps(data: dict) -> dict[str, dict]:
    """`data` at each step of a rollout of its first member: staged at 10%, mirrored at 10%,
    promoted (100%), cleaned up (the change is the member's own settings, in the green slot)."""
    def step(**rollout) -> dict:
        out = copy.deepcopy(data)
        member = out["members"][0]
        member["rollout"] = {"sku": ROLLOUT_SKU[member["sku"]], **rollout}
        return out

    cleaned = copy.deepcopy(data)
    member = cleaned["members"][0]
    member.update(sku=ROLLOUT_SKU[member["sku"]], slot="green")
    return {"devrs": step(traffic_percent=10), "devrm": step(mirror_percent=10), "devrp": step(traffic_percent=100),
            "devrc": cleaned}


def _with(data: dict, **sections) -> dict:
    out = copy.deepcopy(data)
    out.update(copy.deepcopy(sections))
    return out


def keys_rotated(data: dict) -> dict:
    """`data` one rotation later (README "Rotate keys"): the other endpoint key, a new master key."""
    out = copy.deepcopy(data)
    keys = out.setdefault("keys", {})
    keys["member_key"] = "secondary" if keys.get("member_key", "primary") == "primary" else "primary"
    keys["master_key_version"] = keys.get("master_key_version", 1) + 1
    return out


def one_key_rotated(data: dict) -> dict:
    """`data` with only its first member switched to its other key slot (a leaked key)."""
    out = copy.deepcopy(data)
    member = out["members"][0]
    current = member.get("member_key") or out.get("keys", {}).get("member_key", "primary")
    member["member_key"] = "secondary" if current == "primary" else "primary"
    return out


# A SKU every shipped model fits and every catalog allow list names (1x A100 80 GB).
ROOMY_SKU = "Standard_NC24ads_A100_v4"


def as_dev(stack: dict, variant: str) -> dict:
    """A variant of dev (stack id `devsku`, `devfew`) as if it were deployed as `dev`: the
    stack id, which names resources and tags them, is the only other difference."""
    return json.loads(json.dumps(stack).replace(variant, "dev"))


def sku_changed(data: dict) -> dict:
    """`data` with its first member not already on ROOMY_SKU moved to it (a SKU change)."""
    out = copy.deepcopy(data)
    member = next(m for m in out["members"] if m["sku"] != ROOMY_SKU)
    member["sku"] = ROOMY_SKU
    return out


def changed_role(before: dict, after: dict) -> str:
    (role,) = [b["role"] for b, a in zip(before["members"], after["members"]) if b["sku"] != a["sku"]]
    return role


def member_removed(data: dict) -> dict:
    """`data` without its last member, and without the fallbacks that named it."""
    out = copy.deepcopy(data)
    gone = out["members"].pop()["role"]
    fallbacks = out.get("router", {}).get("fallbacks", [])
    kept = []
    for fallback in fallbacks:
        to = [role for role in fallback["to"] if role != gone]
        if fallback["role"] != gone and to:
            kept.append({**fallback, "to": to})
    if fallbacks:
        out["router"]["fallbacks"] = kept
    return out


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    from council.config import load_environment, parse_environment
    from council.synth import build_app

    outdir = tmp_path_factory.mktemp("cdktf.out")
    environments = [(name, ENV_DIR / f"{name}.yaml", load_environment(ENV_DIR / f"{name}.yaml")) for name in ("dev", "prod")]
    for name, data in _variants().items():
        environments.append((name, Path(f"{name}.yaml"), parse_environment(data, f"{name}.yaml")))
    build_app(environments, outdir=str(outdir)).synth()
    return outdir


@pytest.fixture(scope="session")
def stacks(synth_dir) -> dict[str, dict]:
    return {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in (synth_dir / "stacks").iterdir()}


@pytest.fixture(scope="session")
def raw_stacks(synth_dir) -> dict[str, str]:
    return {p.name: (p / "cdk.tf.json").read_text() for p in (synth_dir / "stacks").iterdir()}


@pytest.fixture(scope="session")
def environments() -> dict:
    from council.config import load_environment

    return {name: load_environment(ENV_DIR / f"{name}.yaml") for name in ("dev", "prod")}
