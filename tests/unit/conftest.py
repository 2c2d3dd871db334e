"""Fast unit tests of the pure modules: no synth, no Node, no network; seconds in all.

They run in the main suite and under mutation testing (tools/mutation.py), which stages
the package as src/council beside tests/unit, environments/ and litellm/: so this folder
reads its data relative to itself (unit/unit_data.py), never through tests/conftest.py.

Expected values are worked out in the tests from documented facts (each cited where it is
used), not by calling the code's own helpers.
"""

from __future__ import annotations

import pytest

from unit.unit_data import raw


@pytest.fixture
def dev() -> dict:
    return raw("dev")


@pytest.fixture
def prod() -> dict:
    return raw("prod")


@pytest.fixture
def fresh():
    """`fresh(name)`: a new copy of environments/<name>.yaml's data, to change."""
    return raw
