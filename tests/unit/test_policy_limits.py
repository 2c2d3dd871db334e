"""council.policy's defaults, where a user meets them: an environment file that leaves a
setting out. Each expected value comes from where the project documents it, cited at the
test; a default with no documented value is not pinned here (it would only echo the code).

Documented facts used below:
- README "Guardrails", Instances: "an endpoint's `min` is at least 1, because managed online
  endpoints cannot scale to zero. Each member needs `min <= default <= max`."
- README "Design notes": "The default autoscale rules use `GpuUtilizationPercentage` with 20-
  and 30-minute cooldowns, because GPU scale-out takes 12-18 minutes." (policy.py: "cooldowns
  shorter than that stack actions").
- README "The router: how it treats failing members": "A timeout or a 5xx is not retried on
  the same member (`timeout_retries: 0`, `server_error_retries: 0`)".
- environments/dev.yaml, router section: "How the router treats a failing member (defaults,
  measured with the real proxy: constructs/council/policy.py RouterPolicy)", listing
  `num_retries: 2  # dropped connections only`, `allowed_fails: 1`, `cooldown_seconds: 60`.
"""

from __future__ import annotations

from council.config import parse_environment
from unit.unit_data import raw

SOURCE = "dev.yaml"

# README "Design notes": GPU scale-out takes 12-18 minutes.
GPU_SCALE_OUT_MINUTES_AT_MOST = 18


# --------------------------------------------------------------------------- instances
def test_a_member_that_gives_only_max_gets_counts_the_guardrails_accept():
    """`instances: {max: N}` leaves min and default to the model: what it fills in must be a
    plan the README's own rules accept (min at least 1, min <= default <= max). pydantic does
    not run the scale-to-zero check on a default, so only this test sees a default min of 0."""
    data = raw("dev")
    for member in data["members"]:
        member["instances"] = {"max": member["instances"]["max"]}
    env = parse_environment(data, SOURCE)
    for member, written in zip(env.members, data["members"]):
        counts = member.instances
        assert counts.max == written["instances"]["max"]
        assert counts.min >= 1, f"{member.role}: a default min of {counts.min} would scale to zero"
        assert counts.min <= counts.default <= counts.max, (counts.min, counts.default, counts.max)


# --------------------------------------------------------------------------- autoscale
def test_a_member_without_autoscale_gets_the_documented_gpu_rules():
    """README "Design notes": GpuUtilizationPercentage with 20- and 30-minute cooldowns."""
    data = raw("dev")
    for member in data["members"]:
        member.pop("autoscale", None)
    env = parse_environment(data, SOURCE)
    for member in env.members:
        rules = member.autoscale
        assert rules.metric == "GpuUtilizationPercentage", member.role
        assert (rules.scale_out_cooldown_minutes, rules.scale_in_cooldown_minutes) == (20, 30), member.role
        # Longer than the slowest GPU scale-out, so a second action never stacks on the first.
        assert rules.scale_out_cooldown_minutes > GPU_SCALE_OUT_MINUTES_AT_MOST
        assert rules.scale_in_cooldown_minutes > GPU_SCALE_OUT_MINUTES_AT_MOST


# --------------------------------------------------------------------------- router failure policy
ROUTER_POLICY_KEYS = ("num_retries", "timeout_retries", "server_error_retries", "allowed_fails", "cooldown_seconds")


def test_a_router_section_without_the_failure_policy_gets_the_documented_defaults():
    data = raw("dev")
    for key in ROUTER_POLICY_KEYS:
        data["router"].pop(key, None)
    router = parse_environment(data, SOURCE).router
    # README: a hung or failing member costs one attempt; its fallback answers at once.
    assert router.timeout_retries == 0
    assert router.server_error_retries == 0
    # dev.yaml's router comment lists these as the defaults measured with the real proxy.
    assert router.num_retries == 0  # a member is never asked twice for one request
    assert router.allowed_fails == 0  # cooled down at its first failure
    assert router.cooldown_seconds == 60
