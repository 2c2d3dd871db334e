"""`council review`: what a change does to every environment's synthesized Terraform.

Both sides are synthesized by their own code: the base revision in a temporary git worktree
(its own main.py, constructs and environment files), the change from the working tree, each
on the Node.js that `npm ci` pinned in this checkout. The difference is shown per stack and
per resource (by its Terraform address, which follows the stable construct ids), with every
multi-line string -- the router's config, its hooks -- as a line diff of its text, and other
values (azapi bodies included) one leaf per line as JSON.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from council.errors import CouncilError

# What a synthesized stack holds that is not the plan (construct metadata, cdktf's own notes).
_NOT_THE_PLAN = ("//",)
# A leaf one side does not have.
_MISSING = object()


def _synth(checkout: Path, outdir: Path, node_bin: Path | None) -> dict[str, dict]:
    """Every stack `checkout/main.py` synthesizes, by name."""
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir)}
    env.pop("COUNCIL_ENVIRONMENTS", None)  # every environment file, on both sides
    if node_bin is not None:  # the pinned Node.js, also for a base worktree that has no node_modules
        env["PATH"] = f"{node_bin}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run([sys.executable, str(checkout / "main.py")], cwd=checkout, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")] or result.stderr.strip().splitlines()[-3:]
        raise CouncilError(str(checkout), "(synth)", "could not synthesize it: " + " | ".join(lines))
    stacks = outdir / "stacks"
    return {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in sorted(stacks.iterdir())} if stacks.exists() else {}


def _leaves(value, path: str = "") -> dict[str, object]:
    """A JSON value as path -> leaf (dicts by key, lists by index)."""
    if isinstance(value, dict) and value:
        out: dict[str, object] = {}
        for key, item in value.items():
            if key not in _NOT_THE_PLAN:
                out.update(_leaves(item, f"{path}.{key}" if path else key))
        return out
    if isinstance(value, list) and value:
        # Items that carry unique names (environment variables, secrets) are named by them, so that
        # adding one does not show every later one as changed.
        names = [item.get("name") if isinstance(item, dict) else None for item in value]
        keyed = all(isinstance(n, str) for n in names) and len(set(names)) == len(names)
        out = {}
        for index, item in enumerate(value):
            out.update(_leaves(item, f"{path}[{names[index] if keyed else index}]"))
        return out
    return {path: value}


def _blocks(stack: dict) -> dict[str, dict]:
    """Address -> body of every resource, data source, output, variable and provider."""
    out = {}
    for section in ("resource", "data"):
        for rtype, items in (stack.get(section) or {}).items():
            for name, body in items.items():
                out[f"{'data.' if section == 'data' else ''}{rtype}.{name}"] = body
    for section in ("output", "variable", "provider", "terraform", "locals"):
        for name, body in (stack.get(section) or {}).items():
            out[f"{section}.{name}"] = body if isinstance(body, dict) else {"value": body}
    return out


def _show(value) -> str:
    return json.dumps(value, sort_keys=True)


def _leaf_diff(path: str, before, after) -> list[str]:
    if isinstance(before, str) and isinstance(after, str) and ("\n" in before or "\n" in after):
        text = difflib.unified_diff(before.splitlines(), after.splitlines(), "base", "change", n=2, lineterm="")
        return [f"    {path} (text):", *(f"      {line}" for line in list(text)[2:])]
    lines = [f"    {path}:"]
    if before is not _MISSING:
        lines.append(f"      - {_show(before)}")
    if after is not _MISSING:
        lines.append(f"      + {_show(after)}")
    return lines


def stack_changes(base: dict, change: dict) -> list[str]:
    """The readable difference between two synthesized stacks; [] when they plan the same."""
    before, after = _blocks(base), _blocks(change)
    lines = []
    for address in sorted(before.keys() | after.keys()):
        if address not in after:
            lines.append(f"  - {address} (removed)")
            continue
        if address not in before:
            lines.append(f"  + {address} (added)")
            lines += [f"    {path}: {_show(value)}" for path, value in sorted(_leaves(after[address]).items())]
            continue
        old, new = _leaves(before[address]), _leaves(after[address])
        changed = [path for path in sorted(old.keys() | new.keys()) if old.get(path, _MISSING) != new.get(path, _MISSING)]
        if changed:
            lines.append(f"  ~ {address}")
            for path in changed:
                lines += _leaf_diff(path, old.get(path, _MISSING), new.get(path, _MISSING))
    return lines


def review(root: Path, base: str) -> str:
    """Every stack of `base` (a git revision) against the working tree of `root`."""
    git = shutil.which("git")
    if git is None:
        raise CouncilError(None, None, "git is not on PATH: `council review` reads the base revision from git")
    check = subprocess.run([git, "rev-parse", "--verify", f"{base}^{{commit}}"], cwd=root, capture_output=True, text=True)
    if check.returncode != 0:
        raise CouncilError(None, "--base", f"{base!r} is not a commit of {root}; give a branch, tag or commit (e.g. origin/main)")
    node = root / "node_modules" / ".bin"
    node_bin = node if (node / "node").exists() else None
    with tempfile.TemporaryDirectory(prefix="council-review-") as tmp:
        worktree = Path(tmp) / "base"
        subprocess.run([git, "worktree", "add", "--detach", str(worktree), base], cwd=root, capture_output=True, text=True, check=True)
        try:
            before = _synth(worktree, Path(tmp) / "base.out", node_bin)
        finally:
            subprocess.run([git, "worktree", "remove", "--force", str(worktree)], cwd=root, capture_output=True, text=True)
        after = _synth(root, Path(tmp) / "change.out", node_bin)
    out = []
    for name in sorted(before.keys() | after.keys()):
        if name not in before:
            out.append(f"=== {name}: new stack ({len(_blocks(after[name]))} blocks)")
        elif name not in after:
            out.append(f"=== {name}: stack removed")
        else:
            lines = stack_changes(before[name], after[name])
            changed = sum(1 for line in lines if line[2:3] in ("~", "+", "-"))
            out.append(f"=== {name}: " + (f"{changed} blocks changed" if lines else "no change"))
            out += lines
    return "\n".join(out) + "\n"
