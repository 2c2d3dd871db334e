"""Unit tests of the pure modules (a package, so its conftest and module names never clash with tests/)."""
