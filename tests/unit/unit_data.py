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
