"""Build one cdktf App holding a stack per environment (one jsii process for all)."""

from __future__ import annotations

import os
from pathlib import Path

from cdktf import App

from council.config import Environment
from council.errors import CouncilError
from council.stack import CouncilStack


def build_app(environments: list[tuple[str, Path, Environment]], *, outdir: str | None = None) -> App:
    """Compose the stacks; a construct's validation error names the environment file."""
    app = App(outdir=outdir) if outdir else App()
    for name, path, env in environments:
        try:
            CouncilStack(app, name, env=env)
        except CouncilError as error:
            raise CouncilError(os.path.relpath(path), None, error.line()) from None
    return app
