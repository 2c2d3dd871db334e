"""The README's defaults table is what an environment file that leaves a setting out gets.

Each row names a setting by its path in the file; the test deletes that setting from a copy of
dev.yaml (from every member for `members[]` paths), parses the file and reads the effective
value. A changed default without a changed table, or the other way round, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from unit.unit_data import raw

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Defaults: what a setting left out of the environment file means"


def _rows() -> list[tuple[str, str]]:
    text = README.read_text()
    assert SECTION in text, f"README lost its section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9_.\[\]]+)` \| ([^|]+?) \|", section, flags=re.M)
    assert len(rows) >= 30, "the table should list the defaults of every section"
    return rows


ROWS = _rows()


def _delete(data: dict, path: str) -> None:
    """Remove `path` (a.b.c, or members[].a.b) from the file's data, wherever it is set."""
    if path.startswith("members[]."):
        for member in data["members"]:
            _delete(member, path.removeprefix("members[]."))
        return
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        node = node.get(part)
        if not isinstance(node, dict):
            return
    node.pop(leaf, None)


def _effective(env, path: str) -> list:
    """Every value the parsed environment has at `path` (one per member for members[])."""
    if path.startswith("members[]."):
        return [v for member in env.members for v in _effective(member, path.removeprefix("members[]."))]
    node = env
    for part in path.split("."):
        node = getattr(node, part)
    return [node]


def _normal(value):
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("path, documented", [r for r in ROWS if not r[1].startswith("(")], ids=[r[0] for r in ROWS if not r[1].startswith("(")])
def test_the_documented_default_is_what_a_file_without_the_setting_gets(path, documented):
    from council.config import parse_environment

    data = raw("dev")
    _delete(data, path)
    env = parse_environment(data, "dev.yaml")
    expected = yaml.safe_load(documented)
    values = [_normal(v) for v in _effective(env, path)]
    assert values and all(v == expected for v in values), f"README says {path} defaults to {documented}; the model gives {values}"


def test_the_replica_default_is_the_paired_region():
    """The one default that is not a literal: the location's pair (README row, catalog/regions.yaml)."""
    from council.catalog import load_catalog, registry_replica
    from council.config import parse_environment

    (documented,) = [d for p, d in ROWS if p == "workspace.registry_replica"]
    assert "paired region" in documented
    data = raw("dev")
    data.pop("workspace", None)
    env = parse_environment(data, "dev.yaml")
    from council.catalog import CATALOG_DIR

    pairs = yaml.safe_load((CATALOG_DIR / "regions.yaml").read_text())["pairs"]
    assert env.workspace.registry_replica is None
    assert registry_replica(load_catalog(), env.location, env.workspace.registry_replica) == pairs[env.location]
