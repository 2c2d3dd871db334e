#!/bin/sh
# What every pull request and every push to main must pass, run by .github/workflows/council.yml
# after the README's install (the venv active). With COUNCIL_REVIEW_BASE (a pull request's
# base branch) it also prints what the change does to every environment's Terraform.
set -eu
python -m council.cli validate                      # every environment file, every problem, exit 2
npm run synth                                       # the pinned cdktf CLI, as a deploy would run it
if [ "${COUNCIL_CI_SKIP_CHECKOV:-}" != "1" ]; then  # tests/test_ci.py runs checkov once, in the suite
  python -m pytest -q -p no:cacheprovider -n 0 tests/test_checkov.py
fi
if [ -n "${COUNCIL_REVIEW_BASE:-}" ]; then
  python -m council.cli review --base "$COUNCIL_REVIEW_BASE" | tee council-review.txt
fi
