#!/bin/sh
# Deploy one environment through Terraform Cloud (CLI-driven runs), run by
# .github/workflows/council.yml on main. Azure credentials live in the Terraform Cloud workspace
# (dynamic provider credentials, ARM_USE_OIDC=true for azapi: README "With Terraform Cloud"); this
# machine needs only a Terraform Cloud API token.
set -eu
stack="${1:?usage: tools/ci/deploy.sh ENV}"
if [ -z "${TF_API_TOKEN:-}" ]; then
  echo "error: TF_API_TOKEN: not set; add a Terraform Cloud team token as the repository secret TF_API_TOKEN" >&2
  exit 2
fi
host="${TF_CLOUD_HOSTNAME:-app.terraform.io}"
# Terraform's CLI credentials file (developer.hashicorp.com/terraform/cli/config/config-file#credentials),
# readable by this user only.
mkdir -p "$HOME/.terraform.d"
umask 077
printf '{"credentials": {"%s": {"token": "%s"}}}\n' "$host" "$TF_API_TOKEN" > "$HOME/.terraform.d/credentials.tfrc.json"
COUNCIL_ENVIRONMENTS="$stack" npm run deploy -- "$stack" --auto-approve
