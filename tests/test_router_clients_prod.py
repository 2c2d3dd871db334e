"""The router as its clients see it (the cases: router_clients.py), with environments/prod.yaml's config."""

from router_clients import *  # noqa: F403 -- the cases, collected in this module
from router_clients import council_for

council = council_for("prod")
