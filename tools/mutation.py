#!/usr/bin/env python3
"""Mutation testing of the pure modules with mutmut (pinned in the `mutation` extra).

    .venv/bin/pip install -e '.[mutation]'
    .venv/bin/python tools/mutation.py                      # every module in MODULES
    .venv/bin/python tools/mutation.py sizing naming        # some of them
    .venv/bin/python tools/mutation.py --tests tests/unit tests/test_quota.py   # which tests kill

mutmut plants one small change at a time in a copy of the code (a constant, a comparison, a
condition, a string...) and runs the tests that reach the changed function; a mutant the tests
do not notice "survives". The score is killed / (killed + survived + no tests + timeout + ...).

mutmut only imports code from ./, src/ or source/, so the package is staged in a scratch
directory (default build/mutation/, git-ignored): src/council is a copy of constructs/council,
with the tests, environments/ and litellm/ beside it as in the repository. The staged
pyproject.toml sets what mutmut mutates and which tests it runs (no xdist: mutmut runs tests
itself). Survivors judged harmless are listed in README.md ("Mutation testing") with the reason; the script prints
every survivor so that list can be checked.

Not a CI step: a full run takes minutes (see README "Mutation testing" for the last figures).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "constructs" / "council"
# The pure modules whose mistakes the fast unit tests must catch (issue 15).
MODULES = ("checks", "sizing", "catalog", "naming", "cost", "config", "policy", "aspects", "router_config")
DEFAULT_TESTS = ("tests/unit",)
KILLED = {1, 3}


def stage(workdir: Path, modules: list[str], tests: list[str]) -> None:
    if workdir.exists():
        shutil.rmtree(workdir)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PACKAGE, workdir / "src" / "council", ignore=ignore)
    for folder in ("environments", "litellm"):
        shutil.copytree(ROOT / folder, workdir / folder, ignore=ignore)
    for test in tests:
        source = ROOT / test
        target = workdir / test
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copy2(source, target)
    if (ROOT / "tests" / "conftest.py").exists() and any(not t.startswith("tests/unit") for t in tests):
        shutil.copy2(ROOT / "tests" / "conftest.py", workdir / "tests" / "conftest.py")
    only = ", ".join(f'"src/council/{m}.py"' for m in modules)
    selection = ", ".join(f'"{t}"' for t in tests)
    (workdir / "pyproject.toml").write_text(
        "[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f"only_mutate = [{only}]\n"
        f"pytest_add_cli_args_test_selection = [{selection}]\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly", "-q"]\n'
        'also_copy = ["environments", "litellm"]\n'
        "\n[tool.pytest.ini_options]\n"
        'addopts = "-p no:cacheprovider"\n'
    )


def results(workdir: Path, modules: list[str]) -> dict[str, dict[str, int | None]]:
    out: dict[str, dict[str, int | None]] = {}
    for module in modules:
        meta = workdir / "mutants" / "src" / "council" / f"{module}.py.meta"
        out[module] = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES), help=f"modules of council (default: {' '.join(MODULES)})")
    parser.add_argument("--tests", nargs="+", default=list(DEFAULT_TESTS), help="test files or folders, relative to the repo")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "mutation")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the per-module counts and survivors here")
    args = parser.parse_args()
    unknown = sorted(set(args.modules) - {p.stem for p in PACKAGE.glob("*.py")})
    if unknown:
        print(f"error: no module council.{unknown[0]}; choose from {' '.join(MODULES)}", file=sys.stderr)
        return 2
    stage(args.workdir, args.modules, args.tests)
    started = time.monotonic()
    mutmut = Path(sys.executable).with_name("mutmut")
    run = subprocess.run([str(mutmut), "run", "--max-children", str(args.max_children)], cwd=args.workdir,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        print(run.stdout[-4000:])
        print(f"error: mutmut run failed (exit {run.returncode}); see above", file=sys.stderr)
        return 1
    from mutmut.stats import status_by_exit_code

    found = results(args.workdir, args.modules)
    report: dict[str, dict] = {}
    total = Counter()
    print(f"{'module':<15}{'mutants':>8}{'killed':>8}{'survived':>10}{'other':>7}{'score':>8}")
    for module, codes in found.items():
        counts = Counter(status_by_exit_code[c] for c in codes.values())
        killed = sum(1 for c in codes.values() if c in KILLED)
        survived = sorted(k for k, c in codes.items() if c not in KILLED)
        total.update(mutants=len(codes), killed=killed)
        score = killed / len(codes) if codes else 1.0
        report[module] = {"mutants": len(codes), "killed": killed, "statuses": dict(counts), "not_killed": survived, "score": score}
        print(f"{module:<15}{len(codes):>8}{killed:>8}{counts['survived']:>10}{len(codes) - killed - counts['survived']:>7}{score:>8.1%}")
    score = total["killed"] / total["mutants"] if total["mutants"] else 1.0
    print(f"{'all':<15}{total['mutants']:>8}{total['killed']:>8}{'':>10}{'':>7}{score:>8.1%}   ({elapsed:.0f} s, tests: {' '.join(args.tests)})")
    for module, data in report.items():
        for name in data["not_killed"]:
            print(f"not killed: {name} ({status_by_exit_code[found[module][name]]})")
    print(f"see one: cd {args.workdir} && {mutmut} show <name>")
    if args.json:
        args.json.write_text(json.dumps({"seconds": round(elapsed), "tests": args.tests, "modules": report}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
