"""Reading the environment files for the unit tests (`from unit.unit_data import raw`)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
_CACHE: dict[str, dict] = {}


def raw(name: str) -> dict:
    """An environment file's data, as a fresh copy to mutate."""
    if name not in _CACHE:
        _CACHE[name] = yaml.safe_load((ROOT / "environments" / f"{name}.yaml").read_text())
    return copy.deepcopy(_CACHE[name])


def with_member(data: dict, predicate) -> int:
    """Index of `data`'s first member matching `predicate`; if it has none, the first such member of
    another shipped environment file is put in its place (same role, or appended), so a case built
    on dev can still use a kind of member only prod ships (e.g. a catalog model on an A100)."""
    for index, member in enumerate(data["members"]):
        if predicate(member):
            return index
    for path in sorted((ROOT / "environments").glob("*.yaml")):
        for member in raw(path.stem)["members"]:
            if predicate(member):
                same_role = [i for i, m in enumerate(data["members"]) if m["role"] == member["role"]]
                if same_role:
                    data["members"][same_role[0]] = member
                    return same_role[0]
                data["members"].append(member)
                return len(data["members"]) - 1
    raise AssertionError("no environment file has such a member")


def model_facts(**overrides):
    """A 7B bf16 model's catalog facts (32 layers, 8 KV heads of 128), changed by `overrides`."""
    from council.catalog import ModelFacts

    facts = dict(key="m", params_b=7.0, dtype="bf16", context=8192, layers=32, kv_heads=8, head_dim=128,
                 catalog_asset=None, catalog_status="absent", catalog_retired=None, allowed_skus=None, hf_id=None, hf_gated=False)
    return ModelFacts(**{**facts, **overrides})


def is_container(member: dict) -> bool:
    """A member (file data) served from a container rather than the Azure ML catalog."""
    return member["model"]["source"] == "container"


def member_at(data: dict, index: int) -> str:
    """How a message names a member: `members[<i>] (<role>)`."""
    return f"members[{index}] ({data['members'][index]['role']})"
