"""`council` command line: look at an environment before deploying it, and check it after.

    council render-router-config ENV   print the LiteLLM config the router will load
    council validate [ENV ...]         check environment files; exit 2 on any problem
    council describe ENV [--format json]   members, GPU headroom, cost, quota
    council diagram ENV --output FILE  architecture picture (.svg, .png, .mmd)
    council board ENV --output FILE    the monitoring workbook (.json definition, .svg picture)
    council smoke ENV [--router-url URL]   is every member serving? (exit 1 naming those that are not)
    council review [--base REV]        what the working tree changes in every environment's Terraform

ENV is an environment name (`dev` -> environments/dev.yaml) or a path to a file.
User mistakes print one line each (`error: file: field: problem`), never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from council.environments import ENVIRONMENTS_DIR, discover, load_all, project_root, resolve
from council.errors import CouncilError, report


def _render(args: argparse.Namespace) -> int:
    from council.config import load_environment
    from council.router_config import render_router_config, router_members

    env = load_environment(resolve(args.env))
    sys.stdout.write(render_router_config(env, router_members(env)))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from council.checks import notices

    paths = [resolve(spec) for spec in args.envs] if args.envs else discover(project_root(), None)
    for name, path, env in load_all(paths):
        print(f"ok: {path} ({name})")
        for line in notices(env, str(path)):
            print(f"warning: {line}", file=sys.stderr)
    return 0


def _describe(args: argparse.Namespace) -> int:
    import json

    from council.config import load_environment
    from council.cost import describe, format_table

    path = resolve(args.env)
    env = load_environment(path)
    data = describe(env, path.stem)
    sys.stdout.write(json.dumps(data, indent=2) + "\n" if args.format == "json" else format_table(data))
    return 0


def _diagram(args: argparse.Namespace) -> int:
    from pathlib import Path

    from council.config import load_environment
    from council.diagram import render_diagram

    path = resolve(args.env)
    render_diagram(load_environment(path), path.stem, Path(args.output))
    print(f"wrote {args.output}")
    return 0


def _board(args: argparse.Namespace) -> int:
    """The environment's workbook, from its file alone: `--output x.json` writes the
    definition (import it in the portal: Workbooks > New > Advanced editor), `x.svg` a picture."""
    import json
    from pathlib import Path

    from council.board import board_definition, board_svg, placeholder_members
    from council.config import load_environment

    path = resolve(args.env)
    env = load_environment(path)
    members, router_id, insights_id = placeholder_members(env, path.stem)
    definition = board_definition(f"AI Council: {path.stem} ({env.location})", members, router_id, insights_id)
    output = Path(args.output)
    if output.suffix not in (".json", ".svg"):
        raise CouncilError(str(output), None, f"unsupported board format {output.suffix or '(none)'}; use .json or .svg")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(definition, indent=2) + "\n" if output.suffix == ".json" else board_svg(definition))
    print(f"wrote {args.output}")
    return 0


def _review(args: argparse.Namespace) -> int:
    from council.review import review

    sys.stdout.write(review(project_root(), args.base))
    return 0


def _smoke(args: argparse.Namespace) -> int:
    """Every member of ENV through the router; exit 1 naming each member that is not serving."""
    import os

    from council.config import load_environment
    from council.router_config import pinned_deployments
    from council.smoke import Target, smoke, summary

    path = resolve(args.env)
    env = load_environment(path)
    if not args.router_url:
        return _smoke_job(args, env, path.stem)
    master_key = os.environ.get("LITELLM_MASTER_KEY")
    if not master_key:
        raise CouncilError("LITELLM_MASTER_KEY", None, "not set; export the router's master key (Key Vault secret litellm-master-key)")
    roles = [m.role for m in env.members]
    # Each deployment of a rollout the file has, by itself (as well as those the router pins).
    expected = [Target(p.model, p.role, p.kind, p.deployment) for m in env.members for p in pinned_deployments(env, m)]
    print(f"checking {len(roles)} members of {path.stem} through {args.router_url} ...", file=sys.stderr)
    results = smoke(args.router_url, master_key, roles, timeout=args.timeout, expected=expected)
    for result in results:
        print(result.line())
    last, failed = summary(results)
    print(last, file=sys.stderr)
    return 1 if failed else 0


def _smoke_job(args: argparse.Namespace, env, stack: str) -> int:
    """Start the environment's smoke job through ARM, wait, print its lines."""
    import os

    from council.naming import names_for
    from council.smoke_remote import run_smoke_job

    subscription = args.subscription or env.subscription_id or os.environ.get("AZURE_SUBSCRIPTION_ID") or os.environ.get("ARM_SUBSCRIPTION_ID")
    if not subscription:
        raise CouncilError("--subscription", None, "not given; pass the subscription the council is deployed in "
                                                   "(or set AZURE_SUBSCRIPTION_ID), or check a reachable router with --router-url")
    names = names_for(env.model_copy(update={"subscription_id": subscription}), stack)
    group = names.resource_group()
    environment_id = (f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.App/managedEnvironments/"
                      f"{names.container_app_environment()}")
    from azure.core.exceptions import AzureError

    try:
        run = run_smoke_job(subscription_id=subscription, resource_group=group, job_name=names.smoke_job(), environment_id=environment_id,
                            arm_url=args.arm_url, logs_url=args.logs_url, poll_seconds=args.poll_seconds,
                            progress=lambda line: print(line, file=sys.stderr, flush=True))
    except AzureError as error:  # sign-in, permissions, a missing job: the user's setup, said in one line
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CouncilError(names.smoke_job(), None, f"could not run the smoke job: {first}") from None
    for line in run.lines or []:
        print(line)
    if run.lines is None:
        print(f"the job's lines are not in Log Analytics yet: az containerapp job logs show -g {group} -n {names.smoke_job()} "
              f"--execution {run.execution} --container smoke", file=sys.stderr)
    if run.status != "Succeeded":
        failed = next((line.removeprefix("failed: ") for line in (run.lines or []) if line.startswith("failed: ")), None)
        print(f"failed: {failed}" if failed else f"failed: execution {run.execution} ended {run.status}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="council", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit codes:\n"
               "  0  done; nothing wrong\n"
               "  1  smoke: a member is not serving (each one named)\n"
               "  2  a problem in an environment file (every one, a line each: file, field, what is wrong), or a\n"
               "     command that cannot run (usage, no Azure sign-in); `npm run synth|diff|deploy` exit 2 the same way",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render-router-config", help="print the rendered LiteLLM config for ENV")
    render.add_argument("env", metavar="ENV", help=f"environment name ({ENVIRONMENTS_DIR}/<name>.yaml) or path")
    render.set_defaults(run=_render)
    validate = commands.add_parser("validate", help="check environment files (all of environments/ by default)")
    validate.add_argument("envs", metavar="ENV", nargs="*")
    validate.set_defaults(run=_validate)
    describe = commands.add_parser("describe", help="members, GPU headroom, cost and quota of ENV")
    describe.add_argument("env", metavar="ENV")
    describe.add_argument("--format", choices=("table", "json"), default="table")
    describe.set_defaults(run=_describe)
    diagram = commands.add_parser("diagram", help="draw ENV's architecture (.svg, .png or Mermaid .mmd)")
    diagram.add_argument("env", metavar="ENV")
    diagram.add_argument("--output", required=True, help="file to write: .svg, .png or .mmd")
    diagram.set_defaults(run=_diagram)
    board = commands.add_parser("board", help="ENV's monitoring workbook: its definition (.json) or a picture of it (.svg)")
    board.add_argument("env", metavar="ENV")
    board.add_argument("--output", required=True, help="file to write: .json or .svg")
    board.set_defaults(run=_board)
    smoke = commands.add_parser("smoke", help="call every member of ENV through the router; exit 1 naming each one not serving")
    smoke.add_argument("env", metavar="ENV")
    smoke.add_argument("--router-url", help="check a router reachable from here directly (needs LITELLM_MASTER_KEY); "
                                          "without it, the environment's smoke job runs inside the VNet, started through ARM")
    smoke.add_argument("--subscription", help="the council's subscription (default: the file's subscription_id, AZURE_SUBSCRIPTION_ID)")
    smoke.add_argument("--arm-url", help="Azure Resource Manager endpoint (default: Azure public cloud)")
    smoke.add_argument("--logs-url", help="Log Analytics query endpoint (default: Azure public cloud)")
    smoke.add_argument("--poll-seconds", type=float, default=10.0, help=argparse.SUPPRESS)
    smoke.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for each member (default 120)")
    smoke.set_defaults(run=_smoke)
    review = commands.add_parser("review", help="what the working tree changes in every environment's Terraform, against a base revision")
    review.add_argument("--base", default="HEAD", help="git revision to compare with (default HEAD; on a pull request: origin/main)")
    review.set_defaults(run=_review)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except CouncilError as error:
        return report(error, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
