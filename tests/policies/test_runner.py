"""The offline runner: the pack started like the CLI starts it, spoken to over the Analyzer protocol."""

from __future__ import annotations

from pathlib import Path

from offline.cli import EXIT_OK, EXIT_POLICY, main
from offline.plan import Plan
from offline.policy_runner import PASS_RULE, PolicyRun, config_path, run_direct
from policies.rules import POLICIES
from policies.versions import declared_version
from tests.fixtures import insecure

PACK_VERSION = declared_version()  # PulumiPolicy.yaml's, read by other code than the runner's


def keys(run: PolicyRun) -> list[tuple[str, str, str, str, str]]:
    return sorted(r.key() for r in run.results)


def test_pack_over_grpc_equals_direct_validation_on_the_real_stacks(
    plan: Plan, stack_runs: dict[str, PolicyRun]
) -> None:
    over_grpc = stack_runs[plan.stack]
    assert keys(over_grpc) == keys(run_direct(plan, config_path(plan.stack)))
    assert {m.name for m in over_grpc.policies} == {p.name for p in POLICIES}


def test_real_stacks_pass_every_mandatory_policy(plan: Plan, stack_runs: dict[str, PolicyRun]) -> None:
    """Generic over whatever the plan holds: every resource the pack judges, no mandatory violation."""
    run = stack_runs[plan.stack]
    assert run.count("pass") > 0
    violations = [f"{r.policy}: {r.type} {r.name}: {r.message}" for r in run.mandatory_violations]
    assert violations == []


def test_every_resource_type_of_the_real_stacks_is_known_to_the_runner(
    plan: Plan, stack_runs: dict[str, PolicyRun]
) -> None:
    run = stack_runs[plan.stack]
    assert run.resource_count == len(plan.resources)
    judged = {r.urn for r in run.results}
    assert plan.one("aws:ec2/vpc:Vpc").urn in judged


def test_insecure_stack_fails_exactly_the_expected_mandatory_set(insecure_run: PolicyRun) -> None:
    got = {(r.policy, r.name) for r in insecure_run.mandatory_violations}
    assert got == insecure.EXPECTED_MANDATORY


def test_insecure_stack_over_grpc_equals_direct_validation(insecure_run: PolicyRun) -> None:
    assert keys(insecure_run) == keys(run_direct(insecure.plan(), None))


def test_an_unknown_input_on_a_mandatory_control_blocks_the_offline_gate(insecure_run: PolicyRun) -> None:
    """pulumi preview would call it advisory and judge it at `up`; offline there is no `up`."""
    pending = [r for r in insecure_run.results if r.name == "pending" and r.policy == "elb-listener-tls-policy"]
    assert [(r.outcome, r.enforcement) for r in pending] == [("unknown", "mandatory")]
    assert pending[0].message.startswith("sslPolicy is unknown")
    assert pending[0] in insecure_run.blocking and pending[0] not in insecure_run.mandatory_violations


def test_the_policy_config_accepts_a_named_unknown_and_only_that_one() -> None:
    plan = insecure.plan()
    accepted = {"elb-listener-tls-policy": {"acceptUnknown": ["pending:sslPolicy"]}}
    other = {"elb-listener-tls-policy": {"acceptUnknown": ["other:sslPolicy", "pending:certificateArn"]}}
    for config, level in ((accepted, "advisory"), (other, "mandatory"), (None, "mandatory")):
        run = run_direct(plan, config)
        pending = [r for r in run.results if r.name == "pending" and r.policy == "elb-listener-tls-policy"]
        assert [(r.outcome, r.enforcement) for r in pending] == [("unknown", level)], config
    assert "accepted by the policy config" in pending_message(run_direct(plan, accepted))


def pending_message(run: PolicyRun) -> str:
    return next(r.message for r in run.results if r.name == "pending" and r.policy == "elb-listener-tls-policy")


def test_an_advisory_control_left_unknown_stays_advisory() -> None:
    run = run_direct(insecure.plan(), {"elb-listener-tls-policy": "advisory"})
    assert [r for r in run.blocking if r.name == "pending" and r.policy == "elb-listener-tls-policy"] == []


def test_run_records_pack_version_stack_time_and_the_pass_rule(insecure_run: PolicyRun) -> None:
    assert insecure_run.pack == "app-platform-aws"
    assert insecure_run.version == PACK_VERSION
    assert insecure_run.stack == "insecure" and insecure_run.started.endswith("Z")
    assert insecure_run.note == PASS_RULE
    assert {"pass", "violation", "not-applicable", "unknown"} <= {r.outcome for r in insecure_run.results}


def test_policy_command_writes_reports_and_exits_4_on_mandatory_violations(tmp_path: Path) -> None:
    plan_file = tmp_path / "insecure.plan.json"
    insecure.plan().write(plan_file)
    assert main(["policy", str(plan_file), "--out", str(tmp_path)]) == EXIT_POLICY
    for suffix in ("txt", "md", "json", "sarif", "junit.xml"):
        assert (tmp_path / f"insecure.policy.{suffix}").is_file()


def test_policy_command_exits_0_without_mandatory_violations(tmp_path: Path) -> None:
    plan_file = tmp_path / "quiet.plan.json"
    Plan("app-platform", "quiet", [insecure.plan().one("aws:ecr/repository:Repository")], {}).write(plan_file)
    config = tmp_path / "advisory.json"
    config.write_text('{"all": "advisory"}')
    assert main(["policy", str(plan_file), "--config", str(config), "--out", str(tmp_path)]) == EXIT_OK
