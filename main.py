"""cdktf entry point: one stack per environments/*.yaml (stack id = file stem).

`COUNCIL_ENVIRONMENTS=dev` (comma-separated names or paths) limits which stacks
are built. A mistake in an environment file stops synth with one line per problem
and exit code 2 -- before the cdktf runtime is even loaded.
"""

import os
import sys
from pathlib import Path

from council.environments import discover, load_all
from council.errors import CouncilError, report


def main() -> int:
    root = Path(__file__).resolve().parent
    try:
        environments = load_all(discover(root, os.environ.get("COUNCIL_ENVIRONMENTS")))
        from council.checks import notices

        for _, path, env in environments:
            for line in notices(env, os.path.relpath(path)):
                print(f"warning: {line}", file=sys.stderr)
        # Imported only now: loading the cdktf/azurerm runtime takes seconds.
        from council.synth import build_app, synth

        synth(build_app(environments), environments)
    except CouncilError as error:
        return report(error, sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
