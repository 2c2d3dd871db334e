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
with the tests, environments/, litellm/ and README.md beside it as in the repository. The staged
pyproject.toml sets what mutmut mutates and which tests it runs (no xdist: mutmut runs tests
itself). Survivors judged harmless are listed in README.md ("Mutation testing") with the reason; the script prints
every survivor so that list can be checked.

Not a CI step: a full run takes minutes (see README "Mutation testing" for the last figures).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "constructs" / "council"
# The pure modules whose mistakes the fast unit tests must catch (issue 15).
MODULES = ("checks", "sizing", "catalog", "naming", "cost", "config", "policy", "aspects", "secret_shapes", "router_config")
DEFAULT_TESTS = ("tests/unit",)
KILLED = {1, 3}


def stage(workdir: Path, modules: list[str], tests: list[str]) -> None:
    if workdir.exists():
        shutil.rmtree(workdir)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PACKAGE, workdir / "src" / "council", ignore=ignore)
    for folder in ("environments", "litellm"):
        shutil.copytree(ROOT / folder, workdir / folder, ignore=ignore)
    shutil.copy2(ROOT / "README.md", workdir / "README.md")  # its defaults table is tested
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
        'also_copy = ["environments", "litellm", "README.md"]\n'
        "\n[tool.pytest.ini_options]\n"
        'addopts = "-p no:cacheprovider"\n'
    )


# mutmut 3 mutates function bodies only. The limits that decide the guardrails are mostly
# module- and class-level constants (GPU headroom, runtime overhead, retries, time budgets,
# naming rules' lengths), so --constants plants those mutations itself: every int/float
# literal assigned at module or class level moves by one (int) or one percent (float), and
# every {m,n} length inside a string literal assigned at module level (the naming rules)
# moves by one. Each mutant is run against the same tests.
QUANTIFIER = re.compile(r"\{(\d+)(,(\d+))?\}")


def constant_mutants(source: str) -> list[tuple[str, str]]:
    """(label, mutated source) for each planted constant change."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    found: list[tuple[str, str]] = []

    def replace(node: ast.AST, text: str) -> str:
        start = offsets[node.lineno - 1] + node.col_offset
        end = offsets[node.end_lineno - 1] + node.end_col_offset
        return source[:start] + text + source[end:]

    def assigned(body):
        for node in body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                yield node
            elif isinstance(node, ast.ClassDef):
                yield from assigned(node.body)

    for node in assigned(tree.body):
        for const in ast.walk(node.value):
            if not isinstance(const, ast.Constant) or isinstance(const.value, bool):
                continue
            where = f"line {const.lineno}"
            if isinstance(const.value, int):
                for new in (const.value + 1, const.value - 1):
                    found.append((f"{where}: {const.value} -> {new}", replace(const, repr(new))))
            elif isinstance(const.value, float):
                for new in (const.value * 1.01, const.value * 0.99):
                    found.append((f"{where}: {const.value} -> {new:.6g}", replace(const, repr(new))))
            elif isinstance(const.value, str) and const.lineno == const.end_lineno:
                text = source[offsets[const.lineno - 1] + const.col_offset:offsets[const.end_lineno - 1] + const.end_col_offset]
                for match in QUANTIFIER.finditer(text):
                    for group in (1, 3):
                        if match.group(group) is None:
                            continue
                        value = int(match.group(group))
                        for new in (value + 1, value - 1):
                            if new < 0:
                                continue
                            mutated = text[:match.start(group)] + str(new) + text[match.end(group):]
                            changed = QUANTIFIER.match(mutated, match.start()).group(0)
                            found.append((f"{where}: {match.group(0)} -> {changed}", replace(const, mutated)))
    return found


def run_constants(workdir: Path, modules: list[str], tests: list[str]) -> tuple[int, list[str]]:
    """Plant each constant mutant in the staged copy and run the tests; (mutants, not killed)."""
    # No bytecode: a +1 keeps a file's size, and a .pyc of the same size and second would be reused.
    env = {**os.environ, "PYTHONPATH": str(workdir / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    shutil.rmtree(workdir / "src" / "council" / "__pycache__", ignore_errors=True)
    total, survivors = 0, []
    for module in modules:
        path = workdir / "src" / "council" / f"{module}.py"
        original = path.read_text()
        for label, mutated in constant_mutants(original):
            total += 1
            path.write_text(mutated)
            try:
                run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *tests],
                                     cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
                killed = run.returncode != 0
            except subprocess.TimeoutExpired:
                killed = True
            finally:
                path.write_text(original)
            if not killed:
                survivors.append(f"council.{module} {label}")
    return total, survivors


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
    parser.add_argument("--constants", action="store_true", help="also plant changes of module- and class-level constants")
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
    constants: dict = {}
    if args.constants:
        started = time.monotonic()
        count, survivors = run_constants(args.workdir, args.modules, args.tests)
        constants = {"mutants": count, "killed": count - len(survivors), "not_killed": survivors,
                     "seconds": round(time.monotonic() - started)}
        print(f"constants: {count} planted, {count - len(survivors)} killed "
              f"({(count - len(survivors)) / count if count else 1:.1%}, {constants['seconds']} s)")
        for survivor in survivors:
            print(f"constant not killed: {survivor}")
    if args.json:
        args.json.write_text(json.dumps({"seconds": round(elapsed), "tests": args.tests, "modules": report, "constants": constants},
                                        indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
