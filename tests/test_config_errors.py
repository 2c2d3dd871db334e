"""A broken environment file stops synth with one line per problem -- file, field,
what is wrong -- exit code 2 and no traceback."""

from __future__ import annotations

import copy

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, raw_environment


def _dev_with(mutate) -> str:
    data = copy.deepcopy(DEV)
    mutate(data)
    return yaml.safe_dump(data, sort_keys=False)


def _set(path: str, value):
    def mutate(data):
        node = data
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        last = parts[-1]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return mutate


_DELETE = object()


# Every member a case needs is picked from dev.yaml by what it is (a container member, a
# gated one, a catalog model with an allow list), never by its position or its role.
DEV = raw_environment("dev")


def _borrow(predicate) -> None:
    """A kind of member dev lacks (e.g. a catalog model: dev serves every member from a
    container on T4s) is taken from prod in place of dev's member of the same role."""
    if not any(predicate(m) for m in DEV["members"]):
        member = next(m for m in raw_environment("prod")["members"] if predicate(m))
        DEV["members"] = [member if m["role"] == member["role"] else m for m in DEV["members"]]
        # A faster GPU's streams cost the router more: give it the replicas that plan needs, so
        # each case below has only its own fault.
        from council.config import parse_environment
        from council.sizing import router_replicas_needed

        DEV["router"]["max_replicas"] = max(DEV["router"]["max_replicas"], router_replicas_needed(parse_environment(DEV, "dev.yaml")))


def _pick(what: str, predicate=lambda m: True) -> tuple[int, str]:
    """(index, `members[i] (role)`) of dev's first member that is `what`."""
    for index, member in enumerate(DEV["members"]):
        if predicate(member):
            return index, f"members[{index}] ({member['role']})"
    raise AssertionError(f"dev.yaml has no member that is {what}; the error table needs one")


def _container(m) -> bool:
    return m["model"]["source"] == "container"


def _facts(m):
    from council.catalog import load_catalog

    from pydantic import TypeAdapter

    from council.model_source import ModelSource

    return TypeAdapter(ModelSource).validate_python(m["model"]).facts(load_catalog())


def _restricted_catalog(m) -> bool:
    return m["model"]["source"] == "catalog" and _facts(m) is not None and _facts(m).allowed_skus is not None


_borrow(_restricted_catalog)
FIRST, FIRST_AT = _pick("any member")
SECOND, SECOND_AT = _pick("a second member", lambda m: m is not DEV["members"][FIRST])
CONTAINER, CONTAINER_AT = _pick("served by a container", _container)
GATED, GATED_AT = _pick("a gated container model", lambda m: _container(m) and m["model"].get("hf_token_required"))
RESTRICTED, RESTRICTED_AT = _pick("a catalog model with a SKU allow list", _restricted_catalog)
LONGEST, _ = max(enumerate(DEV["members"]), key=lambda item: len(item[1]["role"]))
LONG_ROLE = (DEV["members"][LONGEST]["role"] + "xyzxyzxyz")[:12]  # the longest role the schema accepts
FIRST_SKU = DEV["members"][FIRST]["sku"]


def _disallowed_sku() -> str:
    """A current SKU with room for the restricted model that its catalog entry does not allow."""
    from council.catalog import load_catalog

    allowed = _facts(DEV["members"][RESTRICTED]).allowed_skus
    return next(name for name, sku in sorted(load_catalog().skus.items(), key=lambda s: -s[1].total_gpu_memory_gb)
                if not sku.retired and name not in allowed)


