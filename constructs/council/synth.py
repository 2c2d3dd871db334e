"""Build and synthesize one cdktf App holding a stack per environment (one jsii process for all)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from cdktf import App

from council.config import Environment
from council.errors import CouncilError
from council.stack import CouncilStack

_ANNOTATION_ERRORS = 'Encountered Annotations with level "ERROR"'


def build_app(environments: list[tuple[str, Path, Environment]], *, outdir: str | None = None) -> App:
    """Compose the stacks; a construct's validation error names the environment file."""
    app = App(outdir=outdir) if outdir else App()
    for name, path, env in environments:
        try:
            CouncilStack(app, name, env=env)
        except CouncilError as error:
            raise CouncilError(os.path.relpath(path), None, error.line()) from None
    return app


def synth(app: App, environments: list[tuple[str, Path, Environment]]) -> None:
    """`app.synth()`, with Aspect error annotations turned into one line each naming the file."""
    try:
        app.synth()
    except Exception as error:  # jsii raises RuntimeError carrying the JavaScript message
        message = str(error)
        if _ANNOTATION_ERRORS not in message:
            raise
        files = {name: os.path.relpath(path) for name, path, _ in environments}
        lines = []
        for path, problem in re.findall(r"^\[([^\]]+)\] (.+)$", message, re.M):
            stack = path.split("/", 1)[0]
            lines.append(f"{files.get(stack, stack)}: {path}: {problem}")
        raise CouncilError(None, None, "\n".join(lines) or message) from None
