"""The folders named like libraries never shadow them: `constructs/` and `litellm/`
hold our sources and templates but are not importable as `constructs` / `litellm`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from conftest import ROOT


def test_constructs_and_litellm_imports_resolve_to_the_real_libraries():
    # Run from the repository root, where the folders sit on sys.path[0].
    probe = (
        "import importlib.util, constructs, json;"
        "spec = importlib.util.find_spec('litellm');"
        "print(json.dumps([constructs.__file__, spec.origin if spec else None]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    import json

    constructs_file, litellm_origin = json.loads(out)
    assert constructs_file and "site-packages" in constructs_file
    assert litellm_origin is None or "site-packages" in litellm_origin
    assert not (ROOT / "constructs" / "__init__.py").exists()
    assert not (ROOT / "litellm" / "__init__.py").exists()
    assert importlib.util.find_spec("council").origin.startswith(str(ROOT / "constructs" / "council"))


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = next(line for line in ci.splitlines() if line.startswith("python3 -m venv") and "pytest" in line)
    assert test_command in readme


def test_the_sixth_member_trial_explains_itself_without_running_the_suite():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "tools/sixth_member_trial.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("usage: ") and "whole suite" in result.stdout
