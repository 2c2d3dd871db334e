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
