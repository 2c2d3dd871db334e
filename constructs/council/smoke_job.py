"""SmokeJob: the post-deploy check (council.smoke) as a Container Apps job inside the VNet.

The router is internal, so the check runs where it can reach it: a manually triggered job
in the router's own Container Apps environment, with the router's identity and its
master-key Key Vault reference. Its program is council/smoke.py itself (`python -c`), run
on the router's image (which has Python and httpx), so the job and `council smoke
--router-url` are the same code. Start it with `az containerapp job start` and read its
lines from the console logs (README "Check a deploy").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_azurerm.container_app_job import (
    ContainerAppJob,
    ContainerAppJobIdentity,
    ContainerAppJobManualTriggerConfig,
    ContainerAppJobSecret,
    ContainerAppJobTemplate,
    ContainerAppJobTemplateContainer,
    ContainerAppJobTemplateContainerEnv,
)
from constructs import Construct

from council.errors import PropsError
from council.naming import check
from council.router_contract import MASTER_KEY_ENV
from council.secret_bundle import BundleSecret, SecretBundle
from council.smoke import job_program


@dataclass(frozen=True, kw_only=True)
class SmokeJobProps:
    name: str
    resource_group_name: str
    location: str
    environment_id: str
    identity_id: str  # a user-assigned identity that may read `secrets` (the router's)
    secrets: SecretBundle
    master_key: BundleSecret
    router_url: str
    roles: tuple[str, ...]
    image: str
    # Checks besides one per role: each deployment of a rollout is checked by itself (council.smoke).
    extra_checks: int = 0
    # Seconds each member may take to answer, and the whole job.
    member_timeout_seconds: int = 120
    workload_profiles: bool = True
    waits_for: tuple[ITerraformDependable, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


class SmokeJob(Construct):
    def __init__(self, scope: Construct, id: str, *, props: SmokeJobProps) -> None:
        super().__init__(scope, id)
        check("container_app", props.name, field="name")
        if not props.roles:
            raise PropsError(self.node.path, "roles", props.roles, "at least one member role")
        if props.secrets.secret(props.master_key.name) is not props.master_key:
            raise PropsError(self.node.path, "master_key", props.master_key.name, "a secret of props.secrets")
        self.job = ContainerAppJob(
            self,
            "job",
            name=props.name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            container_app_environment_id=props.environment_id,
            workload_profile_name="Consumption" if props.workload_profiles else None,
            replica_timeout_in_seconds=props.member_timeout_seconds * (len(props.roles) + props.extra_checks) + 60,
            replica_retry_limit=0,  # a failed check is a result, not something to retry
            manual_trigger_config=ContainerAppJobManualTriggerConfig(parallelism=1, replica_completion_count=1),
            identity=ContainerAppJobIdentity(type="UserAssigned", identity_ids=[props.identity_id]),
            secret=[ContainerAppJobSecret(name=props.master_key.name, key_vault_secret_id=props.master_key.versionless_id, identity=props.identity_id)],
            template=ContainerAppJobTemplate(container=[ContainerAppJobTemplateContainer(
                name="smoke",
                image=props.image,
                cpu=0.25,
                memory="0.5Gi",
                command=["python", "-c", job_program()],
                env=[
                    ContainerAppJobTemplateContainerEnv(name=MASTER_KEY_ENV, secret_name=props.master_key.name),
                    ContainerAppJobTemplateContainerEnv(name="ROUTER_URL", value=props.router_url),
                    ContainerAppJobTemplateContainerEnv(name="SMOKE_ROLES", value=",".join(props.roles)),
                    ContainerAppJobTemplateContainerEnv(name="SMOKE_TIMEOUT", value=str(props.member_timeout_seconds)),
                ],
            )]),
            # The job resolves its Key Vault reference when it is created: the secret, the identity's
            # grant (waits_for) and a private way to the vault (its endpoint and the zone's VNet link)
            # must all exist by then, as for the router.
            depends_on=[props.master_key.resource, *props.secrets.reachable_after, *props.waits_for],
            tags=dict(props.tags),
        )
