#!/bin/sh
# The cdktf CLI as this project runs it (`npm run synth`, `npm run deploy -- dev`, ...).
# npm puts node_modules/.bin first on PATH, so the CLI and the Python app's jsii runtime run
# on the Node.js pinned in package.json (22 LTS; jsii ends support for Node 20 on 2026-10-30
# and prints an end-of-life banner on every run).
set -eu
# cdktf reports usage to checkpoint-api.hashicorp.com unless this is set
# (@cdktf/commons src/checkpoint.ts): no call home, and no DNS error where it is unreachable.
export CHECKPOINT_DISABLE=1
# Terraform prints a warning on every call when TF_CLI_CONFIG_FILE names a file that does not
# exist; such a setting configures nothing, so it is dropped.
if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -e "$TF_CLI_CONFIG_FILE" ]; then
  unset TF_CLI_CONFIG_FILE
fi
# The environment files are checked before the cdktf CLI runs the app: a mistake then prints
# each line once and exits 2 (under the CLI, every line of the app's stderr comes out twice,
# the second time tagged [ERROR], and the exit code is 1). The app run by the CLI then skips
# the warnings already shown.
case "${1:-}" in
  synth|diff|deploy|destroy|plan|output)
    python main.py --check
    export COUNCIL_CHECKED=1
    ;;
esac
exec cdktf "$@"
