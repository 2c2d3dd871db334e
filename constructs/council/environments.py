"""Finding environment files: `dev` -> environments/dev.yaml, or any path to a file."""

from __future__ import annotations

from pathlib import Path

from council.checks import load_checked
from council.config import Environment
from council.errors import CouncilError

ENVIRONMENTS_DIR = Path("environments")


def project_root(start: Path | None = None) -> Path:
    """The nearest directory at or above `start` (the working directory) that holds
    cdktf.json and environments/: `council` works from anywhere inside the project."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "cdktf.json").is_file() and (directory / ENVIRONMENTS_DIR).is_dir():
            return directory
    return here


def resolve(spec: str, base: Path | None = None) -> Path:
    """An environment name (`dev`) or a path (`./x.yaml`) -> the file's path."""
    if "/" in spec or spec.endswith((".yaml", ".yml")):
        return Path(spec)
    return (base or project_root()) / ENVIRONMENTS_DIR / f"{spec}.yaml"


def stack_name(path: Path) -> str:
    return path.stem


def discover(base: Path, selected: str | None) -> list[Path]:
    """Every environments/*.yaml under `base`, or only the comma-separated names in `selected`."""
    if selected:
        paths = [resolve(name.strip(), base) for name in selected.split(",") if name.strip()]
    else:
        paths = sorted((base / ENVIRONMENTS_DIR).glob("*.yaml"))
    if not paths:
        raise CouncilError(str(base / ENVIRONMENTS_DIR), None, "no environment files found; add environments/<name>.yaml")
    return paths


def load_all(paths: list[Path]) -> list[tuple[str, Path, Environment]]:
    """Load and check every file; raise one CouncilError listing every problem of every file (one line each)."""
    loaded, problems = [], []
    for path in paths:
        try:
            env = load_checked(path, stack_name(path))
            loaded.append((stack_name(path), path, env))
        except CouncilError as error:
            problems.append(error.line())
    if problems:
        raise CouncilError(None, None, "\n".join(problems))
    return loaded