def _quota_need(sku_name: str) -> int:
    """vCPUs dev's members on `sku_name` reserve at max scale, by Azure ML's documented rule:
    ceil(1.2 x instances) x cores per deployment where the upgrade reserve applies
    (how-to-manage-quotas: 10 instances of a 4-core VM need 48 cores; A100 SKUs skip it)."""
    from council.catalog import load_catalog

    sku = load_catalog().skus[sku_name]
    factor = 12 if sku.upgrade_reserve else 10
    return sum(-(-factor * m["instances"]["max"] // 10) * sku.vcpus for m in DEV["members"] if m["sku"] == sku_name)


def load_family(sku_name: str) -> str:
    from council.catalog import load_catalog

    return load_catalog().skus[sku_name].family


def _unpaired_region() -> str:
    """A region Microsoft lists without an (unrestricted) pair."""
    from council.catalog import load_catalog

    catalog = load_catalog()
    return sorted(catalog.regions - set(catalog.region_pairs))[0]


def _renamed(data):
    """dev with its longest role renamed to LONG_ROLE everywhere it is named."""
    old = data["members"][LONGEST]["role"]
    data["members"][LONGEST]["role"] = LONG_ROLE
    for fallback in data.get("router", {}).get("fallbacks", []):
        fallback["role"] = LONG_ROLE if fallback["role"] == old else fallback["role"]
        fallback["to"] = [LONG_ROLE if r == old else r for r in fallback["to"]]


def _all(*mutations):
    def mutate(data):
        for m in mutations:
            m(data)
    return mutate


BIGGEST_SKU = "Standard_NC96ads_A100_v4"  # 4x A100 80 GB: room for any shipped model's full context
ARCHIVED_ASSET = "azureml://registries/azureml/models/Phi-3-mini-128k-instruct/versions/10"

# (case id, file text, the field the message must name, a phrase it must contain[, file stem])
CASES = [
    ("unknown-top-level-key", _dev_with(_set("regoin", "eastus")), "regoin", "unknown key"),
    ("unknown-member-key", _dev_with(_set(f"members.{FIRST}.gpu", "A100")), f"{FIRST_AT}.gpu", "unknown key"),
    ("misspelt-required-key", _dev_with(lambda d: d["members"][FIRST].__setitem__("instance", d["members"][FIRST].pop("instances"))),
     f"{FIRST_AT}.instance", "did you mean 'instances'"),
    ("missing-location", _dev_with(_set("location", _DELETE)), "location", "required field is missing"),
    ("missing-model", _dev_with(_set(f"members.{SECOND}.model", _DELETE)), f"{SECOND_AT}.model", "required"),
    ("wrong-type-max", _dev_with(_set(f"members.{SECOND}.instances.max", "many")), f"{SECOND_AT}.instances.max", "integer"),
    ("wrong-type-members", _dev_with(_set("members", "pacer")), "members", "tuple"),
    ("scale-to-zero", _dev_with(_set(f"members.{FIRST}.instances.min", 0)), f"{FIRST_AT}.instances.min", "cannot scale to zero"),
    ("bad-cidr", _dev_with(_set("network.apps_subnet", "10.40.0.1/27")), "network.apps_subnet", "host bits"),
    ("unknown-source", _dev_with(_set(f"members.{FIRST}.model.source", "s3")), f"{FIRST_AT}.model", "source"),
    ("duplicate-role", _dev_with(_set(f"members.{SECOND}.role", DEV["members"][FIRST]["role"])), "members", "already used"),
    ("bad-fallback", _dev_with(_set("router.fallbacks", [{"role": DEV["members"][FIRST]["role"], "to": ["nosuchrole"]}])),
     "router.fallbacks[0]", "not a council member"),
    ("request-timeout-over-limit", _dev_with(_set(f"members.{FIRST}.request_timeout_seconds", 600)), f"{FIRST_AT}.request_timeout_seconds", "180"),
    # -- guardrails: plans that parse but would fail on Azure
    ("unknown-region", _dev_with(_set("location", "eastus9")), "location", "not an Azure region"),
    ("replica-in-own-region", _dev_with(_set("workspace", {"registry_replica": DEV["location"]})), "workspace.registry_replica",
     "own location"),
    ("unknown-replica-region", _dev_with(_set("workspace", {"registry_replica": DEV["location"] + "x"})), "workspace.registry_replica",
     "did you mean"),
    ("unpaired-location", _dev_with(_set("location", _unpaired_region())), "workspace.registry_replica", "no unrestricted paired region"),
    ("retired-sku", _dev_with(_set(f"members.{SECOND}.sku", "Standard_NC6s_v3")), f"{SECOND_AT}.sku", "retired"),
    ("unknown-sku", _dev_with(_set(f"members.{SECOND}.sku", "Standard_D4s_v5")), f"{SECOND_AT}.sku", "not a GPU SKU"),
    ("misspelt-sku", _dev_with(_set(f"members.{SECOND}.sku", "Standard_NC24ads_A100_v5")), f"{SECOND_AT}.sku",
     "did you mean Standard_NC24ads_A100_v4"),
    ("catalog-disallows-sku", _dev_with(_set(f"members.{RESTRICTED}.sku", _disallowed_sku())), f"{RESTRICTED_AT}.sku", "does not allow"),
    ("archived-catalog-model", _dev_with(_all(
        _set(f"members.{CONTAINER}.model", {"source": "catalog", "asset_id": ARCHIVED_ASSET}),
        _set(f"members.{CONTAINER}.sku", BIGGEST_SKU))),
     f"{CONTAINER_AT}.model.asset_id", "archived"),
    ("model-not-in-catalog", _dev_with(_set(f"members.{CONTAINER}.model.hf_model_id", "acme/secret-sauce-7b")), f"{CONTAINER_AT}.model", "not in"),
    ("7b-on-a-t4", _dev_with(_all(
        _set(f"members.{CONTAINER}.model", {"source": "container", "hf_model_id": "codellama/CodeLlama-7b-Instruct-hf", "max_model_len": 8192}),
        _set(f"members.{CONTAINER}.sku", "Standard_NC8as_T4_v3"))),
     f"{CONTAINER_AT}.sku", "GPU memory"),
    ("context-too-long-for-gpu", _dev_with(_all(
        _set(f"members.{CONTAINER}.model", {"source": "container", "hf_model_id": "microsoft/Phi-3-mini-128k-instruct", "max_model_len": 131072}),
        _set(f"members.{CONTAINER}.sku", "Standard_NV36ads_A10_v5"))),
     f"{CONTAINER_AT}.sku", "GPU memory"),
    ("context-beyond-model", _dev_with(_all(
        _set(f"members.{CONTAINER}.model.max_model_len", (_facts(DEV["members"][CONTAINER]).context + 1)),
        _set(f"members.{CONTAINER}.sku", BIGGEST_SKU))),
     f"{CONTAINER_AT}.model.max_model_len", "exceeds"),
    ("gated-model-without-token", _dev_with(_set(f"members.{GATED}.model.hf_token_required", False)), f"{GATED_AT}.model.hf_token_required", "gated"),
    ("quota-shortfall", _dev_with(_set("quota", {load_family(FIRST_SKU): _quota_need(FIRST_SKU) - 1})),
     f"quota.{load_family(FIRST_SKU)}", f"need {_quota_need(FIRST_SKU)} "),
    ("misspelt-quota-family", _dev_with(_set("quota", {load_family(FIRST_SKU).replace("Family", "Famly"): 96})),
     f"quota.{load_family(FIRST_SKU).replace('Family', 'Famly')}", f"did you mean {load_family(FIRST_SKU)}"),
    ("name-too-long", _dev_with(_all(_set("name_suffix", "abcdef"), _renamed)), f"members[{LONGEST}] ({LONG_ROLE}).role", "3-32", "staging"),
    ("consumption-only-subnet-too-small", _dev_with(_set("router.environment_type", "consumption-only")), "network.apps_subnet", "/23"),
    ("subnet-outside-vnet", _dev_with(_set("network.private_endpoints_subnet", "10.99.0.0/24")), "network", "not inside"),
    ("subnets-overlap", _dev_with(_set("network.private_endpoints_subnet", DEV["network"]["apps_subnet"])), "network", "overlaps"),
    ("default-above-max", _dev_with(_set(f"members.{FIRST}.instances", {"min": 1, "default": 3, "max": 2})), f"{FIRST_AT}.instances", "min <= default <= max"),
    ("router-min-negative", _dev_with(_set("router.min_replicas", -1)), "router.min_replicas", "greater than or equal to 0"),
    ("floating-router-image", _dev_with(_set("router.image", "ghcr.io/berriai/litellm:main-latest")), "router.image", "floats"),
    ("malicious-router-image", _dev_with(_set("router.image", "ghcr.io/berriai/litellm:main-v1.82.8")), "router.image", "known-malicious"),
    ("secret-in-server-env", _dev_with(_set(f"members.{CONTAINER}.model.env", {"HF_TOKEN": "hf_abc"})), f"{CONTAINER_AT}.model.env", "looks like a secret"),
    # -- files that are not environments at all
    ("broken-yaml", "location: [eastus2\n", "line 2", "broken YAML"),
    ("empty-file", "", "(file)", "empty"),
    ("not-a-mapping", "- just\n- a list\n", "(top level)", "mapping"),
]


# Faults repeated in every member (or needing two messages) report more than one line.
MULTI_LINE = {"wrong-type-max", "scale-to-zero"}


def _run_main(env_file: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COUNCIL_ENVIRONMENTS": str(env_file)}
    return subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _run_validate(env_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "council.cli", "validate", str(env_file)], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_table_covers_at_least_25_faults():
    assert len(CASES) >= 25 and len({c[0] for c in CASES}) == len(CASES)
    assert MULTI_LINE <= {c[0] for c in CASES}


@pytest.mark.parametrize("command", ["synth", "validate"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_broken_environment_is_refused_with_one_line_per_problem(tmp_path, command, case):
    case_id, text, field, phrase = case[:4]
    env_file = tmp_path / f"{case[4] if len(case) > 4 else 'dev'}.yaml"  # the stem is the stack name
    env_file.write_text(text)
    result = (_run_main if command == "synth" else _run_validate)(env_file)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith(f"error: {env_file}: ") for line in lines), lines
    matching = [line for line in lines if f": {field}" in line and phrase.lower() in line.lower()]
    assert matching, f"no line names {field!r} with {phrase!r}: {lines}"
    # One fault, one problem: nothing else in the file is reported.
    assert len(lines) == 1 or case_id in MULTI_LINE, lines


def test_missing_file_is_one_line(tmp_path):
    result = _run_main(tmp_path / "nope.yaml")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'nope.yaml'}: (file): no such file; pass an environment name or an existing path"]


def test_construct_validation_names_the_environment_file():
    """A name that only breaks Azure's rules once computed is caught at synth, with the file."""
    from council.config import parse_environment
    from council.errors import CouncilError
    from council.synth import build_app

    data = raw_environment("dev")
    env = parse_environment(data, "environments/staging-long.yaml")
    with pytest.raises(CouncilError) as caught:
        build_app([("staging-eu-west", Path("environments/staging-eu-west.yaml"), env)], outdir="/tmp/council-never-written")
    line = caught.value.line()
    assert line.startswith("environments/staging-eu-west.yaml: ")
    # With the 6-character subscription-derived suffix, the workspace name is the first to break.
    assert "ml workspace name" in line and "3-33" in line


def test_five_mistakes_in_one_file_give_five_findings_in_one_run(tmp_path):
    """Schema errors and the guardrails of every part that is valid on its own come in one
    run: a user does not fix three problems only to be shown two more."""
    third = next(i for i in range(len(DEV["members"])) if i not in (FIRST, SECOND))
    third_at = f"members[{third}] ({DEV['members'][third]['role']})"

    def five(data):
        data["members"][FIRST]["instance"] = data["members"][FIRST].pop("instances")  # a key typo
        data["members"][SECOND]["sku"] = "Standard_NC24ads_A100_v5"  # a SKU typo
        data["network"]["apps_subnet"] = "10.40.0.1/27"  # a CIDR typo
        data["members"][third]["instances"] = {"min": 3, "default": 3, "max": 2}  # max < min
        data["location"] = "eastus9"  # an unknown region

    env_file = tmp_path / "dev.yaml"
    env_file.write_text(_dev_with(five))
    for result in (_run_main(env_file), _run_validate(env_file)):
        assert result.returncode == 2 and "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        expected = [
            (f"{FIRST_AT}.instance", "did you mean 'instances'"),
            (f"{SECOND_AT}.sku", "did you mean Standard_NC24ads_A100_v4"),
            ("network.apps_subnet", "host bits"),
            (f"{third_at}.instances", "min <= default <= max"),
            ("location", "did you mean eastus"),
        ]
        for field, phrase in expected:
            assert [line for line in lines if f": {field}: " in line and phrase in line], (field, lines)
        assert len(lines) == len(expected), lines


# --------------------------------------------------------------------------- many mistakes, one run
# Independent mistakes, each reported on one line naming its field. A member-level one gets a
# member of its own (a member that fails the schema is judged no further), picked by what it is.
def _member_mistakes():
    def unknown_sku(data, i):
        data["members"][i]["sku"] = "Standard_D4s_v5"
        return f"members[{i}] ({data['members'][i]['role']}).sku", "not a GPU SKU"

    def default_above_max(data, i):
        data["members"][i]["instances"] = {"min": 1, "default": 3, "max": 2}
        return f"members[{i}] ({data['members'][i]['role']}).instances", "min <= default <= max"

    def timeout_over_limit(data, i):
        data["members"][i]["request_timeout_seconds"] = 600
        return f"members[{i}] ({data['members'][i]['role']}).request_timeout_seconds", "180"

    return {"unknown-sku": unknown_sku, "default-above-max": default_above_max, "timeout-over-limit": timeout_over_limit}


def _file_mistakes():
    def duplicate_alias(data):
        later = len(data["members"]) - 1
        data["members"][later]["alias"] = data["members"][later - 1]["alias"]
        return f"members[{later}]", "already used"

    def bad_fallback(data):
        fallbacks = data.setdefault("router", {}).setdefault("fallbacks", [])
        fallbacks.append({"role": data["members"][0]["role"], "to": ["nosuchrole"]})
        return f"router.fallbacks[{len(fallbacks) - 1}]", "not a council member"

    def unknown_region(data):
        data["location"] = "eastus9"
        return "location", "not an Azure region"

    def bad_cidr(data):
        data["network"]["apps_subnet"] = "10.40.0.1/27"
        return "network.apps_subnet", "host bits"

    def router_min_negative(data):
        data["router"]["min_replicas"] = -1
        return "router.min_replicas", "greater than or equal to 0"

    def floating_router_image(data):
        data["router"]["image"] = "ghcr.io/berriai/litellm:main-latest"
        return "router.image", "floats"

    def unknown_key(data):
        data["regoin"] = "eastus"
        return "regoin", "unknown key"

    return {"duplicate-alias": duplicate_alias, "bad-fallback": bad_fallback, "unknown-region": unknown_region, "bad-cidr": bad_cidr,
            "router-min-negative": router_min_negative, "floating-router-image": floating_router_image, "unknown-key": unknown_key}


def _lines_of(data: dict, tmp_path: Path, name: str = "dev") -> list[str]:
    from council.checks import load_checked
    from council.errors import CouncilError

    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        load_checked(path, name)
    except CouncilError as error:
        return error.line().splitlines()
    return []


def test_any_five_independent_mistakes_come_out_in_one_run_once_each(tmp_path):
    """Every combination of five from the table above -- schema errors, whole-file rules
    (duplicate names, fallbacks) and guardrails of the parts that are valid -- gives five lines."""
    import itertools

    member, whole = _member_mistakes(), _file_mistakes()
    pool = [(kind, name) for kind, table in (("member", member), ("file", whole)) for name in table]
    combinations = list(itertools.combinations(pool, 5))
    for combination in combinations:
        data = raw_environment("dev")
        expected = []
        members = iter(range(len(data["members"]) - 2))  # the last two are the duplicate alias's
        for kind, name in combination:
            expected.append(member[name](data, next(members)) if kind == "member" else whole[name](data))
        lines = _lines_of(data, tmp_path)
        for field, phrase in expected:
            assert len([line for line in lines if f": {field}: " in line and phrase in line]) == 1, (combination, field, lines)
        assert len(lines) == len(expected), (combination, lines)
    assert len(combinations) == 252


def test_five_guardrails_of_a_file_that_parses_come_out_in_one_run(tmp_path):
    """When the file parses, the checks that need the whole plan (quota, router capacity,
    egress) join the per-part ones: any five of these six give five lines."""
    import itertools

    from council.catalog import load_catalog

    catalog = load_catalog()
    gated = next(i for i, m in enumerate(DEV["members"]) if _container(m) and m["model"].get("hf_token_required"))
    container = next(i for i, m in enumerate(DEV["members"]) if _container(m) and i != gated)
    plain = next(i for i in range(len(DEV["members"])) if i not in (gated, container))
    untouched = next(i for i in range(len(DEV["members"])) if i not in (gated, container, plain))
    family = catalog.skus[DEV["members"][untouched]["sku"]].family
    at = lambda i: f"members[{i}] ({DEV['members'][i]['role']})"  # noqa: E731
    mistakes = {
        "unknown-sku": (lambda d: d["members"][plain].update(sku="Standard_D4s_v5"), f"{at(plain)}.sku", "not a GPU SKU"),
        "gated-without-token": (lambda d: d["members"][gated]["model"].update(hf_token_required=False), f"{at(gated)}.model.hf_token_required", "gated"),
        "unknown-image-host": (lambda d: d["members"][container]["model"].update(image="quay.io/someone/server:1.0"), f"{at(container)}.model.image", "egress.yaml"),
        "unknown-region": (lambda d: d.update(location="eastus9"), "location", "not an Azure region"),
        "quota-shortfall": (lambda d: d.update(quota={family: 1}), f"quota.{family}", "need"),
        "router-over-capacity": (lambda d: d["router"].update(concurrent_requests=1000), "router.concurrent_requests", "vCPU"),
    }
    for combination in itertools.combinations(mistakes, 5):
        data = raw_environment("dev")
        for name in combination:
            mistakes[name][0](data)
        lines = _lines_of(data, tmp_path)
        for name in combination:
            _, field, phrase = mistakes[name]
            assert len([line for line in lines if f": {field}: " in line and phrase in line]) == 1, (combination, field, lines)
        assert len(lines) == 5, (combination, lines)


def test_the_exit_codes_are_in_council_help():
    result = subprocess.run([sys.executable, "-m", "council.cli", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    codes = result.stdout.split("exit codes:", 1)[1]
    assert "0  done" in codes and "1  smoke" in codes and "2  a problem in an environment file" in codes
