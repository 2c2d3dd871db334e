"""Add a sixth member to every environment file of a scratch checkout and run the suite there.

The tests derive their expectations from the environment files, so a valid new member
(here a second Llama-3-8B catalog member, `scout`, with the budget raised to cover it)
must need no code change. Usage, from the repository root with the venv active:

    python tools/sixth_member_trial.py            # prints pytest's summary and exits with its code

The scratch checkout is a detached `git worktree` of HEAD (commit first), removed at the end.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

SIXTH = {
    "role": "scout",
    "alias": "scout-llama-3-8b",
    "display_name": "Llama-3-8B-Instruct (scout)",
    "description": "Researcher; gathers facts for the other members.",
    "model": {"source": "catalog", "asset_id": "azureml://registries/azureml-meta/models/Meta-Llama-3-8B-Instruct/versions/9"},
    "sku": "Standard_NC24ads_A100_v4",
    "sku_reason": "8B in bf16 is ~16 GB of weights; A100 is on the catalog's list",
    "instances": {"min": 1, "default": 1, "max": 2},
}


def add_member(path: Path, stack: str) -> None:
    sys.path.insert(0, str(path.parents[1] / "constructs"))
    from council.config import parse_environment
    from council.cost import minimum_monthly_cost

    data = yaml.safe_load(path.read_text())
    data["members"].append(SIXTH)
    floor = minimum_monthly_cost(parse_environment(data, str(path)), stack)
    data["budget"]["amount_usd"] = max(data["budget"]["amount_usd"], math.ceil(floor * 1.2))
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="Takes a few minutes: it runs the whole suite.")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --), e.g. -- -k router")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="council-sixth-") as scratch:
        tree = Path(scratch) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), "HEAD"], cwd=ROOT, check=True, capture_output=True)
        try:
            if (ROOT / "node_modules").is_dir():
                (tree / "node_modules").symlink_to(ROOT / "node_modules")
            for path in sorted((tree / "environments").glob("*.yaml")):
                add_member(path, path.stem)
                members = [m["role"] for m in yaml.safe_load(path.read_text())["members"]]
                print(f"{path.name}: {len(members)} members ({', '.join(members)})", flush=True)
            env = {k: v for k, v in os.environ.items() if k not in ("COUNCIL_ENVIRONMENTS", "CDKTF_OUTDIR")}
            # The worktree's tests import its own code first (conftest puts constructs/ on the path via main.py's rule).
            env["PYTHONPATH"] = str(tree / "constructs")
            result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args.pytest_args], cwd=tree, env=env)
            return result.returncode
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
