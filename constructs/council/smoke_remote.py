"""`council smoke ENV` from anywhere: start the smoke job inside the VNet through ARM, wait
for it, and print its lines.

Microsoft's SDKs with azure-identity's default credential chain (environment, workload
identity, managed identity, Azure CLI login, ...):
- azure-mgmt-appcontainers: `jobs.begin_start` (Jobs_Start, POST .../jobs/{job}/start) gives
  the execution's name; `job_execution` (GET .../jobs/{job}/executions/{name}) its status,
  polled until it ends (Succeeded, Failed, Stopped or Degraded);
- azure-monitor-query: the execution's console lines, from the environment's logs in Log
  Analytics (`ContainerAppConsoleLogs`, sent there by its diagnostic setting), queried by
  resource. Ingestion takes minutes: the lines are awaited for a while, and if they are not
  there yet the job's status still decides the exit code.

The endpoints and the credential can be given (`arm_url`, `logs_url`, `credential`): the
tests point them at local fakes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

FINAL_STATES = ("Succeeded", "Failed", "Stopped", "Degraded")


@dataclass(frozen=True)
class JobRun:
    execution: str
    status: str
    lines: list[str] | None  # None: the logs did not arrive in time


def _lines_query(job_name: str, execution: str) -> str:
    # Console lines of one job execution, oldest first (the smoke program prints one per member).
    return (
        "ContainerAppConsoleLogs\n"
        f"| where JobName == '{job_name}' and ExecutionName == '{execution}'\n"
        "| project TimeGenerated, Log\n"
        "| order by TimeGenerated asc"
    )


def run_smoke_job(
    *,
    subscription_id: str,
    resource_group: str,
    job_name: str,
    environment_id: str,
    credential: Any = None,
    arm_url: str | None = None,
    logs_url: str | None = None,
    timeout_seconds: float = 1800,
    poll_seconds: float = 10,
    logs_wait_seconds: float = 300,
    progress: Callable[[str], None] = lambda _: None,
    client_options: dict | None = None,
) -> JobRun:
    from azure.mgmt.appcontainers import ContainerAppsAPIClient
    from azure.monitor.query import LogsQueryClient, LogsQueryStatus

    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    options = dict(client_options or {})
    apps = ContainerAppsAPIClient(credential, subscription_id, **({"base_url": arm_url} if arm_url else {}), **options)
    started = apps.jobs.begin_start(resource_group, job_name).result()
    execution = started.name
    progress(f"started {job_name} execution {execution}")
    deadline = time.monotonic() + timeout_seconds
    status = "Running"
    while True:
        state = apps.job_execution(resource_group, job_name, execution).status
        status = str(getattr(state, "value", state) or "Unknown")  # the SDK's JobExecutionRunningState
        if status in FINAL_STATES or time.monotonic() > deadline:
            break
        progress(f"{execution}: {status}")
        time.sleep(poll_seconds)
    progress(f"{execution}: {status}")

    logs = LogsQueryClient(credential, **({"endpoint": logs_url} if logs_url else {}), **options)
    lines: list[str] | None = None
    logs_deadline = time.monotonic() + logs_wait_seconds
    while lines is None:
        result = logs.query_resource(environment_id, _lines_query(job_name, execution), timespan=timedelta(hours=6))
        if result.status == LogsQueryStatus.SUCCESS and result.tables and result.tables[0].rows:
            column = result.tables[0].columns.index("Log")
            lines = [str(row[column]).rstrip("\n") for row in result.tables[0].rows]
        elif time.monotonic() > logs_deadline:
            break
        else:
            progress("waiting for the job's lines to reach Log Analytics")
            time.sleep(poll_seconds)
    return JobRun(execution, status, lines)
