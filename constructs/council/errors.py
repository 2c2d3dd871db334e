"""User-facing errors: one line each, naming the file, the field, the problem and the fix."""

from __future__ import annotations


class CouncilError(Exception):
    """A mistake in the user's input. Printed as one line, never as a traceback.

    `source` is the file (or `<construct path>` for construct props), `field` the
    dotted path of the offending setting; either may be None when it does not apply.
    """

    def __init__(self, source: str | None, field: str | None, problem: str) -> None:
        self.source, self.field, self.problem = source, field, problem
        super().__init__(self.line())

    def line(self) -> str:
        parts = [p for p in (self.source, self.field) if p]
        return ": ".join([*parts, self.problem])


class PropsError(CouncilError):
    """A construct was given props it cannot build: raised in the constructor."""

    def __init__(self, construct: str, prop: str, received: object, expected: str) -> None:
        super().__init__(construct, prop, f"received {received!r}, expected {expected}")


def report(error: CouncilError, stream) -> int:
    """Print every line of `error` as `error: ...` and return the exit code for user errors (2)."""
    for line in error.line().splitlines():
        print(f"error: {line}", file=stream)
    return 2
