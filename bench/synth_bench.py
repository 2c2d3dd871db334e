"""Synth benchmark: how much the project adds on top of the cdktf floor.

Runs, alternating, N times each (standard library only):
  (a) floor  - a one-stack app importing exactly the cdktf/azurerm/random modules the
               project imports, synthesizing a stack that holds only the providers;
  (b) shipped - `python main.py` for every environments/*.yaml;
  (c) fifty  - `python main.py` on a generated 50-member environment;
and prints median wall time and peak RSS (the whole process tree: Python and the
jsii Node process, sampled from /proc) plus the ratios b/a and c/b taken pair by
pair. With --suite it also times the full pytest suite once.

    python bench/synth_bench.py [-n 5] [--suite]
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "constructs" / "council"
PAGE = os.sysconf("SC_PAGE_SIZE")


def provider_imports() -> list[str]:
    """Every `from cdktf_cdktf_provider_* import ...` in the project's sources, merged per module."""
    modules: dict[str, set[str]] = {}
    for path in SOURCES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cdktf_cdktf_provider_"):
                modules.setdefault(node.module, set()).update(alias.name for alias in node.names)
    return [f"from {module} import {', '.join(sorted(names))}" for module, names in sorted(modules.items())]


FLOOR_APP = '''
import sys
from cdktf import App, TerraformStack
{imports}
from cdktf_cdktf_provider_azurerm.provider import AzurermProvider
from cdktf_cdktf_provider_random.provider import RandomProvider
app = App(outdir=sys.argv[1])
stack = TerraformStack(app, "floor")
AzurermProvider(stack, "azurerm", features=[{{}}])
RandomProvider(stack, "random")
app.synth()
'''


def fifty_member_environment(target: Path) -> Path:
    base = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    env = copy.deepcopy(base)
    env["members"] = []
    for index in range(50):
        member = copy.deepcopy(base["members"][index % len(base["members"])])
        member["role"] = f"m{index:02d}"
        member["alias"] = f"m{index:02d}-{member['alias'].split('-', 1)[1]}"
        env["members"].append(member)
    env["router"]["fallbacks"] = [{"role": "m01", "to": ["m04"]}]
    env["budget"]["amount_usd"] = 10_000_000
    path = target / "fifty.yaml"
    path.write_text(yaml.safe_dump(env, sort_keys=False))
    return path


def _tree_rss(root_pid: int) -> int:
    """Resident bytes of root_pid and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            statm = Path(f"/proc/{entry}/statm").read_text().split()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = int(statm[1]) * PAGE
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(command: list[str], env: dict) -> tuple[float, int]:
    """(wall seconds, peak tree RSS bytes) of one run."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr.decode()[-2000:]}")
    return wall, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5, help="runs of each case (default 5)")
    parser.add_argument("--suite", action="store_true", help="also time the full pytest suite once")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="council-bench-"))
    floor_app = work / "floor_app.py"
    floor_app.write_text(FLOOR_APP.format(imports="\n".join(provider_imports())))
    fifty = fifty_member_environment(work)
    # Every case runs on the Node.js pinned in package.json (node_modules/.bin, from `npm ci`), as main.py does.
    base_env = {**os.environ, "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    base_env.pop("COUNCIL_ENVIRONMENTS", None)
    cases = {
        "a": ([sys.executable, str(floor_app), str(work / "a.out")], base_env),
        "b": ([sys.executable, "main.py"], {**base_env, "CDKTF_OUTDIR": str(work / "b.out")}),
        "c": ([sys.executable, "main.py"], {**base_env, "CDKTF_OUTDIR": str(work / "c.out"), "COUNCIL_ENVIRONMENTS": str(fifty)}),
    }
    results: dict[str, list[tuple[float, int]]] = {k: [] for k in cases}
    for _ in range(args.n):  # alternate a, b, c so drift on a shared machine hits all three alike
        for key, (command, env) in cases.items():
            results[key].append(measure(command, env))

    labels = {"a": "floor (providers only)", "b": "main.py, shipped envs", "c": "main.py, 50 members"}
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}; n={args.n}")
    print(f"{'case':<26}{'median wall s':>14}{'median peak RSS MB':>20}")
    for key, runs in results.items():
        print(f"{labels[key]:<26}{statistics.median(w for w, _ in runs):>14.2f}{statistics.median(r for _, r in runs) / 2**20:>20.0f}")

    def ratio(top: str, bottom: str, index: int) -> float:
        return statistics.median(results[top][i][index] / results[bottom][i][index] for i in range(args.n))

    print(f"b/a wall {ratio('b', 'a', 0):.2f} (goal <= 1.15)   b/a peak RSS {ratio('b', 'a', 1):.2f} (goal <= 1.10)")
    print(f"c/b wall {ratio('c', 'b', 0):.2f} (goal <= 1.30)   c/b peak RSS {ratio('c', 'b', 1):.2f}")
    resources = sum(len(v) for v in json.loads((work / "c.out" / "stacks" / "fifty" / "cdk.tf.json").read_text())["resource"].values())
    print(f"(c) synthesizes {resources} resources")
    if args.suite:
        started = time.perf_counter()
        suite = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT, env=base_env, capture_output=True, text=True)
        tail = suite.stdout.strip().splitlines()[-1] if suite.stdout.strip() else suite.stderr[-500:]
        print(f"test suite: {time.perf_counter() - started:.1f} s wall ({tail})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
