"""cdktf entry point: one stack per environments/*.yaml (stack id = file stem).

`COUNCIL_ENVIRONMENTS=dev` (comma-separated names or paths) limits which stacks
are built. A mistake in an environment file stops synth with one line per problem
and exit code 2 -- before the cdktf runtime is even loaded. `main.py --check` stops
there: the files are checked (warnings shown) and nothing is synthesized.

This file synthesizes the code of the checkout it lives in (its own `constructs/`
comes first on the import path, ahead of any installed `council`), into this
checkout's `cdktf.out` unless the cdktf CLI names another (CDKTF_OUTDIR), from
whatever directory it is run.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "constructs"))
# The jsii runtime starts `node` from PATH: use the Node.js pinned in package.json (22 LTS,
# installed by `npm ci`) when it is there, as `npm run synth` does.
if (ROOT / "node_modules" / ".bin" / "node").exists():
    os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"

from council.errors import CouncilError, report  # noqa: E402  (standard library only)


def _not_installed(missing: ModuleNotFoundError) -> CouncilError:
    return CouncilError(
        sys.executable, None, f"cannot import {missing.name!r}: the project is not installed in this Python; "
        "activate its venv (. .venv/bin/activate) or run `pip install -e .`"
    )


def main() -> int:
    try:
        try:
            from council.checks import notices
            from council.environments import discover, load_all
        except ModuleNotFoundError as missing:
            raise _not_installed(missing) from None
        environments = load_all(discover(ROOT, os.environ.get("COUNCIL_ENVIRONMENTS")))

        # tools/cdktf.sh checks the files first (`main.py --check`) and then says so: the cdktf
        # CLI would show every line of this app's stderr again, tagged [ERROR].
        if os.environ.get("COUNCIL_CHECKED") != "1":
            for _, path, env in environments:
                for line in notices(env, os.path.relpath(path)):
                    print(f"warning: {line}", file=sys.stderr)
        if "--check" in sys.argv[1:]:
            return 0
        # Imported only now: loading the cdktf/azurerm runtime takes seconds.
        try:
            from council.synth import build_app, synth
        except ModuleNotFoundError as missing:
            raise _not_installed(missing) from None

        outdir = Path(os.environ.get("CDKTF_OUTDIR") or ROOT / "cdktf.out")
        synth(build_app(environments, outdir=str(outdir)), environments)
    except CouncilError as error:
        return report(error, sys.stderr)
    for name, _, env in environments:
        if getattr(env.backend, "type", None) == "local":
            # Terraform runs in the stack's folder, so a local state lands there: announce it.
            state = os.path.relpath(outdir / "stacks" / name / f"terraform.{name}.tfstate")
            print(f"{name}: Terraform state is the local file {state}; it holds every key, and deleting cdktf.out deletes it")
    written = ", ".join(os.path.relpath(outdir / "stacks" / name / "cdk.tf.json") for name, _, _ in environments)
    print(f"wrote {written}")  # stdout: the cdktf CLI shows an app's stderr as [ERROR] lines
    return 0


if __name__ == "__main__":
    sys.exit(main())
