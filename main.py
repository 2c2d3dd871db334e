"""cdktf entry point: one stack per environments/*.yaml (stack id = file stem).

`COUNCIL_ENVIRONMENTS=dev` (comma-separated) limits which stacks are built.
A mistake in an environment file stops synth with one line per problem and exit 2.
"""

import os
import sys
from pathlib import Path

from cdktf import App

from council.environments import discover, load_all
from council.errors import CouncilError, report
from council.stack import CouncilStack


def main() -> int:
    root = Path(__file__).resolve().parent
    try:
        environments = load_all(discover(root, os.environ.get("COUNCIL_ENVIRONMENTS")))
        app = App()
        for name, path, env in environments:
            try:
                CouncilStack(app, name, env=env)
            except CouncilError as error:
                raise CouncilError(os.path.relpath(path, Path.cwd()), None, error.line()) from None
        app.synth()
    except CouncilError as error:
        return report(error, sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
