"""Terraform Cloud `cloud {}` block without cdktf's synth-time `terraform version` check.

cdktf's CloudBackend shells out to `terraform version` while synthesizing and fails
when Terraform is not installed -- but reviewing a change (`cdktf synth`) must not
need Terraform. This backend emits the same block (`terraform.cloud` with hostname,
organization and a named workspace); Terraform itself checks its version at init.
"""

from __future__ import annotations

from cdktf import TerraformBackend
from constructs import Construct


class TerraformCloudBlock(TerraformBackend):
    def __init__(self, scope: Construct, *, hostname: str, organization: str | None, workspace: str) -> None:
        super().__init__(scope, "backend", "cloud")
        # Without an organization Terraform reads TF_CLOUD_ORGANIZATION, or stops at init.
        self._block = {"hostname": hostname, **({"organization": organization} if organization else {}), "workspaces": {"name": workspace}}

    def to_terraform(self):  # overrides the jsii method: what lands under `terraform`
        return {"terraform": {"cloud": self._block}}

    def get_remote_state_data_source(self, scope, name, _from_stack):
        raise NotImplementedError("the council's stacks do not reference each other")
