"""The real cdktf CLI (npm cdktf-cli@0.21.0 from package.json) synthesizes the same
stacks as `python main.py`: `cdktf synth` / `cdktf deploy dev` see what we test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

CDKTF = ROOT / "node_modules" / ".bin" / "cdktf"


def _stacks(outdir: Path) -> dict[str, dict]:
    return {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in sorted((outdir / "stacks").iterdir())}


@pytest.mark.skipif(not CDKTF.exists() and not os.environ.get("CI"), reason="run `npm ci` to install the cdktf CLI")
def test_cdktf_synth_matches_python_main(tmp_path):
    assert CDKTF.exists(), "CI must install the cdktf CLI (npm ci)"
    env = {
        **os.environ,
        "CHECKPOINT_DISABLE": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        # cdktf.json runs `python main.py`: make `python` the interpreter running these tests.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    env.pop("COUNCIL_ENVIRONMENTS", None)
    work = tmp_path / "project"
    shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns("cdktf.out", ".git", "node_modules", ".venv*", "*.tfstate", "__pycache__", ".pytest_cache"))
    (work / "node_modules").symlink_to(ROOT / "node_modules")

    cli = subprocess.run([str(CDKTF), "synth", "--output", "cli.out"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stdout[-2000:] + cli.stderr[-2000:]
    py = subprocess.run([sys.executable, "main.py"], cwd=work, env={**env, "CDKTF_OUTDIR": str(work / "py.out")}, capture_output=True, text=True, timeout=300)
    assert py.returncode == 0, py.stderr[-2000:]

    from_cli, from_python = _stacks(work / "cli.out"), _stacks(work / "py.out")
    assert set(from_cli) == {"dev", "prod"}
    assert from_cli == from_python
