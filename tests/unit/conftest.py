"""Fast unit tests of the pure modules: no synth, no Node, no network; seconds in all.

They run in the main suite and under mutation testing (tools/mutation.py), which stages
the package as src/council beside tests/unit, environments/ and litellm/: so this folder
reads its data relative to itself, never through tests/conftest.py.

Expected values are worked out in the tests from documented facts (each cited where it is
used), not by calling the code's own helpers.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def raw(name: str) -> dict:
    """An environment file's data, as a fresh copy to mutate."""
    return copy.deepcopy(_raw(name))


_CACHE: dict[str, dict] = {}


def _raw(name: str) -> dict:
    if name not in _CACHE:
        _CACHE[name] = yaml.safe_load((ROOT / "environments" / f"{name}.yaml").read_text())
    return _CACHE[name]


@pytest.fixture
def dev() -> dict:
    return raw("dev")


@pytest.fixture
def prod() -> dict:
    return raw("prod")
